"""Property tests: arbitrary actions, in any order, never raise, and probes and ledger stay
consistent.

Most generated actions come from the world's own reference plan (played out of order, with
an argument corrupted, dropped or added, or by the wrong actor), since random text rarely gets
past argument validation; the rest are random tool calls and raw garbage.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import undertow.envs  # noqa: F401  (registers the environments)
from undertow.contract import ledger_problems, probe_problems
from undertow.envs.base import BehaviourEnv
from undertow.record import Action, EpisodeKey, Step, Trajectory, Usage
from undertow.rollout import Limits, rollout

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=20)
    | st.sampled_from(["\x00", "a\ud800b", "../../etc/passwd", "dir/file.py/below"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
ACTORS = st.sampled_from([None, "orchestrator", "worker-1", "worker-2", "worker-3", "ghost"])


def mutated(data: st.DataObject, action: Action) -> dict[str, Any]:
    """A plan action with one thing wrong: an argument changed, dropped or added, or the actor."""
    raw = action.model_dump(exclude_none=True)
    args = dict(raw.get("args", {}))
    change = data.draw(st.sampled_from(["value", "drop", "extra", "actor", "confidence"]))
    if change == "value" and args:
        key = data.draw(st.sampled_from(sorted(args)))
        args[key] = data.draw(JSON_VALUES)
    elif change == "drop" and args:
        args.pop(data.draw(st.sampled_from(sorted(args))))
    elif change == "extra":
        args[data.draw(st.text(min_size=1, max_size=8))] = data.draw(JSON_VALUES)
    elif change == "actor":
        raw["actor"] = data.draw(ACTORS)
    else:
        raw["confidence"] = data.draw(st.floats(-1, 2) | st.none() | st.text(max_size=3))
    return {**raw, "args": args}


def random_call(data: st.DataObject, tools: list[dict[str, Any]]) -> dict[str, Any]:
    tool = data.draw(st.sampled_from([t["name"] for t in tools] + ["no_such_tool"]))
    args = data.draw(st.dictionaries(st.text(max_size=10), JSON_VALUES, max_size=3))
    return {"tool": tool, "args": args, "actor": data.draw(ACTORS)}


def arbitrary_action(
    data: st.DataObject, tools: list[dict[str, Any]], plan: list[Action], cursor: list[int]
) -> Any:
    kinds = ["next"] * 4 + ["plan"] * 2 + ["mutated"] * 3 + ["call", "garbage"]
    kind = data.draw(st.sampled_from(kinds))
    if kind == "next" and cursor[0] < len(plan):  # the plan in order, so the world moves on
        cursor[0] += 1
        return plan[cursor[0] - 1]
    if kind in ("plan", "next"):
        return data.draw(st.sampled_from(plan))
    if kind == "mutated":
        return mutated(data, data.draw(st.sampled_from(plan)))
    if kind == "call":
        return random_call(data, tools)
    return data.draw(st.text(max_size=40) | JSON_VALUES)


class ArbitraryAgent:
    """Plays what hypothesis draws: the plan in order, out of order, mutated, or garbage."""

    name = "arbitrary"
    needs_plan = True

    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def reset(self, task: str, tools: list[dict[str, Any]], seed: int, plan: Any = None) -> None:
        self.tools = tools
        self.plan = [
            a
            for item in plan
            for a in (item.wrong if self.data.draw(st.booleans()) and item.wrong else item.actions)
        ]
        self.cursor = [0]

    def act(self, observation: dict[str, Any]) -> Any:
        return arbitrary_action(self.data, self.tools, self.plan, self.cursor)

    def last_usage(self) -> Usage:
        return Usage()


def check_arbitrary_play(data: st.DataObject, make: Callable[[], BehaviourEnv], steps: int) -> None:
    env = make()
    lagging: list[str] = []

    def observe(env: BehaviourEnv, step: Step) -> None:
        assert env.observation_space.contains(
            {"text": step.observation, "fields": step.observation_fields}
        )
        assert isinstance(step.observation_fields.get("ok"), bool)
        if json.loads(json.dumps(env.recompute_probes())) != step.probes:
            lagging.append(f"step {step.index}")

    try:
        seed = data.draw(st.integers(0, 30), label="seed")
        limits = Limits(max_steps=data.draw(st.integers(1, steps), label="steps"))
        key = EpisodeKey(scenario="p", seed=seed, agent="arbitrary")
        trajectory = rollout(env, ArbitraryAgent(data), key, limits=limits, observe=observe)
    finally:
        env.close()
    assert trajectory.error is None, trajectory.metadata.get("traceback")
    failures = [s.extra["env_failure"] for s in trajectory.steps if "env_failure" in s.extra]
    assert failures == []
    assert lagging == []
    assert ledger_problems(trajectory, seed) == []
    assert probe_problems(trajectory, seed) == []
    assert Trajectory.from_json(trajectory.to_json()) == trajectory
    assert trajectory.outcome is not None and 0.0 <= trajectory.outcome.score <= 1.0


PROPERTY = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)


@PROPERTY
@given(st.data())
def test_helpdesk_survives_arbitrary_actions(data: st.DataObject) -> None:
    check_arbitrary_play(
        data,
        lambda: gymnasium.make("undertow/Helpdesk-v0", days=1, tickets_per_day=10).unwrapped,
        120,
    )


@PROPERTY
@given(st.data())
def test_orchestra_survives_arbitrary_actions(data: st.DataObject) -> None:
    check_arbitrary_play(
        data, lambda: gymnasium.make("undertow/Orchestra-v0", difficulty=3).unwrapped, 120
    )


@pytest.mark.slow
@settings(PROPERTY, max_examples=15)
@given(st.data())
def test_repo_survives_arbitrary_actions(data: st.DataObject) -> None:
    check_arbitrary_play(
        data, lambda: gymnasium.make("undertow/Repo-v0", tickets=2, sandbox="local").unwrapped, 30
    )


@pytest.mark.slow
def test_own_repo_survives_arbitrary_actions(task_file: Path) -> None:
    @settings(PROPERTY, max_examples=10)
    @given(st.data())
    def play(data: st.DataObject) -> None:
        check_arbitrary_play(
            data,
            lambda: (
                gymnasium.make(
                    "undertow/OwnRepo-v0", tasks=str(task_file), sandbox="local"
                ).unwrapped
            ),
            20,
        )

    play()
