"""``cli``: a coding-agent CLI that owns its loop, run inside the episode's sandbox.

Per episode, :class:`CLIAgent` starts the suite's ``command`` once in the env's sandbox (the
repository envs give it one through the rollout's ``attach_sandbox``), in the workspace, as the
sandbox's agent user, and records what it can observe of it as the episode's steps:

- each command the CLI runs through a shim (``undertow-exec``, ``$SHELL -c``, ``sh -c`` or
  ``bash -c`` found on its PATH) is a ``run`` step, and each ``undertow-tool`` call a step of
  that tool; the shim waits for the step and reports its result as its own;
- changes the CLI makes to the workspace directly are seen at its next turn (its next model
  call, command or exit) by comparing the workspace with its state after the last step, and are
  recorded as a step of their own: a ``run`` of the no-op ``:`` naming the files, with the
  changes in the step's ``extra``, so the env diffs and grades them like any change;
- model calls are steps only through what they lead to; but a CLI that makes
  ``model_calls_per_step`` of them without a step gets a step of its own (a no-op ``run``), so
  that the suite's token and cost limits stop a CLI that only thinks;
- when the CLI exits, the episode is finished for it (``finish``, with ``exit_confidence`` for
  exit code 0 and 0 otherwise, its output's end as the report).

While a step is played, and whenever the sandbox is looked at, the CLI is frozen (the sandbox
does that); it runs only while this agent waits for its next request. Its model calls reach the
metering proxy through the sandbox's relay (the container has no network): their tokens and
cost are the usage of the step they led to. What is and is not observed is written down in
``docs/your-own-agent.md``.

This module imports no env: the sandbox it is given is used through :class:`CLISandbox`.
"""

from __future__ import annotations

import base64
import json
import shlex
import time
import uuid
from collections import deque
from pathlib import Path
from typing import Any, Protocol

import httpx

from undertow.agents.external.mcp_agent import ExternalAgentError
from undertow.agents.external.mcp_server import EpisodeHTTPServer
from undertow.agents.external.metering import Meter, MeteredCall, ProxyTarget, metering_routes
from undertow.errors import UndertowError
from undertow.record import PlanItem, Usage

POLL_SECONDS = 1.0
NAMED_CHANGES = 20
"""Changed files named in a direct-changes step's command (all are in its ``extra``)."""
RECORDED_CHANGES = 500
OUTPUT_IN_REPORT = 1500
REFUSED_EXIT_CODE = 126
JSON = "application/json"


class RunningCLI(Protocol):
    """A CLI running in a sandbox (:class:`undertow.envs.sandbox.cli.CLISession`)."""

    def wait(self, timeout: float) -> dict[str, Any] | None: ...
    def reply(
        self, request_id: int, body: bytes, status: int = 200, content_type: str = JSON
    ) -> None: ...
    def thaw(self) -> list[str]: ...
    def stop(self, grace: float) -> dict[str, Any]: ...


class CLISandbox(Protocol):
    """What this agent needs of the env's sandbox (a repository env's)."""

    backend: str
    workdir: str

    def start_cli(
        self,
        argv: list[str],
        *,
        key: str,
        env: dict[str, str] | None = None,
        files: dict[str, bytes] | None = None,
        task: str = "",
        model: bool = False,
    ) -> RunningCLI: ...
    def snapshot(self, excludes: tuple[str, ...] = ()) -> dict[str, str]: ...
    def time_left(self) -> float | None: ...


class CLIAgent:
    """Runs ``command`` in the episode's sandbox; its commands, tool calls and direct file
    changes are the steps (see the module docstring)."""

    name = "cli"
    needs_plan = False

    def __init__(
        self,
        command: list[str] | str,
        *,
        files: dict[str, str] | None = None,
        env: dict[str, str] | None = None,
        model: str | None = None,
        api_base: str | None = None,
        api_key: str | None = None,
        model_timeout: float = 120.0,
        call_timeout: float = 300.0,
        exit_confidence: float = 1.0,
        stop_grace: float = 2.0,
        model_calls_per_step: int = 20,
    ) -> None:
        """``command``: argv, or one string run by ``/bin/sh -c``, inside the sandbox, with
        placeholders ``{workdir}``, ``{files}``, ``{task_file}``, ``{cli_dir}``, ``{base_url}``.
        ``files``: name -> path on this machine, copied into the sandbox's ``{files}`` folder
        (the CLI's script, its configuration). ``env``: more variables for it. ``model`` (a
        litellm string), ``api_base``, ``api_key``, ``model_timeout``: where the metering
        proxy forwards its model calls. ``call_timeout``: seconds the CLI may go without a
        request (a command, a tool call, a model call) before the episode errors.
        ``exit_confidence``: the confidence its exit with code 0 claims.
        ``model_calls_per_step``: model calls it may make without a step before they are
        recorded as one (so that the token and cost limits apply between its commands)."""
        argv = ["/bin/sh", "-c", command] if isinstance(command, str) else list(command)
        if not argv or not all(isinstance(part, str) and part for part in argv):
            raise ValueError("command must be a non-empty list of strings (or one string)")
        if min(call_timeout, stop_grace, model_timeout) <= 0:
            raise ValueError("call_timeout, stop_grace and model_timeout must be > 0")
        if not 0.0 <= exit_confidence <= 1.0:
            raise ValueError("exit_confidence must be between 0 and 1")
        if isinstance(model_calls_per_step, bool) or not isinstance(model_calls_per_step, int):
            raise ValueError("model_calls_per_step must be a whole number")
        if model_calls_per_step < 1:
            raise ValueError("model_calls_per_step must be at least 1")
        self.files = {str(name): Path(path) for name, path in (files or {}).items()}
        missing = [str(path) for path in self.files.values() if not path.is_file()]
        if missing:
            raise ValueError(f"files: no such file {', '.join(missing)}")
        self.command = argv
        self.extra_env = {str(k): str(v) for k, v in (env or {}).items()}
        self.target = ProxyTarget(model, api_base, api_key, model_timeout) if model else None
        self.call_timeout = call_timeout
        self.exit_confidence = exit_confidence
        self.stop_grace = stop_grace
        self.model_calls_per_step = model_calls_per_step
        self.meter = Meter()
        self.model_calls: list[list[MeteredCall]] = []
        """Per step, the model calls that led to it (with each one's seconds)."""
        self.stopped: dict[str, Any] = {}
        """How the CLI ended: its exit code, its output's end, processes that had to be killed."""
        self._sandbox: CLISandbox | None = None
        self._run: RunningCLI | None = None
        self._proxy: EpisodeHTTPServer | None = None
        self._http: httpx.Client | None = None
        self._task = ""
        self._seed = 0
        self._key = ""
        self._pending: deque[dict[str, Any]] = deque()
        self._in_play: dict[str, Any] | None = None
        self._exited = False
        self._seen: dict[str, str] = {}
        self._frozen = False
        self._notes: list[str] = []
        self._usage = Usage()
        self._extra: dict[str, Any] = {}
        self._thinking = 0
        """Model calls since the last step."""

    # ---- the episode --------------------------------------------------------------------------

    def attach_sandbox(self, sandbox: Any) -> None:
        """The env's sandbox, where the CLI runs (the rollout calls this before ``reset``)."""
        needed = ("start_cli", "snapshot", "time_left", "workdir")
        if not all(hasattr(sandbox, name) for name in needed):
            raise ExternalAgentError(f"the cli agent cannot run a CLI in {sandbox!r}")
        self._sandbox = sandbox

    def reset(
        self,
        task: str,
        tools: list[dict[str, Any]],
        seed: int,
        plan: list[PlanItem] | None = None,
    ) -> None:
        self.close()  # an earlier episode's CLI and proxy, if this agent played one
        if self._sandbox is None:
            raise ExternalAgentError(
                "the cli agent runs inside an environment's sandbox, and this one has none: "
                "use a repository env (undertow/Repo-v0, undertow/OwnRepo-v0)"
            )
        self.meter = Meter()
        self.model_calls = []
        self.stopped = {}
        self._task, self._seed = task, seed
        self._key = uuid.uuid4().hex
        self._pending.clear()
        self._in_play, self._exited, self._frozen = None, False, False
        self._notes = []
        if self.target is not None:
            routes = metering_routes(self.target, self.meter, self._key)
            try:
                self._proxy = EpisodeHTTPServer(None, routes).start()
            except UndertowError as exc:
                raise ExternalAgentError(f"the metering proxy could not start: {exc}") from None
            self._http = httpx.Client(timeout=self.target.timeout + 30.0)

    def act(self, observation: dict[str, Any]) -> dict[str, Any]:
        """The next step: the CLI's next command or tool call, the changes it made directly,
        or its exit (then ``finish``)."""
        if self._run is None:
            self._start()
        else:
            self._after_step(observation)
        while True:
            event = self._next_event()
            if event is None:  # the episode's time is up: observe what is there, then stop
                return self._observed("time_up", self._changes())
            if not event.get("checked"):
                changes = self._changes()
                if changes:
                    self._pending.appendleft({**event, "checked": True})
                    return self._observed("direct_changes", changes)
            kind = event.get("kind")
            if kind == "model":
                self._thaw()
                self._forward(event)
                self._thinking += 1
                if self._thinking >= self.model_calls_per_step:
                    return self._observed("model_calls", self._changes())
                continue
            if kind == "exit":
                return self._finish(event)
            self._in_play = event
            if kind == "tool":
                return self._step({"tool": event["tool"], "args": event["args"]}, "tool")
            return self._step(self._run_action(event), "shim", cwd=event.get("cwd", ""))

    def last_usage(self) -> Usage:
        """The tokens and cost of the model calls (through the proxy) that led to this step."""
        return self._usage

    def step_extra(self) -> dict[str, Any]:
        """What the rollout keeps in the step's ``extra``: how the step was observed."""
        return self._extra

    def close(self) -> None:
        """Stop the CLI and everything it started, and the metering proxy."""
        self._stop()
        if self._http is not None:
            self._http.close()
            self._http = None
        if self._proxy is not None:
            self._proxy.stop()
            self._proxy = None

    # ---- the CLI -------------------------------------------------------------------------------

    def _start(self) -> None:
        assert self._sandbox is not None
        self._seen = self._sandbox.snapshot()  # the workspace before the CLI's first move
        environment = {"UNDERTOW_TASK": self._task, "UNDERTOW_SEED": str(self._seed)}
        if self.target is not None:
            environment["UNDERTOW_MODEL"] = self.target.model
        environment.update(self.extra_env)
        files = {name: path.read_bytes() for name, path in self.files.items()}
        try:
            self._run = self._sandbox.start_cli(
                self.command,
                key=self._key,
                env=environment,
                files=files,
                task=self._task,
                model=self.target is not None,
            )
        except UndertowError as exc:
            raise ExternalAgentError(f"the CLI could not start: {exc}") from None

    def _stop(self) -> None:
        if self._run is None:
            return
        run, self._run = self._run, None
        try:
            self.stopped = run.stop(self.stop_grace)
        except UndertowError:  # the sandbox is gone already, and the CLI with it
            self.stopped = {"exit_code": None, "output": "", "killed": 0}

    def _after_step(self, observation: dict[str, Any]) -> None:
        """The step is played: its result goes back to the shim that asked for it, the
        workspace is noted as the step left it, and the CLI runs again."""
        if self._exited:
            raise ExternalAgentError(
                f"the CLI has exited, but the env did not end the episode: {observation['text']}"
            )
        if self._in_play is not None:
            self._answer(self._in_play, observation)
            self._in_play = None
        self._seen = self._snapshot()
        if not self._pending:  # else the request held back for the changes step comes first
            self._thaw()

    def _next_event(self) -> dict[str, Any] | None:
        """The CLI's next request or its exit; None once the episode's time is up."""
        if self._pending:
            return self._pending.popleft()
        assert self._run is not None and self._sandbox is not None
        started = time.monotonic()
        while True:
            left = self._sandbox.time_left()
            if left is not None and left <= 0:
                return None
            event = self._run.wait(POLL_SECONDS if left is None else min(POLL_SECONDS, left))
            if event is not None:
                return event
            if time.monotonic() - started > self.call_timeout:
                raise ExternalAgentError(
                    f"the CLI made no request for {self.call_timeout:g} s (option call_timeout)"
                )

    def _snapshot(self) -> dict[str, str]:
        assert self._sandbox is not None
        snapshot = dict(self._sandbox.snapshot())
        self._frozen = True  # the sandbox froze the CLI to take it
        return snapshot

    def _thaw(self) -> None:
        if self._frozen and self._run is not None:
            self._notes.extend(self._run.thaw())
            self._frozen = False

    def _changes(self) -> dict[str, str]:
        """Files changed since the workspace was last noted: path -> added/modified/deleted."""
        current = self._snapshot()
        seen, self._seen = self._seen, current
        return {
            path: "added" if path not in seen else "deleted" if path not in current else "modified"
            for path in sorted(seen.keys() | current.keys())
            if seen.get(path) != current.get(path)
        }

    # ---- steps --------------------------------------------------------------------------------

    def _step(self, action: dict[str, Any], source: str, **seen: Any) -> dict[str, Any]:
        """Return ``action`` as the step, with the model calls that led to it."""
        self._usage, calls = self.meter.take()
        self.model_calls.append(calls)
        self._thinking = 0
        record: dict[str, Any] = {"source": source, **seen}
        if calls:
            record["model_calls"] = [
                {
                    "prompt_tokens": c.prompt_tokens,
                    "completion_tokens": c.completion_tokens,
                    "seconds": round(c.seconds, 3),
                    "status": c.status,
                }
                for c in calls
            ]
        if self._notes:
            record["notes"], self._notes = self._notes, []
        self._extra = {"cli": _text_safe(record)}
        return action

    def _observed(self, source: str, changes: dict[str, str]) -> dict[str, Any]:
        """A step of the changes the CLI made directly (a no-op ``run`` naming them), of the
        time running out, or of model calls without a command: the env diffs the workspace
        after it, like after any command."""
        listed = list(changes.items())[:NAMED_CHANGES]
        named = ", ".join(f"{path} ({kind})" for path, kind in listed)
        if len(changes) > NAMED_CHANGES:
            named += f" and {len(changes) - NAMED_CHANGES} more"
        reason = {
            "time_up": "the episode's time is up",
            "model_calls": f"the CLI made {self._thinking} model calls without a command",
        }.get(source)
        if reason is None:
            text = f"the CLI changed files directly: {named}"
        else:
            text = reason + (f"; changed directly: {named}" if named else "")
        recorded = dict(list(changes.items())[:RECORDED_CHANGES])
        seen: dict[str, Any] = {"changes": recorded} if changes else {}
        if len(changes) > RECORDED_CHANGES:
            seen["more_changes"] = len(changes) - RECORDED_CHANGES
        command = f": {shlex.quote(_text_safe(text))}"
        return self._step({"tool": "run", "args": {"command": command}}, source, **seen)

    def _finish(self, event: dict[str, Any]) -> dict[str, Any]:
        self._exited = True
        code = event.get("exit_code")
        output = str(event.get("output", ""))[-OUTPUT_IN_REPORT:]
        report = f"The CLI exited with code {code}."
        if output:
            report += f" The end of its output:\n{output}"
        confidence = self.exit_confidence if code == 0 else 0.0
        action = {"tool": "finish", "args": {"confidence": confidence, "report": report}}
        return self._step(action, "exit", exit_code=code)

    def _run_action(self, event: dict[str, Any]) -> dict[str, Any]:
        """The shim's command as the env's ``run``, in the folder the shim was called in."""
        assert self._sandbox is not None
        command = str(event.get("command", ""))
        cwd = str(event.get("cwd") or "")
        if cwd and cwd.rstrip("/") != self._sandbox.workdir.rstrip("/"):
            command = f"cd {shlex.quote(cwd)} || exit {REFUSED_EXIT_CODE}\n{command}"
        args: dict[str, Any] = {"command": command}
        if event.get("timeout") is not None:
            args["timeout"] = event["timeout"]
        return {"tool": "run", "args": args}

    def _answer(self, event: dict[str, Any], observation: dict[str, Any]) -> None:
        """The step's observation, as the shim reports it: a command's output and exit code;
        a tool's text, exit code 0 (1 when the env said the call failed)."""
        assert self._run is not None
        text = str(observation.get("text", ""))
        fields = observation.get("fields", {})
        ok = bool(fields.get("ok", True))
        if event.get("kind") != "exec":
            answer = {"output": text.rstrip("\n") + "\n", "exit_code": 0 if ok else 1}
        elif ok and isinstance(fields.get("exit_code"), int):
            output = text.split("\n", 1)[1] if text.startswith("exit code ") else text
            answer = {"output": output, "exit_code": fields["exit_code"]}
        else:  # refused by the env (the reason is the observation)
            answer = {"output": "", "error": text, "exit_code": REFUSED_EXIT_CODE}
        self._run.reply(event["id"], json.dumps(answer).encode())

    def _forward(self, event: dict[str, Any]) -> None:
        """A model call, forwarded to the metering proxy; its answer goes back to the CLI."""
        assert self._run is not None
        if self._http is None or self._proxy is None:
            body = json.dumps({"error": {"message": "no model is configured"}}).encode()
            self._run.reply(event["id"], body, 404)
            return
        try:
            response = self._http.request(
                str(event.get("method", "POST")),
                self._proxy.base_url + str(event.get("path", "")),
                content=base64.b64decode(str(event.get("body", ""))),
                headers={
                    "Authorization": f"Bearer {self._key}",
                    "Content-Type": str(event.get("content_type", JSON)),
                },
            )
        except httpx.HTTPError as exc:
            body = json.dumps({"error": {"message": f"the metering proxy failed: {exc}"}}).encode()
            self._run.reply(event["id"], body, 502)
            return
        content_type = response.headers.get("content-type", JSON)
        self._run.reply(event["id"], response.content, response.status_code, content_type)


def _text_safe(value: Any) -> Any:
    """``value`` with every string valid UTF-8 (a file name may not be)."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, list):
        return [_text_safe(item) for item in value]
    if isinstance(value, dict):
        return {_text_safe(key): _text_safe(item) for key, item in value.items()}
    return value
