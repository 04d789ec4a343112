"""The host's side of a coding-agent CLI running in a sandbox.

:meth:`WorkerSandbox.start_cli <undertow.envs.sandbox.base.WorkerSandbox.start_cli>` sends the
session's code (:mod:`undertow.envs.sandbox.cli_session`) and the shims
(:mod:`undertow.envs.sandbox.cli_shim`) with the CLI's command to the sandbox's command server,
which starts the CLI; the :class:`CLISession` it returns takes the CLI's requests one at a time
(:meth:`CLISession.wait`), answers them (:meth:`CLISession.reply`), lets the CLI run again after
a step (:meth:`CLISession.thaw`) and stops it (:meth:`CLISession.stop`). Every other request to
the sandbox freezes the CLI first; the sandbox does that by itself.

Requests are plain JSON objects, as the session sends them: ``{"id", "kind": "exec", "command",
"cwd", "timeout"}``, ``{"id", "kind": "tool", "tool", "args"}``, ``{"id", "kind": "model",
"method", "path", "content_type", "body"}`` (base64), and ``{"kind": "exit", "exit_code",
"output"}`` once the CLI's process has exited.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

from undertow.envs.sandbox import cli_session, cli_shim

SESSION_SOURCE = Path(cli_session.__file__).read_text()
SHIM_SOURCE = Path(cli_shim.__file__).read_text()
WAIT_MARGIN_SECONDS = 60.0
JSON = "application/json"

Requester = Callable[..., Any]
"""A sandbox's request function: ``(op, *, wait, **fields) -> result``."""


class CLISession:
    """A CLI started in a sandbox; see the module docstring."""

    def __init__(self, request: Requester, started: dict[str, Any]) -> None:
        self._request = request
        self.pid: int = started["pid"]
        self.url: str = started["url"]
        """The relay, as the CLI reaches it (the sandbox's own 127.0.0.1)."""
        self.folder: str = started["folder"]
        """The CLI's folder in the sandbox: ``bin`` (the shims), ``files``, ``home``."""

    @classmethod
    def start(
        cls,
        request: Requester,
        *,
        argv: list[str],
        key: str,
        env: dict[str, str] | None = None,
        files: dict[str, bytes] | None = None,
        task: str = "",
        model: bool = False,
    ) -> CLISession:
        """Start ``argv`` (placeholders ``{workdir}``, ``{cli_dir}``, ``{files}``,
        ``{task_file}``, ``{base_url}``) with ``env``, ``files`` in its folder's ``files``, the
        ``task`` in ``task.md``; ``key`` authenticates its requests; with ``model``, its
        OpenAI variables point at the relay."""
        encoded = {
            name: base64.b64encode(data).decode("ascii") for name, data in (files or {}).items()
        }
        started = request(
            "cli_start",
            source=SESSION_SOURCE,
            shim=SHIM_SOURCE,
            argv=list(argv),
            key=key,
            env=dict(env or {}),
            files=encoded,
            task=task,
            model=model,
        )
        return cls(request, started)

    def wait(self, timeout: float) -> dict[str, Any] | None:
        """The CLI's next request (or its exit), waiting up to ``timeout`` seconds."""
        event: dict[str, Any] | None = self._request(
            "cli_wait", wait=timeout + WAIT_MARGIN_SECONDS, timeout=timeout
        )
        return event

    def reply(
        self,
        request_id: int,
        body: bytes,
        status: int = 200,
        content_type: str = "application/json",
    ) -> None:
        """Answer the request ``request_id``; its connection gets this HTTP response."""
        self._request(
            "cli_reply",
            request_id=request_id,
            status=status,
            content_type=content_type,
            body=base64.b64encode(body).decode("ascii"),
        )

    def thaw(self) -> list[str]:
        """Let the CLI run again; returns what the sandbox did to it since the last thaw (a
        process killed for holding a channel graders could reach, ...)."""
        answer: dict[str, Any] = self._request("cli_thaw")
        return list(answer.get("notes", []))

    def stop(self, grace: float) -> dict[str, Any]:
        """SIGTERM, ``grace`` seconds, then every process of the CLI killed; returns its exit
        code, the end of its output and how many processes had to be killed."""
        answer: dict[str, Any] = self._request(
            "cli_stop", wait=grace + WAIT_MARGIN_SECONDS, grace=grace
        )
        return answer
