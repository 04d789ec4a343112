"""The contract checker: built-in envs pass; each kind of broken env is caught clearly."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.envs.test_base import CounterEnv
from undertow.envs.contract import ContractError, assert_contract, check_contract
from undertow.envs.scaffold import ScaffoldError, new_env
from undertow.envs.tools import Tool
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
    def _generate(self, seed: int, options: dict[str, Any]) -> str:
        super()._generate(seed, options)
        self.target = random.randint(5, 50)  # not from the seed
        return f"Bring the counter to exactly {self.target}."


class CrashingEnv(CounterEnv):
    def _tools(self) -> list[Tool]:
        tools = super()._tools()
        crash = Tool("crash", "Breaks on any call.", {"type": "object"}, lambda **kw: kw["x"])
        return [*tools, crash]


class DanglingEnv(CounterEnv):
    def step(self, action: Any) -> tuple[Any, ...]:
        observation, reward, terminated, truncated, info = super().step(action)
        if self.step_count == 1:
            ghost = ErrorEvent(id="E9", step=0, kind="x", object="o", caused_by=["E404"])
            info["ledger"] = [*info["ledger"], ErrorRaised(error=ghost).model_dump()]
        return observation, reward, terminated, truncated, info


class LazyOracleEnv(CounterEnv):
    def reference_plan(self) -> list[PlanItem]:
        return [PlanItem(subtask="episode", actions=[Action(tool="finish")])]


def test_nondeterministic_world_is_caught() -> None:
    found = failures(UnseededEnv)
    assert (
        "two runs of the same seed differ after reset"
        in found["same seed, same world; verify() deterministic"]
    )


def test_exception_on_a_bad_action_is_caught() -> None:
    found = failures(CrashingEnv)
    assert (
        "step({'tool': 'crash', 'args': {'undertow_no_such_argument': [None]}}) raised KeyError"
        in found["malformed actions are observations"]
    )


def test_dangling_caused_by_is_caught() -> None:
    found = failures(DanglingEnv)
    message = found["ledger and probes consistent"]
    assert "seed 0, step 0: error 'E9' is caused_by 'E404', not an earlier error" in message


def test_failing_oracle_is_caught() -> None:
    found = failures(LazyOracleEnv)
    assert "seed 0: the oracle plan fails (score 0.00)" in found["oracle succeeds, noop fails"]


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
