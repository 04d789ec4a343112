"""The BehaviourEnv contract, on a small counter world built for the test."""

from __future__ import annotations

from typing import Any

import pytest
from gymnasium.utils.env_checker import check_env

from undertow.envs.base import BehaviourEnv
from undertow.envs.tools import Tool, ToolResult, params
from undertow.record import Action, Outcome, PlanItem


class CounterEnv(BehaviourEnv):
    """Reach the target by adding; adding past it is an error, and later adds build on it."""

    def _tools(self) -> list[Tool]:
        return [
            Tool(
                "add",
                "Add to the counter.",
                params(["amount"], amount={"type": "integer", "minimum": 1}),
                self._add,
                mutating=True,
            ),
            Tool("finish", "End the episode.", params(), self._finish),
        ]

    def _generate(self, seed: int, options: dict[str, Any]) -> str:
        self.target = 5 + seed % 7
        self.value = 0
        return f"Bring the counter to exactly {self.target}."

    def _add(self, amount: int) -> ToolResult:
        self.value += amount
        return ToolResult(f"counter is {self.value}", {"value": self.value})

    def _finish(self) -> ToolResult:
        return ToolResult("finished", terminated=True, reward=float(self.value == self.target))

    def _after_action(self, action: Action, tool: Tool, result: ToolResult) -> None:
        if tool.name == "add" and self.value > self.target:
            parents = [e.id for e in self.ledger.open_errors(kind="overshoot")]
            self.ledger.raise_error(self.step_count - 1, "overshoot", "counter", caused_by=parents)

    def probes(self) -> dict[str, Any]:
        return {"value": self.value, "overshoot": self.value > self.target}

    def reference_plan(self) -> list[PlanItem]:
        add = Action(tool="add", args={"amount": self.target})
        return [
            PlanItem(subtask="count", actions=[add]),
            PlanItem(subtask="episode", actions=[Action(tool="finish")]),
        ]

    def verify(self) -> Outcome:
        success = self.value == self.target
        return Outcome(success=success, score=float(success))


def test_passes_gymnasium_check_env() -> None:
    check_env(CounterEnv(), skip_render_check=True)


def test_tools_are_json_function_schemas() -> None:
    schemas = CounterEnv().tools()
    assert [s["name"] for s in schemas] == ["add", "finish"]
    assert schemas[0]["parameters"]["required"] == ["amount"]


def test_same_seed_same_world_and_info_carries_probes() -> None:
    first, info = CounterEnv().reset(seed=3)
    second, _ = CounterEnv().reset(seed=3)
    assert first == second
    assert info["probes"] == {"value": 0, "overshoot": False}
    assert info["seed"] == 3


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("{not json", "not valid JSON"),
        ([1, 2], "must be an object"),
        ({"args": {}}, 'no "tool" name'),
        ({"tool": "fly"}, "unknown tool 'fly'; the tools are: add, finish"),
        ({"tool": "add", "args": {}}, "'amount' is a required property"),
        ({"tool": "add", "args": {"amount": "lots"}}, "amount: 'lots' is not of type 'integer'"),
        ({"tool": "add", "args": {"amount": 1, "x": 2}}, "Additional properties"),
        ({"tool": "add", "args": [1]}, '"args" must be an object'),
        ({"tool": "add", "args": {"amount": 1}, "confidence": 2}, "from 0 to 1"),
        ({"tool": "add", "argz": {}}, "unknown action fields ['argz']"),
    ],
)
def test_malformed_actions_are_observations_and_count_as_steps(action: Any, message: str) -> None:
    env = CounterEnv()
    env.reset(seed=0)
    observation, reward, terminated, truncated, info = env.step(action)
    assert observation["text"].startswith("Invalid action: ")
    assert message in observation["text"]
    assert observation["fields"]["ok"] is False
    assert (reward, terminated, truncated) == (0.0, False, False)
    assert env.step_count == 1
    assert info["step"] == 0


def test_json_string_actions_and_confidence_are_accepted() -> None:
    env = CounterEnv()
    env.reset(seed=0)
    observation, *_, info = env.step('{"tool": "add", "args": {"amount": 2}, "confidence": 0.5}')
    assert observation["text"] == "counter is 2"
    assert info["action"]["confidence"] == 0.5


def test_ledger_events_arrive_with_their_step_and_links() -> None:
    env = CounterEnv()
    env.reset(seed=0)  # target 5
    env.step({"tool": "add", "args": {"amount": 4}})
    *_, info = env.step({"tool": "add", "args": {"amount": 2}})
    assert [e["error"]["id"] for e in info["ledger"]] == ["E1"]
    *_, info = env.step({"tool": "add", "args": {"amount": 1}})
    raised = info["ledger"][0]["error"]
    assert (raised["id"], raised["step"], raised["caused_by"]) == ("E2", 2, ["E1"])
    *_, info = env.step({"tool": "finish"})
    assert info["ledger"] == []
    assert env.verify().success is False


def test_step_before_reset_is_refused() -> None:
    import gymnasium as gym

    with pytest.raises(gym.error.ResetNeeded):
        CounterEnv().step({"tool": "finish"})
