"""The local sandbox backend: a temporary folder and one subprocess per command.

This is the zero-setup default where no Docker daemon runs. **It is not a security
boundary.** Commands run on the host with resource limits (CPU time, address space, file
size, process count) and a clean environment; file paths are confined to the workspace. But
a command can still read whatever the host's users may read (the installed Undertow
included, from which a generated world can be rebuilt) and reach the network. Use the docker
backend for agents you do not control.

As root, each sandbox has two users of its own, numeric uids reserved for its lifetime (lock
files in a root-only folder): the agent's, which owns the workspace (mode 0700, so another
episode's user can neither read nor write it) and runs the commands, and the grading user,
which runs the agent's code for graders in a chroot of the grader's own folder. Every process
of the agent's user is killed when a command ends (those that called ``setsid`` too), and
both users' processes, files in the shared temporary folders and System V IPC objects are
removed at close. Without root there is one user for everything: commands and graders run as
the host user, only the process group of a command is killed (a ``setsid`` escapes it), and
grading runs are confined by nothing but their working folder.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import stat
import sys
import tempfile
from typing import Any

from undertow.envs.sandbox import worker
from undertow.envs.sandbox.base import SandboxLimits, SandboxUnavailable, WorkerSandbox

UID_BASE = 3_000_000
UID_SLOTS = 100_000
"""Sandbox users are uids UID_BASE + 2k (agent) and UID_BASE + 2k + 1 (grader), k < UID_SLOTS."""
RESERVATIONS = os.path.join(tempfile.gettempdir(), "undertow-sandbox-uids")


def _reservation_folder() -> str:
    os.makedirs(RESERVATIONS, mode=0o700, exist_ok=True)
    info = os.lstat(RESERVATIONS)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or stat.S_IMODE(info.st_mode) != 0o700:
        raise SandboxUnavailable(
            f"{RESERVATIONS} must be a folder owned by root with mode 0700; remove it"
        )
    return RESERVATIONS


def _holder_alive(path: str) -> bool:
    try:
        with open(path) as handle:
            pid = int(handle.read().strip() or "0")
    except (OSError, ValueError):
        return False
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reserve_users() -> tuple[int, int, str]:
    """Reserve a free (agent, grader) uid pair for this process; returns it and its lock."""
    folder = _reservation_folder()
    start = random.randrange(UID_SLOTS)
    for offset in range(UID_SLOTS):
        slot = (start + offset) % UID_SLOTS
        agent = UID_BASE + 2 * slot
        lock = os.path.join(folder, str(slot))
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            if _holder_alive(lock):
                continue
            with contextlib.suppress(FileNotFoundError):
                os.unlink(lock)
            continue  # stale: free from the next pass on
        with os.fdopen(fd, "w") as handle:
            handle.write(str(os.getpid()))
        if worker.living_processes(agent) or worker.living_processes(agent + 1):
            continue  # someone else's uid after all: keep it reserved, take another
        return agent, agent + 1, lock
    raise SandboxUnavailable("no free sandbox user ids; close some sandboxes")


class LocalSandbox(WorkerSandbox):
    """A workspace in a temporary folder on this machine. Not a security boundary."""

    backend = "local"

    def __init__(
        self,
        limits: SandboxLimits | None = None,
        *,
        parent_dir: str | None = None,
    ) -> None:
        limits = limits or SandboxLimits()
        self._lock: str | None = None
        user: int | None = None
        grader: int | None = None
        if os.geteuid() == 0:
            user, grader, self._lock = reserve_users()
        self.user, self.grader_user = user, grader
        self._folder = tempfile.mkdtemp(prefix="undertow-sandbox-", dir=parent_dir)
        base = os.path.realpath(self._folder)
        root = os.path.join(base, "workspace")
        grader_root = os.path.join(base, "grader")
        os.mkdir(root)
        os.mkdir(grader_root)
        if user is not None and grader is not None:
            os.chmod(base, 0o711)
            os.chown(root, user, user)
            os.chmod(root, 0o700)
            os.chown(grader_root, 0, grader)
            os.chmod(grader_root, 0o750)
        self.workdir = root
        self._worker = worker.Worker(
            limits.worker_config(
                root,
                user=user,
                grader_user=grader,
                grader_root=grader_root,
                cli_root=os.path.join(base, "cli"),
                python=sys.executable,
                base_env={
                    "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
                    "HOME": root,
                    "USER": "agent",
                    "LOGNAME": "agent",
                    "LANG": "C.UTF-8",
                    "PYTHONDONTWRITEBYTECODE": "1",
                },
            )
        )

    def _call(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        return self._worker.handle(request)

    def _release(self) -> None:
        self._worker.close()
        shutil.rmtree(self._folder, ignore_errors=True)
        if self._lock is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._lock)
