"""External agents over MCP, played by clients nobody here wrote: the official `mcp` client and
a langgraph agent on langchain-mcp-adapters. Each plays the env's reference plan, so its
trajectory must be the one an in-process agent making the same calls gets."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import gymnasium
import pytest

import undertow.envs  # noqa: F401
from tests.helpers import run_undertow
from undertow.agents.external.mcp_agent import MCPAgent
from undertow.agents.fake_server import FakeLLMServer, Reply
from undertow.agents.registry import make_agent
from undertow.record import EpisodeStatus, Trajectory, Usage
from undertow.record.store import RunStore
from undertow.scenarios.runner import run_episode
from undertow.scenarios.suite import Episode, expand, parse_suite

CLIENTS = Path(__file__).parent / "clients"
SCENARIOS = {
    "desk": "{name: desk, env: undertow/Helpdesk-v0, options: {days: 1, tickets_per_day: 3}, "
    "limits: {max_steps: MAX}}",
    "repo": "{name: repo, env: undertow/Repo-v0, options: {tickets: 1, sandbox: local}, "
    "limits: {max_steps: MAX}}",
}


def suite_text(scenario: str, agent: dict[str, Any], max_steps: int = 200) -> str:
    return (
        f"name: mcp-test\nscenarios:\n  - {SCENARIOS[scenario].replace('MAX', str(max_steps))}\n"
        f"agents:\n  - {json.dumps(agent)}\nseeds: {{public: 0}}\n"
    )


def episode(scenario: str, agent: dict[str, Any], max_steps: int = 200) -> Episode:
    return expand(parse_suite(suite_text(scenario, agent, max_steps), "test"))[0]


def plan_calls(scenario: str) -> list[list[Any]]:
    """The env's reference plan as [tool, args] calls (what an MCP client can send)."""
    spec = parse_suite(suite_text(scenario, {"id": "oracle"}), "test").scenarios[0]
    env: Any = gymnasium.make(spec.env, **spec.options).unwrapped
    env.reset(seed=0)
    calls = [[a.tool, a.args] for item in env.reference_plan() for a in item.actions]
    env.close()
    return calls


class Replay:
    """The in-process agent making the same calls."""

    name = "replay"
    needs_plan = False

    def __init__(self, calls: list[list[Any]]) -> None:
        self.calls = list(calls)

    def reset(self, task: str, tools: list, seed: int, plan: Any = None) -> None:
        pass

    def act(self, observation: dict) -> dict[str, Any]:
        tool, args = self.calls.pop(0)
        return {"tool": tool, "args": args}

    def last_usage(self) -> Usage:
        return Usage()


def shape(trajectory: Trajectory, scenario: str) -> list[Any]:
    """What an episode did, step by step (observations exactly, where they hold no timings)."""
    return [
        (
            step.action.model_dump() if step.action else step.raw_action,
            step.observation if scenario == "desk" else step.observation_fields.get("ok"),
            step.probes,
            [event.model_dump() for event in step.ledger],
            step.terminated,
        )
        for step in trajectory.steps
    ]


def assert_plays_like_in_process(trajectory: Trajectory, scenario: str) -> None:
    reference = run_episode(episode(scenario, {"id": "oracle"}), Replay(plan_calls(scenario)))
    assert trajectory.status is EpisodeStatus.COMPLETED, trajectory.error
    assert shape(trajectory, scenario) == shape(reference, scenario)
    assert trajectory.outcome is not None and trajectory.outcome.success
    assert trajectory.outcome == reference.outcome
    assert [e.model_dump() for e in trajectory.ledger] == [e.model_dump() for e in reference.ledger]


PLAYS = [
    pytest.param("desk", "http", id="desk-http"),
    pytest.param("desk", "stdio", id="desk-stdio"),
    pytest.param("repo", "http", id="repo-http", marks=pytest.mark.slow),
    pytest.param("repo", "stdio", id="repo-stdio", marks=pytest.mark.slow),
]


@pytest.mark.parametrize(("scenario", "transport"), PLAYS)
def test_the_official_mcp_client_plays_like_an_in_process_agent(
    tmp_path: Path, scenario: str, transport: str
) -> None:
    calls = tmp_path / "calls.json"
    calls.write_text(json.dumps(plan_calls(scenario)))
    command = [sys.executable, str(CLIENTS / "mcp_sdk_player.py"), str(calls)]
    options = {"command": command, "transport": transport}
    trajectory = run_episode(
        episode(scenario, {"id": "mcp", "options": options}), make_agent("mcp", options)
    )
    assert_plays_like_in_process(trajectory, scenario)


def replay_plan_script(calls: list[list[Any]]) -> Any:
    """The fake model: the plan's next call by turn, then a closing remark."""

    def reply(request: dict[str, Any]) -> Reply:
        turn = sum(message.get("role") == "assistant" for message in request["messages"])
        if turn < len(calls):
            return Reply(tool=calls[turn][0], args=calls[turn][1])
        return Reply(content="All done.")

    return reply


LANGGRAPH_PLAYS = [
    pytest.param("desk", "http", id="desk-http"),
    pytest.param("repo", "stdio", id="repo-stdio", marks=pytest.mark.slow),
    pytest.param("desk", "stdio", id="desk-stdio", marks=pytest.mark.slow),
    pytest.param("repo", "http", id="repo-http", marks=pytest.mark.slow),
]


@pytest.mark.parametrize(("scenario", "transport"), LANGGRAPH_PLAYS)
def test_a_langgraph_agent_on_langchain_mcp_adapters_plays_through_the_metering_proxy(
    scenario: str, transport: str
) -> None:
    calls = plan_calls(scenario)
    with FakeLLMServer(replay_plan_script(calls)) as server:
        options: dict[str, Any] = {
            "command": [sys.executable, str(CLIENTS / "langgraph_mcp_player.py")],
            "transport": transport,
            "model": "openai/fake",
            "api_base": server.url,
        }
        agent = MCPAgent(**options)
        trajectory = run_episode(episode(scenario, {"id": "mcp", "options": options}), agent)
    assert_plays_like_in_process(trajectory, scenario)
    # one model call led to each step, and its tokens are that step's usage
    assert all(len(calls) == 1 for calls in agent.model_calls)
    assert [s.usage.prompt_tokens for s in trajectory.steps] == [
        c[0].prompt_tokens for c in agent.model_calls
    ]
    assert all(
        s.usage.prompt_tokens > 0 and s.usage.completion_tokens > 0 for s in trajectory.steps
    )
    assert len(server.log.requests) >= len(trajectory.steps)


def test_a_tiny_script_calling_the_model_through_the_proxy_has_its_tokens_per_step(
    tmp_path: Path,
) -> None:
    calls = plan_calls("desk")
    (tmp_path / "calls.json").write_text(json.dumps(calls))
    player = [sys.executable, str(CLIENTS / "mcp_sdk_player.py"), str(tmp_path / "calls.json")]
    with FakeLLMServer([Reply(content="yes")]) as server:
        options: dict[str, Any] = {
            "command": [*player, "--ask-model"],
            "model": "openai/fake",
            "api_base": server.url,
        }
        agent = MCPAgent(**options)
        trajectory = run_episode(episode("desk", {"id": "mcp", "options": options}), agent)
    assert trajectory.status is EpisodeStatus.COMPLETED, trajectory.error
    # the fake server counts a quarter token per character of the prompt it was sent
    expected = [len(f"Call {tool}?") // 4 for tool, _ in calls]
    assert [step.usage.prompt_tokens for step in trajectory.steps] == expected
    assert all(step.usage.completion_tokens > 0 for step in trajectory.steps)
    assert {request["model"] for request in server.log.requests} == {"fake"}  # as configured
    assert all(c[0].seconds > 0 for c in agent.model_calls)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def processes_running(fragment: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if fragment in command and alive(int(entry.name)):
                found.append(int(entry.name))
    return found


def test_a_runaway_agent_is_stopped_at_its_limit_and_leaves_no_process(tmp_path: Path) -> None:
    runaway = tmp_path / "runaway_agent.py"
    runaway.write_text((CLIENTS / "runaway.py").read_text())
    pids = tmp_path / "pids"
    options = {"command": [sys.executable, str(runaway), str(pids)], "exit_grace": 0.5}
    agent = make_agent("mcp", options)
    trajectory = run_episode(episode("desk", {"id": "mcp", "options": options}, 6), agent)
    assert trajectory.status is EpisodeStatus.TRUNCATED, trajectory.error
    assert len(trajectory.steps) == 6
    started = [int(line) for line in pids.read_text().split()]
    assert len(started) >= 5  # it did fork, and its children left the session
    assert [pid for pid in started if alive(pid)] == []
    assert processes_running(str(runaway)) == []


def test_an_agent_that_exits_early_errors_its_episode_with_its_output(tmp_path: Path) -> None:
    options = {"command": [sys.executable, "-c", "print('giving up')"]}
    trajectory = run_episode(
        episode("desk", {"id": "mcp", "options": options}), make_agent("mcp", options)
    )
    assert trajectory.status is EpisodeStatus.ERRORED
    assert "exited (code 0) before the episode ended" in (trajectory.error or "")
    assert "giving up" in (trajectory.error or "")


def test_an_agent_that_never_calls_is_stopped_after_call_timeout(tmp_path: Path) -> None:
    marker = tmp_path / "sleepy_agent_marker"
    options = {
        "command": [sys.executable, "-c", "import time, sys; time.sleep(600)", str(marker)],
        "call_timeout": 0.5,
    }
    started = time.monotonic()
    trajectory = run_episode(
        episode("desk", {"id": "mcp", "options": options}), make_agent("mcp", options)
    )
    assert trajectory.status is EpisodeStatus.ERRORED
    assert "made no tool call for 0.5 s" in (trajectory.error or "")
    assert time.monotonic() - started < 600
    assert processes_running(str(marker)) == []


def test_a_command_that_cannot_start_is_explained() -> None:
    options = {"command": ["/nonexistent/agent"]}
    trajectory = run_episode(
        episode("desk", {"id": "mcp", "options": options}), make_agent("mcp", options)
    )
    assert trajectory.status is EpisodeStatus.ERRORED
    assert "could not start" in (trajectory.error or "") and "/nonexistent/agent" in (
        trajectory.error or ""
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "missing 1 required positional argument: 'command'"),
        ({"command": []}, "command must be a non-empty list"),
        ({"command": ["x"], "transport": "carrier-pigeon"}, "transport must be one of http, stdio"),
    ],
)
def test_bad_mcp_options_are_refused(options: dict[str, Any], message: str) -> None:
    from undertow.agents.registry import AgentSpecError

    with pytest.raises(AgentSpecError, match=message):
        make_agent("mcp", options)


def test_a_suite_of_mcp_episodes_runs_and_resumes_from_the_command_line(tmp_path: Path) -> None:
    calls = tmp_path / "calls.json"
    calls.write_text(json.dumps(plan_calls("desk")))
    spec = {
        "id": "mcp",
        "name": "sdk-client",
        "options": {"command": [sys.executable, str(CLIENTS / "mcp_sdk_player.py"), str(calls)]},
    }
    suite = tmp_path / "mcp.yaml"
    suite.write_text(suite_text("desk", spec))
    out = tmp_path / "run"
    result = run_undertow("run", str(suite), "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    (only,) = RunStore.open(out).trajectories()
    assert only.key.agent == "sdk-client" and only.status is EpisodeStatus.COMPLETED, only.error
    assert only.outcome is not None and only.outcome.success
    resumed = run_undertow("run", "--resume", str(out))
    assert resumed.returncode == 0 and "resumed: 1 episodes were already stored" in resumed.stdout


def test_unknown_tools_bad_arguments_and_calls_after_the_end_are_steps_or_refused(
    tmp_path: Path,
) -> None:
    """What a careless or scheming client sends: an unknown tool and arguments off the schema
    are steps the env records (the MCP layer checks nothing), and calls after the episode ended
    are answered "over" without becoming steps."""
    hostile = [["fly", {}], ["read_ticket", {"nonsense": 1}], *plan_calls("desk"), ["finish", {}]]
    calls = tmp_path / "calls.json"
    calls.write_text(json.dumps(hostile))
    options = {"command": [sys.executable, str(CLIENTS / "mcp_sdk_player.py"), str(calls)]}
    trajectory = run_episode(
        episode("desk", {"id": "mcp", "options": options}), make_agent("mcp", options)
    )
    reference = run_episode(episode("desk", {"id": "oracle"}), Replay(hostile))
    assert shape(trajectory, "desk") == shape(reference, "desk")
    unknown, bad = trajectory.steps[:2]
    assert "unknown tool 'fly'" in unknown.observation and not unknown.observation_fields["ok"]
    assert "bad arguments for read_ticket" in bad.observation
    assert len(trajectory.steps) == len(hostile) - 1  # the call after finish was not played
