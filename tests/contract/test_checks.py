"""The contract checker: built-in envs pass; each kind of broken env is caught clearly."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.envs.test_base import Counter, CounterEnv
from undertow.contract import ContractError, assert_contract, check_contract
from undertow.envs.scaffold import ScaffoldError, new_env
from undertow.envs.tools import Tool, ToolResult, params
from undertow.record import Action, ErrorEvent, ErrorRaised, PlanItem


def failures(env: Any, **options: Any) -> dict[str, str]:
    return {r.name: r.message for r in check_contract(env, **options) if not r.ok}


def test_a_well_made_env_passes() -> None:
    assert failures(CounterEnv) == {}
    assert_contract(CounterEnv)


@pytest.mark.slow
def test_repo_env_passes() -> None:
    assert failures("undertow/Repo-v0", seeds=(0,), sandbox="local") == {}


@pytest.mark.slow
def test_repo_env_passes_on_more_seeds() -> None:
    assert failures("undertow/Repo-v0", seeds=(1, 2, 3), sandbox="local", perturb=True) == {}


@pytest.mark.slow
def test_own_repo_env_passes(task_file: Path) -> None:
    assert failures("undertow/OwnRepo-v0", tasks=str(task_file), sandbox="local") == {}


class UnseededEnv(CounterEnv):
    def _make_world(self, seed: int, options: Any) -> Counter:
        return Counter(target=random.randint(5, 50))  # not from the seed


class CrashingEnv(CounterEnv):
    def step(self, action: Any) -> tuple[Any, ...]:
        if (
            isinstance(action, dict)
            and action.get("tool") == "add"
            and "amount" not in action.get("args", {})
        ):
            raise KeyError("amount")
        return super().step(action)


class FailingToolEnv(CounterEnv):
    def _add(self, amount: int) -> ToolResult:
        if amount > 1000:
            raise OverflowError("too many")
        return super()._add(amount)


class DanglingEnv(CounterEnv):
    def step(self, action: Any) -> tuple[Any, ...]:
        observation, reward, terminated, truncated, info = super().step(action)
        if self.step_count == 1:
            ghost = ErrorEvent(
                id="E9", step=0, kind="x", role="wrong_work", object="o", caused_by=["E404"]
            )
            info["ledger"] = [*info["ledger"], ErrorRaised(error=ghost).model_dump()]
        return observation, reward, terminated, truncated, info


class LazyOracleEnv(CounterEnv):
    def _reference_plan(self) -> list[PlanItem]:
        finish = Action(tool="finish", args={"confidence": 0.9})
        return [PlanItem(subtask="episode", actions=[finish])]


class BlindLedgerEnv(CounterEnv):
    """Records nothing: overshooting goes unseen."""

    def _after_action(self, action: Action, tool: Tool, result: ToolResult) -> None:
        return None


class SameWrongEnv(CounterEnv):
    """Its 'wrong' way is the right one."""

    def _reference_plan(self) -> list[PlanItem]:
        plan = super()._reference_plan()
        plan[0] = plan[0].model_copy(update={"wrong": plan[0].actions})
        return plan


class TamperableEnv(CounterEnv):
    """Offers a tamper way (rewriting the target) that nothing catches."""

    def _tools(self) -> list[Tool]:
        cheat = Tool("set_target", "Move the target.", params(["to"], to={"type": "integer"}),
                     self._set_target)  # fmt: skip
        return [*super()._tools(), cheat]

    def _set_target(self, to: int) -> ToolResult:
        self.world.target = to
        return ToolResult("moved")

    def _reference_plan(self) -> list[PlanItem]:
        plan = super()._reference_plan()
        cheat = [Action(tool="set_target", args={"to": 0}), *plan[0].actions]
        plan[0] = plan[0].model_copy(update={"tamper": cheat})
        return plan


class UnrepairableEnv(CounterEnv):
    """Its repair puts the state right but never resolves the overshoot."""

    def _tools(self) -> list[Tool]:
        undo = Tool("subtract", "Take away.", params(["amount"], amount={"type": "integer"}),
                    self._subtract)  # fmt: skip
        return [*super()._tools(), undo]

    def _subtract(self, amount: int) -> ToolResult:
        self.value -= amount
        return ToolResult(f"counter is {self.value}")

    def _reference_plan(self) -> list[PlanItem]:
        plan = super()._reference_plan()
        repair = [Action(tool="subtract", args={"amount": 1})]
        plan[0] = plan[0].model_copy(update={"repair": repair})
        return plan


class LaggingProbesEnv(CounterEnv):
    """Reports the value of the step before."""

    def _start(self) -> str:
        self.reported = 0
        return super()._start()

    def _probes(self) -> dict[str, Any]:
        shown = {"value": self.reported, "overshoot": self.reported > self.world.target}
        self.reported = self.value
        return shown

    def _recompute_probes(self) -> dict[str, Any]:
        return {"value": self.value, "overshoot": self.value > self.world.target}


class ForgetfulEnv(CounterEnv):
    """Records no omission: finishing short of the target is free."""

    def _record_omissions(self, step: int) -> None:
        return None


def test_nondeterministic_world_is_caught() -> None:
    found = failures(UnseededEnv)
    assert "two runs of the same seed differ after reset" in found["same seed, same world"]


def test_exception_on_a_bad_action_is_caught() -> None:
    found = failures(CrashingEnv)
    assert (
        "step({'tool': 'add', 'args': {'undertow_no_such_argument': [None]}}) raised KeyError"
        in found["malformed actions are observations"]
    )


def test_failure_inside_a_tool_on_a_hostile_number_is_caught() -> None:
    found = failures(FailingToolEnv)
    message = found["malformed actions are observations"]
    assert "failed inside the env: OverflowError: too many" in message


def test_dangling_caused_by_is_caught() -> None:
    found = failures(DanglingEnv)
    message = found["ledger and probes consistent"]
    assert "seed 0, step 0: error 'E9' is caused_by 'E404', not an earlier error" in message


def test_failing_oracle_is_caught() -> None:
    found = failures(LazyOracleEnv)
    assert "seed 0: the oracle plan fails (score 0.00)" in found["oracle succeeds without errors"]


@pytest.mark.parametrize(
    ("env", "check", "message"),
    [
        (BlindLedgerEnv, "wrong attempts are recorded",
         "seed 0: subtask count done the wrong way records no error; the ledger must see"),
        (SameWrongEnv, "wrong attempts are recorded",
         "seed 0: subtask count's wrong attempt is its correct one"),
        (TamperableEnv, "tampering is caught",
         "seed 0: tampering with the checks in subtask count is not caught"),
        (UnrepairableEnv, "repairs resolve errors",
         "seed 0: subtask count repaired after its wrong attempt leaves error E1 overshoot open"),
        (LaggingProbesEnv, "probes match a fresh recomputation",
         "seed 0, step 0 ({\"tool\":\"add\",\"args\":{\"amount\":5},\"confidence\":null,"
         "\"actor\":null}): probes ['value'] lag the state (given [0], fresh [5])"),
        (ForgetfulEnv, "abandoned work is recorded as omissions",
         "seed 0: the abandoning plan leaves work undone but records no omission"),
    ],
)  # fmt: skip
def test_each_broken_env_fails_its_own_check_with_the_fix(
    env: type, check: str, message: str
) -> None:
    found = failures(env)
    assert check in found, found
    assert message in found[check]
    assert set(found) == {check}, found  # the others still pass


def test_assert_contract_lists_every_failure() -> None:
    with pytest.raises(
        ContractError, match=r"LazyOracleEnv breaks the environment contract:\n- oracle"
    ):
        assert_contract(LazyOracleEnv)


def test_scaffolded_env_passes_the_contract_and_its_own_tests(tmp_path: Path) -> None:
    package = new_env("warehouse", tmp_path, "Bins to fill.")
    sys.path.insert(0, str(tmp_path))
    try:
        assert failures("warehouse:warehouse/Warehouse-v0") == {}
    finally:
        sys.path.remove(str(tmp_path))
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(package)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 passed" in run.stdout


@pytest.mark.parametrize("name", ["Bad-Name", "1st", "class", ""])
def test_scaffold_refuses_bad_names(tmp_path: Path, name: str) -> None:
    with pytest.raises(ScaffoldError, match="not a usable package name"):
        new_env(name, tmp_path)


def test_scaffold_refuses_to_overwrite(tmp_path: Path) -> None:
    new_env("bins", tmp_path)
    with pytest.raises(ScaffoldError, match="already exists"):
        new_env("bins", tmp_path)
