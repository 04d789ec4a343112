"""The shims a coding-agent CLI finds first on its PATH in the sandbox (standard library only).

One file, installed as ``undertow-exec`` with ``undertow-tool``, ``sh`` and ``bash`` linked to it;
it acts by the name it is called by. Each hands its request to the session's relay on the
sandbox's 127.0.0.1 (:mod:`undertow.envs.sandbox.cli_session`), waits until Undertow has played
it as a step of the episode, and reports the step's result as its own:

- ``undertow-exec [--timeout SECONDS] COMMAND`` runs ``COMMAND`` (one shell string, or several
  words that are quoted and joined) as the env's ``run`` tool, in the shim's working folder.
  It prints the command's output (stdout and stderr together, as the env reports them) and
  exits with the command's exit code; 124 when it timed out, 126 when the env refused it.
- ``undertow-tool NAME [JSON]`` calls any of the env's tools (``submit_ticket``, ``finish``,
  ...) with the JSON object as its arguments, prints the result, exits 0 (1 if the env said
  the call failed).
- ``sh -c COMMAND`` and ``bash -c COMMAND`` (with other short options, ``-lc``, ``-ec``, or
  arguments after the command, the whole invocation is run) go through ``undertow-exec``;
  any other use of ``sh`` or ``bash`` (a script, an interactive shell) runs the real shell,
  unobserved.

Exit code 125 means the relay could not be reached or refused the request; the message says
why.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
import urllib.error
import urllib.request
from typing import Any, NoReturn

FOLDER = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REAL_SHELLS = {"sh": "/bin/sh", "bash": "/bin/bash"}
RELAY_FAILED = 125
BUSY = 503
BUSY_RETRIES = 50
BUSY_PAUSE_SECONDS = 0.1


def _fail(message: str, code: int = RELAY_FAILED) -> NoReturn:
    sys.stderr.write(f"{os.path.basename(sys.argv[0])}: {message}\n")
    sys.exit(code)


def _post(path: str, payload: dict[str, Any]) -> dict[str, Any]:
    try:
        with open(os.path.join(FOLDER, "session.json")) as handle:
            session = json.load(handle)
    except (OSError, ValueError) as exc:
        _fail(f"cannot read the session's address ({exc})")
    request = urllib.request.Request(
        session["url"] + path,
        data=json.dumps(payload).encode(),
        headers={"Authorization": f"Bearer {session['key']}", "Content-Type": "application/json"},
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    for attempt in range(BUSY_RETRIES + 1):
        try:
            with opener.open(request) as response:
                answer: dict[str, Any] = json.load(response)
                return answer
        except urllib.error.HTTPError as exc:
            try:
                message = json.load(exc)["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = str(exc)
            if exc.code != BUSY or attempt == BUSY_RETRIES:
                _fail(f"the relay refused the request: {message}")
        except (OSError, ValueError) as exc:
            _fail(f"the relay could not be reached ({exc})")
        time.sleep(BUSY_PAUSE_SECONDS)  # the relay serves a bounded number at once
    raise AssertionError("unreachable")


def _report(answer: dict[str, Any]) -> NoReturn:
    sys.stdout.buffer.write(str(answer.get("output", "")).encode("utf-8", "replace"))
    sys.stdout.flush()
    if answer.get("error"):
        sys.stderr.write(str(answer["error"]).rstrip("\n") + "\n")
    code = answer.get("exit_code", RELAY_FAILED)
    sys.exit(code if isinstance(code, int) and 0 <= code <= 255 else RELAY_FAILED)


def _working_folder() -> str:
    try:
        return os.getcwd()
    except OSError:
        return os.environ.get("PWD", "")


def run(command: str, timeout: float | None = None) -> NoReturn:
    """Hand ``command`` to Undertow as one ``run`` step and report its result."""
    payload = {"command": command, "cwd": _working_folder(), "timeout": timeout}
    _report(_post("/undertow/exec", payload))


def exec_main(args: list[str]) -> NoReturn:
    timeout = None
    if args[:1] == ["--timeout"]:
        if len(args) < 2:
            _fail("--timeout needs a number of seconds", 2)
        try:
            timeout = float(args[1])
        except ValueError:
            _fail(f"--timeout needs a number of seconds, not {args[1]!r}", 2)
        args = args[2:]
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        _fail("usage: undertow-exec [--timeout SECONDS] COMMAND [ARGUMENTS...]", 2)
    run(args[0] if len(args) == 1 else shlex.join(args), timeout)


def tool_main(args: list[str]) -> NoReturn:
    if not args or len(args) > 2:
        _fail("usage: undertow-tool TOOL [JSON_ARGUMENTS]", 2)
    try:
        arguments = json.loads(args[1]) if len(args) == 2 else {}
    except ValueError as exc:
        _fail(f"the arguments are not JSON ({exc})", 2)
    _report(_post("/undertow/tool", {"tool": args[0], "args": arguments}))


def shell_main(name: str, args: list[str]) -> NoReturn:
    """``-c COMMAND`` goes to Undertow; anything else is the real shell's."""
    options: list[str] = []
    for index, arg in enumerate(args):
        if arg.startswith("--") and arg != "--":
            options.append(arg)  # --login, --norc, ...
            continue
        if not arg.startswith("-") or arg in ("-", "--"):
            break  # a script, or the end of the options
        if "c" in arg[1:] and index + 1 < len(args):
            command, rest = args[index + 1], args[index + 2 :]
            if options or arg != "-c" or rest:  # run the whole invocation as it was asked for
                command = shlex.join([name, *options, arg, command, *rest])
            run(command)
        options.append(arg)
    os.execv(REAL_SHELLS[name], [name, *args])


def main() -> NoReturn:
    name, args = os.path.basename(sys.argv[0]), sys.argv[1:]
    if name in REAL_SHELLS:
        shell_main(name, args)
    if name == "undertow-tool":
        tool_main(args)
    exec_main(args)


if __name__ == "__main__":
    main()
