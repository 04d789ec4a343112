"""``mcp``: an agent that is its own process, playing the episode through MCP tools.

Per episode, :class:`MCPAgent` serves the env's tools as an MCP server on 127.0.0.1
(streamable HTTP; stdio through a relay command), starts the suite's ``command``, and joins
the two loops: each ``act`` hands the previous step's observation back as the result of the
call that asked for it, then waits for the agent's next tool call and returns it as the action.
The runner's loop stays the one loop, so every call is a step with its probes, ledger and
limits. When the episode ends, however it ends, :meth:`MCPAgent.close` answers any waiting call
"the episode is over", gives the process ``exit_grace`` seconds to leave, and then stops it and
everything it started (:mod:`undertow.agents.external.process`).

With a ``model``, the agent's model calls go through the metering proxy on the same port
(:mod:`undertow.agents.external.metering`) and their tokens and cost are the usage of the step
they led to. What the process is given is documented in ``docs/your-own-agent.md``.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from undertow.agents.external.bridge import ToolCallBridge
from undertow.agents.external.mcp_server import EpisodeHTTPServer, episode_server
from undertow.agents.external.metering import Meter, MeteredCall, ProxyTarget, metering_routes
from undertow.agents.external.process import AgentProcess
from undertow.errors import UndertowError
from undertow.record import PlanItem, Usage

TRANSPORTS = ("http", "stdio")
PASSED_THROUGH = (
    "PATH", "HOME", "USER", "LANG", "LC_ALL", "LC_CTYPE", "TERM", "TMPDIR", "TZ",
    "PYTHONPATH", "VIRTUAL_ENV",
)  # fmt: skip
"""Host variables the agent process gets; the rest (API keys above all) it does not."""
RELAY = [sys.executable, "-m", "undertow.agents.external.stdio_relay"]


class ExternalAgentError(UndertowError):
    """The external agent could not be run, or stopped playing; the message says why."""


class MCPAgent:
    """Runs ``command`` per episode as an MCP client of the episode's tools."""

    name = "mcp"
    needs_plan = False

    def __init__(
        self,
        command: list[str] | str,
        *,
        transport: str = "http",
        env: dict[str, str] | None = None,
        model: str | None = None,
        api_base: str | None = None,
        api_key: str | None = None,
        model_timeout: float = 120.0,
        call_timeout: float = 300.0,
        exit_grace: float = 3.0,
        stop_grace: float = 2.0,
    ) -> None:
        """``command``: argv (or one shell-quoted string) with optional placeholders
        ``{mcp_url}``, ``{task_file}``, ``{workdir}``, ``{base_url}``. ``transport``: which
        endpoint the process is told to use (both are served). ``env``: more variables for it.
        ``model`` (a litellm string), ``api_base``, ``api_key``, ``model_timeout``: where the
        metering proxy forwards; without a model there is no proxy. ``call_timeout``: seconds
        to wait for the next tool call before the episode errors."""
        argv = shlex.split(command) if isinstance(command, str) else list(command)
        if not argv or not all(isinstance(part, str) and part for part in argv):
            raise ValueError("command must be a non-empty list of strings (or one string)")
        if transport not in TRANSPORTS:
            raise ValueError(f"transport must be one of {', '.join(TRANSPORTS)}, not {transport!r}")
        if min(call_timeout, exit_grace, stop_grace, model_timeout) <= 0:
            raise ValueError("call_timeout, exit_grace, stop_grace and model_timeout must be > 0")
        self.command = argv
        self.transport = transport
        self.extra_env = {str(k): str(v) for k, v in (env or {}).items()}
        self.target = ProxyTarget(model, api_base, api_key, model_timeout) if model else None
        self.call_timeout = call_timeout
        self.exit_grace = exit_grace
        self.stop_grace = stop_grace
        self.meter = Meter()
        self._bridge: ToolCallBridge | None = None
        self._server: EpisodeHTTPServer | None = None
        self._process: AgentProcess | None = None
        self._root: Path | None = None
        self._playing = False
        self._usage = Usage()
        self.model_calls: list[list[MeteredCall]] = []
        """Per step, the model calls that led to it (with each one's seconds)."""

    def reset(
        self,
        task: str,
        tools: list[dict[str, Any]],
        seed: int,
        plan: list[PlanItem] | None = None,
    ) -> None:
        self.close()
        self.meter = Meter()
        self.model_calls = []
        self._playing = False
        self._bridge = ToolCallBridge()
        self._root = Path(tempfile.mkdtemp(prefix="undertow-agent-"))
        workdir = self._root / "work"
        workdir.mkdir()
        task_file = self._root / "task.md"
        task_file.write_text(task)
        key = uuid.uuid4().hex
        routes = metering_routes(self.target, self.meter, key) if self.target else []
        try:
            self._server = EpisodeHTTPServer(episode_server(tools, self._bridge), routes).start()
            values = {
                "{mcp_url}": self._server.mcp_url,
                "{task_file}": str(task_file),
                "{workdir}": str(workdir),
                "{base_url}": f"{self._server.base_url}/v1",
            }
            argv = [_fill(part, values) for part in self.command]
            environment = self._environment(task, task_file, workdir, seed, key)
            self._process = AgentProcess(
                argv, env=environment, cwd=workdir, log=self._root / "agent.log"
            ).start()
        except (OSError, UndertowError) as exc:
            self.close()
            raise ExternalAgentError(f"the mcp agent could not start: {exc}") from None

    def _environment(
        self, task: str, task_file: Path, workdir: Path, seed: int, key: str
    ) -> dict[str, str]:
        assert self._server is not None
        environment = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
        environment.update(
            {
                "UNDERTOW_MCP_URL": self._server.mcp_url,
                "UNDERTOW_MCP_TRANSPORT": self.transport,
                "UNDERTOW_MCP_COMMAND": json.dumps([*RELAY, self._server.mcp_url]),
                "UNDERTOW_TASK": task,
                "UNDERTOW_TASK_FILE": str(task_file),
                "UNDERTOW_WORKDIR": str(workdir),
                "UNDERTOW_SEED": str(seed),
            }
        )
        if self.target is not None:
            base_url = f"{self._server.base_url}/v1"
            environment.update(
                {
                    "OPENAI_BASE_URL": base_url,
                    "OPENAI_API_BASE": base_url,
                    "OPENAI_API_KEY": key,
                    "UNDERTOW_MODEL": self.target.model,
                }
            )
        environment.update(self.extra_env)
        return environment

    def act(self, observation: dict[str, Any]) -> dict[str, Any]:
        """The agent's next tool call, once the last one has its result (``observation``)."""
        if self._bridge is None or self._process is None:
            raise ExternalAgentError("the mcp agent was not reset")
        if self._playing:
            self._bridge.answer(observation["text"], bool(observation["fields"].get("ok", True)))
        process = self._process
        call = self._bridge.next_call(self.call_timeout, lambda: process.returncode() is None)
        if call is None:
            raise ExternalAgentError(
                f"the agent process exited (code {process.returncode()}) before the episode "
                f"ended; it should end it with the env's finishing tool. Its last output:\n"
                f"{process.output_tail()}"
            )
        self._playing = True
        self._usage, calls = self.meter.take()
        self.model_calls.append(calls)
        return {"tool": call.tool, "args": call.args}

    def last_usage(self) -> Usage:
        """The tokens and cost of the model calls (through the proxy) that led to this step."""
        return self._usage

    def close(self) -> None:
        """End the episode's side: release waiting calls, stop the process and its children,
        stop the server, remove the working directory."""
        if self._bridge is not None:
            self._bridge.close()
        if self._process is not None:
            if not self._process.wait(self.exit_grace):
                self._process.stop(self.stop_grace)
            else:
                self._process.stop(grace=0.1)  # its children may still run
            self._process = None
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None


def _fill(part: str, values: dict[str, str]) -> str:
    for placeholder, value in values.items():
        part = part.replace(placeholder, value)
    return part
