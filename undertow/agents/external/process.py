"""An external agent's process, and the stopping of it and everything it started.

The process starts in a session and process group of its own, with a marker in its
environment (``UNDERTOW_AGENT_MARK``) that its descendants inherit. :meth:`AgentProcess.stop`
sends SIGTERM to the group, gives it ``grace`` seconds, then sweeps: every live process still
in the group or the session, or carrying the marker (one that left the group with ``setsid``),
is stopped with SIGSTOP, so that it cannot fork again, and then killed with SIGKILL; the sweep
repeats until a scan finds none. A process that both leaves the session and clears its
environment escapes the sweep: run untrusted agents in a container as well.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

MARK_VARIABLE = "UNDERTOW_AGENT_MARK"
SWEEP_SECONDS = 10.0


class AgentProcess:
    """``start()`` the command with ``env`` in ``cwd``, its output to ``log``; ``stop()`` it."""

    def __init__(self, command: list[str], *, env: dict[str, str], cwd: Path, log: Path) -> None:
        self.command = command
        self.mark = uuid.uuid4().hex
        self.env = {**env, MARK_VARIABLE: self.mark}
        self.cwd = cwd
        self.log = log
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> AgentProcess:
        with open(self.log, "wb") as log:
            try:
                self._process = subprocess.Popen(
                    self.command,
                    cwd=self.cwd,
                    env=self.env,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            except OSError as exc:
                raise OSError(f"cannot start the agent command {self.command}: {exc}") from None
        return self

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def returncode(self) -> int | None:
        """The exit code once the process has exited, else None."""
        return self._process.poll() if self._process is not None else None

    def output_tail(self, characters: int = 2000) -> str:
        """The end of what the process wrote."""
        try:
            return self.log.read_text(errors="replace")[-characters:]
        except OSError:
            return ""

    def wait(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for the process to exit by itself; True if it did."""
        if self._process is None:
            return True
        try:
            self._process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return False
        return True

    def stop(self, grace: float = 2.0) -> None:
        """SIGTERM to the group, ``grace`` seconds, then the sweep (see the module docstring)."""
        if self._process is None:
            return
        leader = self._process.pid
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(leader, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and self._survivors(leader):
            time.sleep(0.05)
        self._sweep(leader)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=SWEEP_SECONDS)

    def _sweep(self, leader: int) -> None:
        deadline = time.monotonic() + SWEEP_SECONDS
        quiet_scans = 0
        while quiet_scans < 2 and time.monotonic() < deadline:
            found = self._survivors(leader)
            quiet_scans = 0 if found else quiet_scans + 1
            for pid in found:  # frozen first: a stopped process cannot fork while we kill
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGSTOP)
            for pid in found:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            if self._process is not None:
                self._process.poll()  # reap the leader as soon as it is dead
            if found:
                time.sleep(0.02)

    def _survivors(self, leader: int) -> list[int]:
        """Live processes of the agent: in its group or session, or carrying its marker."""
        if self._process is not None:
            self._process.poll()
        found = []
        marker = f"{MARK_VARIABLE}={self.mark}".encode()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            pid = int(entry.name)
            state = _stat(pid)
            if state is None or state[0] in "ZX":
                continue
            if leader in state[1:] or marker in _environ(pid):
                found.append(pid)
        return found


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, process group, session) of a process, None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text.rpartition(")")[2].split()
    return fields[0], int(fields[2]), int(fields[3])


def _environ(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return b""
