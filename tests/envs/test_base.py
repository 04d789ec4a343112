"""The BehaviourEnv contract, on a small counter world built for the test."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from gymnasium.utils.env_checker import check_env

from undertow.envs.base import BehaviourEnv, EnvOptions
from undertow.envs.ledger import LedgerKind
from undertow.envs.tools import Tool, ToolResult, params
from undertow.record import Action, Outcome, PlanItem, Role, Severity


class CounterOptions(EnvOptions):
    start: int = 0


COUNTER_KINDS = {
    "overshoot": LedgerKind(Role.WRONG_WORK, Severity.MEDIUM, "added past the target"),
    "short": LedgerKind(Role.OMISSION, Severity.MEDIUM, "finished below the target"),
}


@dataclass
class Counter:
    target: int


class CounterEnv(BehaviourEnv[Counter, CounterOptions]):
    """Reach the target by adding; adding past it is an error, and later adds build on it."""

    options_model = CounterOptions
    ledger_kinds = COUNTER_KINDS

    def _tools(self) -> list[Tool]:
        return [
            Tool(
                "add",
                "Add to the counter.",
                params(["amount"], amount={"type": "integer", "minimum": 1}),
                self._add,
                mutating=True,
            ),
        ]

    def _make_world(self, seed: int, options: CounterOptions) -> Counter:
        return Counter(target=5 + seed % 7)

    def _start(self) -> str:
        self.value = self.config.start
        return f"Bring the counter to exactly {self.world.target}."

    def _add(self, amount: int) -> ToolResult:
        self.value += amount
        return ToolResult(f"counter is {self.value}", {"value": self.value})

    def _after_action(self, action: Action, tool: Tool, result: ToolResult) -> None:
        if tool.name == "add" and self.value > self.world.target:
            parents = [e.id for e in self.ledger.open_errors(kind="overshoot")]
            self.ledger.raise_error(self.step_index, "overshoot", "counter", caused_by=parents)

    def _record_omissions(self, step: int) -> None:
        if self.value < self.world.target:
            self.ledger.raise_error(step, "short", "counter")

    def _probes(self) -> dict[str, Any]:
        return {"value": self.value, "overshoot": self.value > self.world.target}

    def _reference_plan(self) -> list[PlanItem]:
        add = Action(tool="add", args={"amount": self.world.target})
        return [
            PlanItem(
                subtask="count",
                actions=[add],
                wrong=[Action(tool="add", args={"amount": self.world.target + 1})],
            ),
            PlanItem(subtask="episode", actions=[Action(tool="finish", args={"confidence": 0.9})]),
        ]

    def _verify(self) -> Outcome:
        success = self.value == self.world.target
        return Outcome(success=success, score=float(success))


def test_passes_gymnasium_check_env() -> None:
    check_env(CounterEnv(), skip_render_check=True)


def test_tools_are_json_function_schemas() -> None:
    schemas = CounterEnv().tools()
    assert [s["name"] for s in schemas] == ["add", "finish"]
    assert schemas[1]["parameters"]["required"] == ["confidence"]
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
        ('{"tool": "add", "args": {"amount": NaN}}', "numbers must be finite"),
        ({"tool": "add", "args": {"amount": 10**40}}, "numbers must lie within +-2^53"),
        ({"tool": "add", "args": {"amount": 1}, "actor": 3}, '"actor" must be a name'),
        ({"tool": "finish", "args": {"confidence": 1, "report": "a\x00b"}}, "NUL character"),
        ({"tool": "finish", "args": {"confidence": 1, "report": "a\ud800"}}, "lone surrogate"),
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
    *_, info = env.step({"tool": "finish", "args": {"confidence": 0.2}})
    assert info["ledger"] == []
    assert env.verify().success is False


def test_step_before_reset_is_refused() -> None:
    import gymnasium as gym

    with pytest.raises(gym.error.ResetNeeded):
        CounterEnv().step({"tool": "finish", "args": {"confidence": 1}})
    with pytest.raises(gym.error.ResetNeeded, match="CounterEnv has no world yet"):
        CounterEnv().verify()


def test_an_incomplete_env_fails_at_construction_naming_its_missing_hooks() -> None:
    class Incomplete(BehaviourEnv[Counter, CounterOptions]):
        ledger_kinds = COUNTER_KINDS

        def _tools(self) -> list[Tool]:
            return []

    with pytest.raises(
        TypeError,
        match="Incomplete cannot be made: it does not implement "
        "_make_world, _probes, _record_omissions, _reference_plan, _start, _verify",
    ):
        Incomplete()


def test_an_env_must_declare_its_ledger_kinds_with_an_omission() -> None:
    class Undeclared(CounterEnv):
        ledger_kinds = {"overshoot": COUNTER_KINDS["overshoot"]}  # noqa: RUF012

    with pytest.raises(TypeError, match="one of them of role 'omission'"):
        Undeclared()


def test_options_are_typed_with_their_defaults_in_one_place() -> None:
    assert CounterEnv().config.start == 0
    env = CounterEnv(start=3)
    env.reset(seed=0)
    assert env.probes()["value"] == 3
    with pytest.raises(ValueError, match=r"CounterEnv options: speed: Extra inputs .* start"):
        CounterEnv(speed=2)
    with pytest.raises(ValueError, match="start: Input should be a valid integer"):
        CounterEnv(start="many")


def test_finishing_claims_and_records_omissions_and_nothing_follows() -> None:
    env = CounterEnv()
    env.reset(seed=0)  # target 5
    env.step({"tool": "add", "args": {"amount": 2}})
    observation, _, terminated, _, info = env.step(
        {"tool": "finish", "args": {"confidence": 0.3, "report": "partly"}}
    )
    assert terminated and observation["text"] == "The episode is over."
    assert [(e["error"]["kind"], e["error"]["role"]) for e in info["ledger"]] == [
        ("short", "omission")
    ]
    assert env.claims[-1].model_dump(include={"subject", "value", "confidence", "text"}) == {
        "subject": "episode",
        "value": False,
        "confidence": 0.3,
        "text": "partly",
    }
    observation, _, terminated, _, info = env.step({"tool": "add", "args": {"amount": 3}})
    assert terminated and "the episode has ended" in observation["text"]
    assert env.probes()["value"] == 2 and info["ledger"] == []
    assert env.end_episode() == []  # already ended: nothing recorded twice


def test_a_limit_ends_the_episode_with_its_omissions() -> None:
    env = CounterEnv()
    env.reset(seed=0)
    env.step({"tool": "add", "args": {"amount": 1}})
    events = env.end_episode()
    assert [e.error.kind for e in events] == ["short"]  # type: ignore[union-attr]
    assert events[0].error.step == 0  # type: ignore[union-attr]


def test_a_failure_inside_a_tool_is_an_observation_with_the_cause_kept() -> None:
    class Fragile(CounterEnv):
        def _add(self, amount: int) -> ToolResult:
            raise OSError("the disk went away")

    env = Fragile()
    env.reset(seed=0)
    observation, _, terminated, _, info = env.step({"tool": "add", "args": {"amount": 1}})
    assert observation["fields"]["ok"] is False and not terminated
    assert "could not carry it out (OSError: the disk went away)" in observation["text"]
    assert "OSError: the disk went away" in info["env_failure"]


def test_errors_are_never_dated_before_their_causes() -> None:
    env = CounterEnv()
    env.reset(seed=0)
    first = env.ledger.raise_error(4, "overshoot", "counter")
    child = env.ledger.raise_error(2, "overshoot", "counter", caused_by=[first.id], exposed_at=6)
    assert (child.step, child.exposed_at) == (4, 6)
    with pytest.raises(ValueError, match="ledger kind 'nonsense' is not declared"):
        env.ledger.raise_error(1, "nonsense", "counter")
