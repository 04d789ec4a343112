"""The sandbox protocol: what every backend offers, and the types it speaks."""

from __future__ import annotations

import base64
import math
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, Self, runtime_checkable

from undertow.envs.sandbox.cli import CLISession
from undertow.envs.sandbox.manifest import Manifest
from undertow.envs.sandbox.worker import WorkerConfig
from undertow.errors import HarnessError, UndertowError


class SandboxError(UndertowError):
    """A sandbox request failed; the message says why."""


class SandboxPathError(SandboxError):
    """A path was invalid or pointed outside the workspace."""


class SandboxFileNotFound(SandboxError):
    """A file or folder the request named does not exist in the workspace."""


class SandboxRequestError(SandboxError):
    """The request cannot be carried: a NUL byte, text that is not valid Unicode."""


class SandboxUnavailable(SandboxError, HarnessError):
    """The sandbox itself is gone or cannot be reached (container died, daemon down)."""


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits for a sandbox and each command in it."""

    memory_mb: int = 1024
    cpus: float = 1.0
    processes: int = 256
    cpu_seconds: int = 600
    """CPU time one command may use (RLIMIT_CPU)."""
    file_size_mb: int = 256
    """Largest file one command may write (RLIMIT_FSIZE)."""
    output_bytes: int = 65536
    """Output kept per stream per command; the rest is counted and marked as truncated."""

    def worker_config(self, root: str, **overrides: Any) -> WorkerConfig:
        """The worker settings that enforce these limits for a workspace at ``root``."""
        return WorkerConfig(
            root=root,
            cpu_seconds=self.cpu_seconds,
            memory_bytes=self.memory_mb * 1024 * 1024,
            file_size_bytes=self.file_size_mb * 1024 * 1024,
            processes=self.processes,
            output_limit=self.output_bytes,
            **overrides,
        )


@dataclass(frozen=True)
class ExecResult:
    """What a command did. ``note`` explains kills, timeouts and limits in plain words."""

    exit_code: int
    stdout: str
    stderr: str
    duration: float
    timed_out: bool = False
    truncated: bool = False
    note: str = ""

    @property
    def ok(self) -> bool:
        """True when the command exited 0 within its time."""
        return self.exit_code == 0 and not self.timed_out


@dataclass(frozen=True)
class IsolatedRun:
    """What a grader's isolated evaluation reported: the bytes its result channel carried
    (only what the agent's code returned, never a verdict) and how the run ended."""

    channel: bytes
    output: str
    exit_code: int
    timed_out: bool
    overflow: bool
    refused: list[str] = field(default_factory=list)
    """Workspace files that were not copied into the evaluation, and why."""
    duration: float = 0.0


@runtime_checkable
class Sandbox(Protocol):
    """An isolated workspace where an environment runs commands and keeps files."""

    backend: str
    workdir: str
    """The workspace path as commands inside the sandbox see it."""

    def exec(
        self,
        command: str,
        timeout: float = 60.0,
        cwd: str = ".",
        env: dict[str, str] | None = None,
    ) -> ExecResult:
        """Run a shell command in the workspace; a timeout kills the command, not the sandbox."""
        ...

    def read_file(self, path: str) -> str: ...
    def read_bytes(self, path: str) -> bytes: ...
    def write_file(self, path: str, content: str | bytes) -> None: ...
    def list_files(self, path: str = ".", recursive: bool = True) -> list[str]: ...
    def snapshot(self, excludes: tuple[str, ...] = ()) -> Manifest: ...
    def set_deadline(self, seconds: float | None) -> None: ...
    def grader_put(self, files: dict[str, str | bytes]) -> None: ...
    def run_isolated(self, timeout: float, **spec: Any) -> IsolatedRun: ...
    def close(self) -> None: ...


REQUEST_WAIT_SECONDS = 60.0
"""How long a request may take beyond its own timeout before the sandbox counts as unreachable."""

_ERROR_TYPES: dict[str, type[SandboxError]] = {
    "path": SandboxPathError,
    "bad_request": SandboxPathError,
    "not_found": SandboxFileNotFound,
    "invalid": SandboxRequestError,
}
DEADLINE_NOTE = "the episode's wall time is used up; the command was not run"


class WorkerSandbox(ABC):
    """A sandbox whose requests are carried out by :mod:`undertow.envs.sandbox.worker`.

    Backends differ only in how a request reaches the worker (:meth:`_call`), so one set of
    semantics, and one contract test suite, covers them all.
    """

    backend: str
    workdir: str
    _closed: bool = False
    _deadline: float | None = None

    @abstractmethod
    def _call(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Deliver one request to the worker and return its response."""

    @abstractmethod
    def _release(self) -> None:
        """Free the backend's resources (folder, container)."""

    def close(self) -> None:
        """Release the sandbox and everything in it. Safe to call twice."""
        if not self._closed:
            self._closed = True
            self._release()

    def responds(self, wait: float = 5.0) -> bool:
        """True when the sandbox's command server answers a ping within ``wait`` seconds."""
        try:
            self._request("ping", wait=wait)
        except SandboxUnavailable:
            return False
        return True

    def _request(self, op: str, *, wait: float = REQUEST_WAIT_SECONDS, **fields: Any) -> Any:
        if self._closed:
            raise SandboxUnavailable(f"this {self.backend} sandbox is closed")
        response = self._call({"op": op, **fields}, wait)
        if response.get("ok"):
            return response["result"]
        error = response.get("error", {})
        raise _ERROR_TYPES.get(error.get("kind", ""), SandboxError)(
            error.get("message", f"sandbox request {op!r} failed")
        )

    def set_deadline(self, seconds: float | None) -> None:
        """From now on, cap every command's timeout by the ``seconds`` left (None: no cap)."""
        self._deadline = None if seconds is None else time.monotonic() + max(0.0, seconds)

    def time_left(self) -> float | None:
        """Seconds left before the deadline (None: no deadline)."""
        return None if self._deadline is None else self._deadline - time.monotonic()

    def start_cli(
        self,
        argv: list[str],
        *,
        key: str,
        env: dict[str, str] | None = None,
        files: dict[str, bytes] | None = None,
        task: str = "",
        model: bool = False,
    ) -> CLISession:
        """Start a coding-agent CLI in the workspace, as the agent's user, for the rest of the
        sandbox's life (see :mod:`undertow.envs.sandbox.cli`)."""
        return CLISession.start(
            self._request, argv=argv, key=key, env=env, files=files, task=task, model=model
        )

    def exec(
        self,
        command: str,
        timeout: float = 60.0,
        cwd: str = ".",
        env: dict[str, str] | None = None,
    ) -> ExecResult:
        if isinstance(timeout, bool) or not math.isfinite(timeout) or timeout <= 0:
            raise SandboxRequestError(f"timeout must be a finite number above 0, not {timeout}")
        note = ""
        if self._deadline is not None:
            left = self._deadline - time.monotonic()
            if left <= 0:
                return ExecResult(124, "", "", 0.0, timed_out=True, note=DEADLINE_NOTE)
            if left < timeout:
                timeout, note = left, "capped by the episode's remaining wall time"
        result = ExecResult(
            **self._request(
                "exec",
                wait=timeout + REQUEST_WAIT_SECONDS,
                command=command,
                cwd=cwd,
                env=env or {},
                timeout=timeout,
            )
        )
        if note and result.timed_out:
            return replace(result, note=f"{result.note} ({note})")
        return result

    def read_bytes(self, path: str) -> bytes:
        return base64.b64decode(self._request("read", path=path))

    def read_file(self, path: str) -> str:
        return self.read_bytes(path).decode("utf-8", errors="replace")

    def write_file(self, path: str, content: str | bytes) -> None:
        self._request("write", path=path, data=base64.b64encode(_encoded(content)).decode("ascii"))

    def list_files(self, path: str = ".", recursive: bool = True) -> list[str]:
        return list(self._request("list", path=path, recursive=recursive))

    def snapshot(self, excludes: tuple[str, ...] = ()) -> Manifest:
        """Every file of the workspace, caches and hidden folders included (special files
        are described, never opened); ``excludes`` names relative paths to leave out."""
        return dict(self._request("snapshot", excludes=list(excludes)))

    def grader_put(self, files: dict[str, str | bytes]) -> None:
        """Store files for the grader outside the workspace, where the agent cannot read them."""
        encoded = {p: base64.b64encode(_encoded(c)).decode("ascii") for p, c in files.items()}
        self._request("grader_put", files=encoded)

    def run_isolated(self, timeout: float, **spec: Any) -> IsolatedRun:
        """Run the agent's code for a grader in a tree of its own (see
        :meth:`undertow.envs.sandbox.worker.Worker.run_isolated` for ``spec``)."""
        answer = self._request(
            "run_isolated", wait=timeout + 2 * REQUEST_WAIT_SECONDS, timeout=timeout, **spec
        )
        return IsolatedRun(**{**answer, "channel": base64.b64decode(answer["channel"])})

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _encoded(content: str | bytes) -> bytes:
    if isinstance(content, bytes):
        return content
    try:
        return content.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise SandboxRequestError(
            f"the content has {exc.object[exc.start : exc.end]!r} at position {exc.start}, "
            "which is not valid Unicode text (a lone surrogate); send UTF-8 text"
        ) from None
