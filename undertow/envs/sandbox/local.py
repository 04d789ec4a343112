"""The local sandbox backend: a temporary folder and one subprocess per command.

This is the zero-setup default where no Docker daemon runs. **It is not a security
boundary.** Commands run on the host with resource limits (CPU time, address space, file
size, process count), in their own process group that is killed on timeout, with a clean
environment; file paths are confined to the workspace. But a command can still read what the
host user can read and reach the network. Use the docker backend for untrusted agents.

When Undertow runs as root, commands run as the unprivileged user ``nobody`` by default,
because the kernel does not apply the process-count limit to root (a fork bomb would not be
contained). Pass ``run_as=None`` to keep root.
"""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile
from typing import Any, Literal

from undertow.envs.sandbox import worker
from undertow.envs.sandbox.base import SandboxLimits, WorkerSandbox

UNPRIVILEGED_USER = "nobody"


def _default_user() -> int | None:
    if os.geteuid() != 0:
        return None
    return pwd.getpwnam(UNPRIVILEGED_USER).pw_uid


class LocalSandbox(WorkerSandbox):
    """A workspace in a temporary folder on this machine. Not a security boundary."""

    backend = "local"

    def __init__(
        self,
        limits: SandboxLimits | None = None,
        *,
        run_as: int | Literal["auto"] | None = "auto",
        parent_dir: str | None = None,
    ) -> None:
        limits = limits or SandboxLimits()
        user = _default_user() if run_as == "auto" else run_as
        self._folder = tempfile.mkdtemp(prefix="undertow-sandbox-", dir=parent_dir)
        root = os.path.join(os.path.realpath(self._folder), "workspace")
        os.mkdir(root)
        if user is not None:
            os.chmod(self._folder, 0o755)
            os.chown(root, user, worker.primary_gid(user))
        self.workdir = root
        self._config = limits.worker_config(
            root,
            user=user,
            base_env={
                "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
                "HOME": root,
                "LANG": "C.UTF-8",
                "PYTHONDONTWRITEBYTECODE": "1",
            },
        )

    def _call(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        return worker.handle(self._config, request)

    def _release(self) -> None:
        shutil.rmtree(self._folder, ignore_errors=True)
