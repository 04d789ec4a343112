"""The sandbox protocol: what every backend offers, and the types it speaks."""

from __future__ import annotations

import base64
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Protocol, Self, runtime_checkable

from undertow.envs.sandbox.manifest import Manifest
from undertow.envs.sandbox.worker import DEFAULT_EXCLUDES, WorkerConfig
from undertow.errors import HarnessError, UndertowError


class SandboxError(UndertowError):
    """A sandbox request failed; the message says why."""


class SandboxPathError(SandboxError):
    """A path was invalid or pointed outside the workspace."""


class SandboxFileNotFound(SandboxError):
    """A file or folder the request named does not exist in the workspace."""


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
    def snapshot(self, excludes: tuple[str, ...] = DEFAULT_EXCLUDES) -> Manifest: ...
    def close(self) -> None: ...


REQUEST_WAIT_SECONDS = 60.0
"""How long a request may take beyond its own timeout before the sandbox counts as unreachable."""

_ERROR_TYPES: dict[str, type[SandboxError]] = {
    "path": SandboxPathError,
    "bad_request": SandboxPathError,
    "not_found": SandboxFileNotFound,
}


class WorkerSandbox(ABC):
    """A sandbox whose requests are carried out by :mod:`undertow.envs.sandbox.worker`.

    Backends differ only in how a request reaches the worker (:meth:`_call`), so one set of
    semantics, and one contract test suite, covers them all.
    """

    backend: str
    workdir: str
    _closed: bool = False

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

    def exec(
        self,
        command: str,
        timeout: float = 60.0,
        cwd: str = ".",
        env: dict[str, str] | None = None,
    ) -> ExecResult:
        result = self._request(
            "exec",
            wait=timeout + REQUEST_WAIT_SECONDS,
            command=command,
            cwd=cwd,
            env=env or {},
            timeout=timeout,
        )
        return ExecResult(**result)

    def read_bytes(self, path: str) -> bytes:
        return base64.b64decode(self._request("read", path=path))

    def read_file(self, path: str) -> str:
        return self.read_bytes(path).decode("utf-8", errors="replace")

    def write_file(self, path: str, content: str | bytes) -> None:
        data = content.encode("utf-8") if isinstance(content, str) else content
        self._request("write", path=path, data=base64.b64encode(data).decode("ascii"))

    def list_files(self, path: str = ".", recursive: bool = True) -> list[str]:
        return list(self._request("list", path=path, recursive=recursive))

    def snapshot(self, excludes: tuple[str, ...] = DEFAULT_EXCLUDES) -> Manifest:
        return dict(self._request("snapshot", excludes=list(excludes)))

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
