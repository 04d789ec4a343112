"""A coding-agent CLI in a sandbox, on both backends: it runs as the agent's user for the whole
session, survives the kill at each command's end, is frozen while anything else happens in the
sandbox, reaches the host only through the relay's events, keeps no channel a grading process
could write to, and it and everything it started are stopped at the end."""

from __future__ import annotations

import json
import textwrap
import time
from typing import Any

import pytest

from undertow.envs.sandbox.base import WorkerSandbox
from undertow.envs.sandbox.cli import CLISession

KEY = "session-key"
HANG_SECONDS = 120.0
LIVING = (
    "ps -u $(id -u) -o pid=,stat=,args= | grep -v ' Z' | grep -v 'ps -u' | grep -cv 'grep ' || true"
)
"""How many processes of the agent's user run, besides this command's own shell and pipes."""


def start(sandbox: WorkerSandbox, script: str, **options: Any) -> CLISession:
    files = {"cli.sh": textwrap.dedent(script).encode(), **options.pop("files", {})}
    return sandbox.start_cli(["bash", "{files}/cli.sh"], key=KEY, files=files, **options)


def next_event(session: CLISession) -> dict[str, Any]:
    deadline = time.monotonic() + HANG_SECONDS  # a guard against a hang, not a measurement
    while time.monotonic() < deadline:
        event = session.wait(1.0)
        if event is not None:
            return event
    pytest.fail(f"the CLI sent nothing for {HANG_SECONDS:g} s")


def answer(session: CLISession, event: dict[str, Any], output: str, code: int = 0) -> None:
    session.reply(event["id"], json.dumps({"output": output, "exit_code": code}).encode())


def serve(sandbox: WorkerSandbox, session: CLISession) -> list[dict[str, Any]]:
    """Play the CLI's requests as the cli agent does, to its exit: each command run in the
    sandbox, its result back, the CLI thawed. Returns the requests, the exit last."""
    events = []
    while True:
        event = next_event(session)
        events.append(event)
        if event["kind"] == "exit":
            return events
        if event["kind"] == "exec":
            cwd = event["cwd"].removeprefix(sandbox.workdir).lstrip("/") or "."
            result = sandbox.exec(event["command"], timeout=30, cwd=cwd)
            answer(session, event, result.stdout + result.stderr, result.exit_code)
        else:
            answer(session, event, f"{event['tool']} called\n")
        session.thaw()


def test_the_cli_runs_in_the_workspace_and_its_commands_come_through_the_shims(
    sandbox: WorkerSandbox,
) -> None:
    session = start(
        sandbox,
        """
        id -u > whoami
        echo "$HOME" > home
        undertow-exec 'echo one' > out
        sh -c 'echo two; exit 3' >> out; echo "status $?" >> out
        bash -lc 'echo three' >> out
        sh -c 'echo "$0 $1"' zero first >> out
        "$SHELL" -c 'echo four' >> out
        mkdir -p sub && (cd sub && undertow-exec pwd >> ../out)
        undertow-exec --timeout 5 echo several words >> out
        echo 'echo unobserved' > script.sh && bash script.sh >> out
        undertow-tool submit_ticket '{"id": "T1", "confidence": 0.5}' >> out
        """,
    )
    events = serve(sandbox, session)
    commands = [e.get("command", e.get("tool")) for e in events[:-1]]
    assert commands == [
        "echo one",
        "echo two; exit 3",
        "bash -lc 'echo three'",
        "sh -c 'echo \"$0 $1\"' zero first",
        "echo four",
        "pwd",
        "echo several words",
        "submit_ticket",
    ]
    assert events[5]["cwd"] == f"{sandbox.workdir}/sub" and events[6]["timeout"] == 5
    assert events[-2]["args"] == {"id": "T1", "confidence": 0.5}
    assert events[-1] == {"kind": "exit", "exit_code": 0, "output": ""}
    agent_uid = sandbox.exec("id -u").stdout
    assert sandbox.read_file("whoami") == agent_uid and agent_uid != "0\n"
    assert not sandbox.read_file("home").startswith(sandbox.workdir)
    assert sandbox.read_file("out") == (
        "one\ntwo\nstatus 3\nthree\nzero first\nfour\n"
        f"{sandbox.workdir}/sub\nseveral words\nunobserved\nsubmit_ticket called\n"
    )


def test_the_cli_outlives_each_command_and_is_frozen_while_one_runs(
    sandbox: WorkerSandbox,
) -> None:
    session = start(
        sandbox,
        """
        (while true; do echo tick >> counter; sleep 0.01; done) &
        echo $! > ticker
        until [ -s counter ]; do sleep 0.01; done
        for round in 1 2 3; do
            undertow-exec 'a=$(wc -l < counter); sleep 0.3; echo "$a $(wc -l < counter)"' >> seen
        done
        undertow-exec "kill -0 $(cat ticker) && echo ticker alive" >> seen
        """,
    )
    serve(sandbox, session)
    *rounds, last = sandbox.read_file("seen").splitlines()
    assert len(rounds) == 3
    for line in rounds:  # nothing of the CLI ran while its command did
        before, after = line.split()
        assert before == after, rounds
    assert last == "ticker alive"  # and the kill at the end of each command spared it


def test_a_command_cannot_wake_the_cli_for_long(sandbox: WorkerSandbox) -> None:
    """A command may SIGCONT the frozen CLI: what the CLI starts meanwhile dies with the
    command, and the CLI is frozen again before the sandbox is looked at."""
    session = start(
        sandbox,
        """
        (while true; do echo tick >> counter; sleep 0.01; done) &
        until [ -s counter ]; do sleep 0.01; done
        undertow-exec 'kill -CONT -1; sleep 0.3; echo woken'
        """,
    )
    event = next_event(session)
    result = sandbox.exec(event["command"], timeout=30)
    assert result.stdout == "woken\n"
    first = sandbox.read_file("counter")
    sandbox.exec("sleep 0.3", timeout=30)
    assert sandbox.read_file("counter") == first  # frozen again
    answer(session, event, result.stdout)
    session.thaw()
    assert next_event(session)["kind"] == "exit"


def test_a_child_killed_while_the_cli_is_frozen_does_not_stop_the_cli(
    sandbox: WorkerSandbox,
) -> None:
    """A process of the CLI killed by a command stays a zombie while its parent is frozen:
    the CLI is frozen again at once, and nothing of it is killed for "not stopping"."""
    session = start(
        sandbox,
        """
        sleep 300 & echo $! > child
        undertow-exec "kill -9 $(cat child)"
        wait "$(cat child)"
        echo "child reaped: $?" > reaped
        """,
    )
    event = next_event(session)
    result = sandbox.exec(event["command"], timeout=30)
    assert result.exit_code == 0, result.stderr
    assert sandbox.exec("echo looked").stdout == "looked\n"  # frozen again, the zombie with it
    answer(session, event, result.stdout, result.exit_code)
    assert session.thaw() == []
    end = next_event(session)
    assert (end["kind"], end["exit_code"]) == ("exit", 0), end
    assert sandbox.read_file("reaped") == "child reaped: 137\n"


RUNAWAY = """
trap '' TERM
spawn() {
    setsid /bin/bash -c 'trap "" 15; echo $$ >> pids; while :; do (sleep 30 &); sleep 0.05; done' &
}
echo $$ >> pids
for child in 1 2 3; do spawn; done
until [ "$(wc -l < pids)" -ge 4 ]; do sleep 0.01; done
while true; do undertow-exec 'echo busy' > /dev/null; done
"""


def test_a_runaway_cli_and_everything_it_started_are_stopped(sandbox: WorkerSandbox) -> None:
    session = start(sandbox, RUNAWAY)
    for _ in range(4):  # it keeps asking; its children keep forking and left its session
        event = next_event(session)
        answer(session, event, "busy\n")
        session.thaw()
    next_event(session)  # frozen with a request in play, as at an episode's limit
    assert len(sandbox.read_file("pids").split()) == 4
    stopped = session.stop(0.5)
    assert stopped["killed"] >= 4  # SIGTERM was not enough
    assert sandbox.exec(LIVING).stdout == "0\n"
    assert sandbox.exec("echo next").stdout == "next\n"


RELAY_PROBE = """
import json, socket, sys, urllib.error, urllib.request
url, key = sys.argv[1], sys.argv[2]

def status(path, body=b"{}", headers=None, method="POST"):
    request = urllib.request.Request(url + path, data=body if method == "POST" else None,
                                     headers=headers or {}, method=method)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code

auth = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}
host, port = url.split("//")[1].split(":")
results = {
    "no key": status("/undertow/exec", b'{"command": "true"}'),
    "wrong key": status("/undertow/exec", b'{"command": "true"}', {"Authorization": "Bearer x"}),
    "no model": status("/v1/chat/completions", b"{}", auth),
    "unknown path": status("/elsewhere", b"{}", auth),
    "not json": status("/undertow/exec", b"{nope", auth),
    "not a command": status("/undertow/exec", b'{"command": 7}', auth),
    "get exec": status("/undertow/exec", headers=auth, method="GET"),
}
big = socket.create_connection((host, int(port)))
big.sendall(b"POST /undertow/exec HTTP/1.1\\r\\nAuthorization: Bearer " + key.encode()
            + b"\\r\\nContent-Length: 999999999\\r\\n\\r\\n")
results["huge body"] = int(big.recv(100).split()[1])
garbage = socket.create_connection((host, int(port)))
garbage.sendall(b"GARBAGE \\x00\\xff HTTP/1.1\\r\\n\\r\\n")
results["garbage"] = int(garbage.recv(100).split()[1])
idle = [socket.create_connection((host, int(port))) for _ in range(40)]  # more than it serves
busy = 0
for connection in idle[-8:]:
    connection.settimeout(30)
    busy += connection.recv(100).startswith(b"HTTP/1.0 503")
results["turned away"] = busy
for connection in idle:
    connection.close()
print(json.dumps(results))
"""


def test_the_relay_answers_only_the_sessions_key_and_stays_up_under_a_flood(
    sandbox: WorkerSandbox,
) -> None:
    session = start(
        sandbox,
        """
        python3 "$UNDERTOW_CLI_DIR/files/probe.py" "$UNDERTOW_CLI_URL" {KEY} > relay.json
        undertow-exec 'echo still served' > after
        """.replace("{KEY}", KEY),
        files={"probe.py": RELAY_PROBE.encode()},
    )
    events = serve(sandbox, session)
    assert [e["kind"] for e in events] == ["exec", "exit"]  # no refused request became one
    results = json.loads(sandbox.read_file("relay.json"))
    assert results == {
        "no key": 401,
        "wrong key": 401,
        "no model": 404,
        "unknown path": 404,
        "not json": 400,
        "not a command": 400,
        "get exec": 405,
        "huge body": 413,
        "garbage": 501,
        "turned away": 8,
    }
    assert sandbox.read_file("after") == "still served\n"


ABSOLUTE_TARGET = """
import socket, sys
host, port = sys.argv[1].split("//")[1].split(":")
for target in ("http://evil.example/v1/chat/completions?x=1", "//evil.example/v1/models"):
    connection = socket.create_connection((host, int(port)))
    connection.sendall(f"POST {target} HTTP/1.1\\r\\nAuthorization: Bearer {sys.argv[2]}\\r\\n"
                       "Content-Length: 2\\r\\n\\r\\n{}".encode())
    print(connection.recv(1000).split()[1].decode())
"""


def test_a_model_call_names_no_host_but_the_proxy(sandbox: WorkerSandbox) -> None:
    """A request target with a host of its own reaches the host as its path only (and a
    ``//host/...`` one is a path of the relay's, none it serves)."""
    session = start(
        sandbox,
        """python3 "$UNDERTOW_CLI_DIR/files/target.py" "$UNDERTOW_CLI_URL" {KEY} > codes""".replace(
            "{KEY}", KEY
        ),
        files={"target.py": ABSOLUTE_TARGET.encode()},
        model=True,
    )
    event = next_event(session)
    assert (event["kind"], event["path"]) == ("model", "/v1/chat/completions?x=1"), event
    session.reply(event["id"], b"{}", 200)
    assert next_event(session)["kind"] == "exit"  # "//evil.example/v1/models" is no model path
    assert sandbox.read_file("codes") == "200\n404\n"


PEER_PROBE = """
import sys, urllib.error, urllib.request
request = urllib.request.Request(sys.argv[1] + "/undertow/exec", data=b'{"command": "true"}',
                                 headers={"Authorization": "Bearer " + sys.argv[2]})
try:
    urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=30)
    print("accepted")
except urllib.error.HTTPError as error:
    print("refused", error.code)
except OSError as error:
    print("unreachable", error)
"""


def test_a_grading_process_holding_the_key_is_refused_by_the_relay(
    sandbox: WorkerSandbox,
) -> None:
    session = start(sandbox, "undertow-exec 'echo hi'")
    event = next_event(session)
    argv = ["python3", "-c", PEER_PROBE, session.url, KEY]
    run = sandbox.run_isolated(30, mode="command", argv=argv)
    assert run.output.strip() == "refused 403", run
    answer(session, event, "hi\n")
    session.thaw()
    assert next_event(session)["kind"] == "exit"  # the refused request never became one


LISTENER = """
import os, socket, sys, threading
tcp = socket.socket()
tcp.bind(("127.0.0.1", 0))
tcp.listen()
abstract = socket.socket(socket.AF_UNIX)
abstract.bind("\\0undertow-test-loot-" + sys.argv[1])
abstract.listen()
with open("port.tmp", "w") as out:
    out.write(str(tcp.getsockname()[1]))
os.rename("port.tmp", "port")

def keep(server):
    while True:
        connection, _ = server.accept()
        with open("received", "ab") as out:
            out.write(connection.recv(1000))

threading.Thread(target=keep, args=(abstract,), daemon=True).start()
keep(tcp)
"""
WATCHER = """
import ctypes, os, struct
libc = ctypes.CDLL(None, use_errno=True)
instance = libc.inotify_init()
libc.inotify_add_watch(instance, b"/tmp", 0x100)  # IN_CREATE
open("watching", "w").close()
while True:
    data = os.read(instance, 4096)
    with open("seen", "ab") as out:
        out.write(data[16:])
"""
SENDER = """
import socket, sys
sent = []
for address, family in ((("127.0.0.1", int(sys.argv[1])), socket.AF_INET),
                        ("\\0undertow-test-loot-" + sys.argv[2], socket.AF_UNIX)):
    try:
        connection = socket.socket(family)
        connection.connect(address)
        connection.sendall(b"the expected values")
        sent.append(family.name)
    except OSError as error:
        sent.append(f"{family.name} {error.__class__.__name__}")
open("/tmp/undertow-test-signal-" + sys.argv[2], "w").close()
print(sent)
"""


def test_channels_a_grading_process_could_write_to_are_closed_before_it_runs(
    sandbox: WorkerSandbox,
) -> None:
    """A frozen listener's backlog would take a grading process's connection, and a frozen
    inotify watcher would see the files it creates: their processes are killed first."""
    tag = str(time.monotonic_ns())
    session = start(
        sandbox,
        f"""
        python3 "$UNDERTOW_CLI_DIR/files/listener.py" {tag} &
        python3 "$UNDERTOW_CLI_DIR/files/watcher.py" &
        until [ -e port ] && [ -e watching ]; do sleep 0.01; done
        undertow-exec 'echo graded next'
        sleep 1
        """,
        files={"listener.py": LISTENER.encode(), "watcher.py": WATCHER.encode()},
    )
    event = next_event(session)
    port = sandbox.read_file("port")
    run = sandbox.run_isolated(30, mode="command", argv=["python3", "-c", SENDER, port, tag])
    assert "ConnectionRefusedError" in run.output, run  # both listeners were gone
    answer(session, event, "graded next\n")
    notes = session.thaw()
    assert sum("socket" in note for note in notes) == 1, notes  # one process held both
    assert sum("inotify" in note for note in notes) == 1, notes
    end = next_event(session)
    assert end["kind"] == "exit" and end["exit_code"] == 0  # the CLI itself lived on
    files = sandbox.list_files()
    assert "received" not in files and "seen" not in files
