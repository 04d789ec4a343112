"""The agent's memory per step, stored as changes: known changes by hand, and real episodes whose
stored trajectory gives back the memory the agent held after every step."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import run_undertow
from undertow.agents.fake_server import FakeLLMServer, Reply
from undertow.agents.memory import apply_memory_change, memory_at, memory_change
from undertow.agents.registry import make_agent
from undertow.record import Trajectory
from undertow.record.store import RunStore
from undertow.scenarios.runner import run_episode, run_episodes
from undertow.scenarios.suite import expand, parse_suite


@pytest.mark.parametrize(
    ("before", "after", "change"),
    [
        (None, [1], {"set": [1]}),
        ([1, 2], [1, 2], None),
        ([1, 2], [1, 2, 3, 4], {"append": [3, 4]}),
        ([1, 2, 3], [1, 9, 3, 4], {"set": [1, 9, 3, 4]}),  # edited in the middle: replaced
        ([1, 2, 3], [3], {"set": [3]}),  # compacted
        (
            {"plan": "a", "messages": [1], "gone": 0},
            {"plan": "a", "messages": [1, 2], "notes": "n"},
            {
                "keys": {
                    "gone": {"delete": True},
                    "messages": {"append": [2]},
                    "notes": {"set": "n"},
                }
            },
        ),
        (
            {"a": {"x": [1]}},
            {"a": {"x": [1, 2]}},
            {"keys": {"a": {"keys": {"x": {"append": [2]}}}}},
        ),
        (0.5, 0.7, {"set": 0.7}),
    ],
)
def test_changes_by_hand(before: Any, after: Any, change: Any) -> None:
    assert memory_change(before, after) == change
    if change is not None:
        assert apply_memory_change(before, change) == after


MEMORY_SUITE = """
name: memory-show
scenarios:
  - name: helpdesk
    env: undertow/Helpdesk-v0
    options: {days: 1, tickets_per_day: 4}
    limits: {max_steps: 12}
agents:
  - {id: react, options: {model: openai/fake, api_base: "API_BASE"}}
  - noop
seeds: {public: [0]}
"""


class Recording:
    """Wraps an agent, keeping a copy of its memory after every action."""

    def __init__(self, agent: Any) -> None:
        self.agent = agent
        self.needs_plan = agent.needs_plan
        self.held: list[Any] = []

    def reset(self, *args: Any, **kwargs: Any) -> None:
        self.agent.reset(*args, **kwargs)

    def act(self, observation: dict[str, Any]) -> Any:
        action = self.agent.act(observation)
        self.held.append(copy.deepcopy(self.agent.memory()))
        return action

    def last_usage(self) -> Any:
        return self.agent.last_usage()

    def memory(self) -> Any:
        return self.agent.memory()


def script(request: dict[str, Any]) -> Reply:
    """Tool calls until the sixth, then finish; plain text for plans and reflections."""
    if not request.get("tools"):
        return Reply(content="1. look\n2. finish\nconfidence: 0.6")
    calls = sum(message["role"] == "assistant" for message in request["messages"])
    return (
        Reply(tool="finish", args={"confidence": 0.5})
        if calls >= 6
        else Reply(tool="list_queue", args={})
    )


@pytest.mark.parametrize(
    "agent_options",
    [
        {"id": "react"},
        {"id": "plan-act-reflect", "reflect_every": 3, "keep_turns": 1},
    ],
)
def test_the_trajectory_gives_back_the_memory_after_every_step(
    agent_options: dict[str, Any],
) -> None:
    agent_id = agent_options.pop("id")
    with FakeLLMServer(script) as server:
        text = f"""
name: memory
scenarios:
  - name: helpdesk
    env: undertow/Helpdesk-v0
    options: {{days: 1, tickets_per_day: 4}}
    limits: {{max_steps: 12}}
agents: [{{id: {agent_id}}}]
seeds: {{public: [0]}}
"""
        episode = expand(parse_suite(text, "test"))[0]
        agent = Recording(
            make_agent(agent_id, {"model": "openai/fake", "api_base": server.url, **agent_options})
        )
        played = run_episode(episode, agent)
    stored = Trajectory.from_json(played.to_json())
    assert len(stored.steps) == len(agent.held) >= 6
    for index, held in enumerate(agent.held):
        assert memory_at(stored, index) == held, f"step {index}"
    with pytest.raises(IndexError, match="not in this episode"):
        memory_at(stored, len(stored.steps))


def test_show_prints_the_memory_after_a_step(tmp_path: Path) -> None:
    with FakeLLMServer(script) as server:
        text = MEMORY_SUITE.replace("API_BASE", server.url)
        suite = parse_suite(text, "test")
        store = RunStore.create(tmp_path / "run", text, suite.model_dump(), 2)
        run_episodes(expand(suite), store)
    react = next(t for t in store.trajectories() if t.key.agent == "react")
    shown = run_undertow("show", str(store.directory), react.key.id, "--memory", "2")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout) == memory_at(react, 2)

    beyond = run_undertow("show", str(store.directory), react.key.id, "--memory", "99")
    assert beyond.returncode == 2 and "step 99 is not in this episode" in beyond.stderr
    scripted = run_undertow("show", str(store.directory), "1", "--memory", "0")
    assert scripted.returncode == 2 and "recorded no agent memory" in scripted.stderr
    assert "Traceback" not in beyond.stderr + scripted.stderr
