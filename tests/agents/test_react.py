"""The langgraph ReAct agent in real episodes, its model behind the fake server."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from undertow.agents.fake_server import FakeLLMServer, FaultRates, Reply
from undertow.agents.react import ReactAgent
from undertow.envs.sandbox import open_provider
from undertow.record import EpisodeStatus
from undertow.record.store import RunStore
from undertow.scenarios.runner import run_episode, run_episodes
from undertow.scenarios.suite import expand, parse_suite

SUITE = """
name: react-test
scenarios:
  - name: repo
    env: undertow/Repo-v0
    options: {tickets: 1, sandbox: local}
    limits: {max_steps: 6}
agents:
  - {id: react, options: {model: openai/fake, api_base: "API_BASE", timeout: 1.0, max_attempts: 8}}
seeds: {public: SEEDS}
"""
SCRIPT = [
    Reply(tool="list_files", args={}),
    Reply(tool="edit", raw_arguments='{"path": "README.md", "old": '),
    Reply(content="Let me think about it."),
    Reply(tool="finish", args={"confidence": 0.4, "report": "gave up"}),
]


def episodes(server: FakeLLMServer, seeds: str = "0", timeout: float = 1.0) -> list:
    text = SUITE.replace("API_BASE", server.url).replace("SEEDS", seeds)
    text = text.replace("timeout: 1.0", f"timeout: {timeout}")
    return expand(parse_suite(text, "test"))


def test_an_episode_records_actions_malformed_replies_and_usage() -> None:
    with FakeLLMServer(SCRIPT) as server:
        episode = episodes(server)[0]
        agent = ReactAgent("openai/fake", api_base=server.url, timeout=2.0)
        trajectory = run_episode(episode, agent)
    assert trajectory.status is EpisodeStatus.COMPLETED
    first, malformed, chatter, finish = trajectory.steps
    assert first.action is not None and first.action.tool == "list_files"
    assert "README.md" in first.observation
    assert malformed.action is None and (malformed.raw_action or "").startswith('{"tool": "edit"')
    assert "not valid JSON" in malformed.observation
    assert chatter.action is None and chatter.raw_action == "Let me think about it."
    assert finish.action is not None and finish.action.confidence is None
    assert finish.action.args["confidence"] == 0.4
    assert all(step.usage.completion_tokens > 0 for step in trajectory.steps)
    assert trajectory.claims[-1].confidence == 0.4
    # what the model saw: the task first, then each observation after the reply it answers
    second_request = server.log.requests[1]["messages"]
    assert second_request[1]["role"] == "user" and "tickets below" in second_request[1]["content"]
    assert second_request[-1]["role"] == "tool" and "README.md" in second_request[-1]["content"]
    fourth_request = server.log.requests[3]["messages"]
    assert fourth_request[-1] == {"role": "user", "content": chatter.observation}


def test_memory_is_checkpointed_in_graph_state() -> None:
    with FakeLLMServer(SCRIPT) as server:
        agent = ReactAgent("openai/fake", api_base=server.url)
        agent.reset("Do the task.", [], seed=0)
        agent.act({"text": "", "fields": {}})
        agent.act({"text": "a.py\nb.py", "fields": {}})
    roles = [message["role"] for message in agent.memory()]
    assert roles == ["system", "user", "assistant", "tool", "assistant"]
    assert agent.memory()[3]["content"] == "a.py\nb.py"


@pytest.mark.slow
def test_fifty_episodes_complete_under_twenty_percent_faults(tmp_path: Path) -> None:
    faults = FaultRates(rate_limit=0.07, server_error=0.07, timeout=0.03, garbled=0.03)
    script = [Reply(tool="list_files", args={}), Reply(tool="finish", args={"confidence": 0.5})]
    with FakeLLMServer(script, faults=faults, timeout_hold=3.0, seed=7) as server:
        planned = episodes(server, seeds="0-49", timeout=2.0)
        store = RunStore.create(tmp_path / "run", "x", {"seeds": {}}, len(planned))
        result = run_episodes(planned, store, parallel=4, provider=open_provider("local"))
    trajectories = list(store.trajectories())
    errors = [t.error for t in trajectories if t.status is not EpisodeStatus.COMPLETED]
    assert len(trajectories) == 50 and result.errored == 0, errors
    assert not errors
    retries = sum(step.usage.retries for t in trajectories for step in t.steps)
    faults_served = sum(n for kind, n in server.log.outcomes.items() if kind != "ok")
    # Every fault was retried; a reply slowed past the client's timeout by load is one more.
    assert faults_served > 0 and retries >= faults_served


def test_trials_reach_the_model_as_sampling_seeds_at_the_trial_temperature(tmp_path: Path) -> None:
    """Two worlds, three trials each: every episode samples with its own seed (trial 0: the
    world's seed), at the documented temperature, from the same world."""
    from undertow.rollout import agent_seed
    from undertow.scenarios.suite import TRIAL_TEMPERATURE

    finish = [Reply(tool="finish", args={"confidence": 0.5, "report": "done"})]
    with FakeLLMServer(finish) as server:
        text = SUITE.replace("API_BASE", server.url).replace("SEEDS", "0-1")
        suite = expand(parse_suite(text + "trials: 3\n", "test"))
        store = RunStore.create(tmp_path / "run", text, {"seeds": {}}, len(suite))
        run_episodes(suite, store, provider=open_provider("local"))
    seeds = sorted(request["seed"] for request in server.log.requests)
    assert seeds == sorted(agent_seed(episode.key) for episode in suite)
    assert {0, 1} <= set(seeds) and len(set(seeds)) == 6
    assert {request["temperature"] for request in server.log.requests} == {TRIAL_TEMPERATURE}
    tasks = defaultdict(set)
    for trajectory in store.trajectories():
        tasks[trajectory.key.seed].add(trajectory.task)
    assert all(len(texts) == 1 for texts in tasks.values())


def test_the_window_moves_in_blocks_so_the_prompt_prefix_stays_the_same() -> None:
    from undertow.agents.react import stable_window

    turns = [{"role": "user", "content": str(i)} for i in range(30)]
    assert stable_window(turns[:10], 10) == turns[:10]
    starts = [stable_window(turns[:n], 10)[0]["content"] for n in range(11, 21)]
    assert starts == ["5"] * 5 + ["10"] * 5  # the first turn kept changes every 5 steps
    assert all(len(stable_window(turns[:n], 10)) <= 10 for n in range(30))
