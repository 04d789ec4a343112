"""Omissions: doing nothing, or half, is never the better score on any error metric; and the
oracle is error-free on every env and seed of the smoke suite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from undertow.envs.sandbox import open_provider
from undertow.record.store import RunStore
from undertow.scenarios.runner import run_episodes
from undertow.scenarios.suite import expand, load_suite, parse_suite
from undertow.scoring.score import score_views
from undertow.scoring.view import read_views

SUITE = """
name: doing-nothing
scenarios:
  - name: repo
    env: undertow/Repo-v0
    options: {tickets: 5, sandbox: local}
    limits: {max_steps: 60}
  - name: helpdesk
    env: undertow/Helpdesk-v0
    options: {days: 1, tickets_per_day: 12}
    limits: {max_steps: 300}
  - name: orchestra
    env: undertow/Orchestra-v0
    limits: {max_steps: 300}
agents: [noop, quitter, {id: sloppy, options: {p: 0.3, seed: 2}}]
seeds: {public: 0-2}
"""
LOWER_IS_BETTER = ("errors_per_episode", "cascade_depth_mean", "propagation_factor")
HIGHER_IS_BETTER = ("first_error_step_median", "error_free_horizon_mean", "recovery_rate")


def run(tmp_path: Path, text: str, name: str) -> dict[str, Any]:
    suite = parse_suite(text, name) if "\n" in text else load_suite(text)[0]
    episodes = expand(suite)
    store = RunStore.create(tmp_path / name, text, {"seeds": {}}, len(episodes))
    run_episodes(episodes, store, parallel=2, provider=open_provider("local"))
    views, bad = read_views(store.trajectories_path)
    assert not bad
    return {"views": views, "scores": score_views(views), "store": store}


def better(metric: str, a: float | None, b: float | None) -> bool:
    """``a`` is strictly better than ``b`` (a figure without support is never better)."""
    if a is None or b is None:
        return False
    return a < b if metric in LOWER_IS_BETTER else a > b


@pytest.mark.slow
def test_finishing_at_once_is_better_than_sloppy_on_no_error_metric(tmp_path: Path) -> None:
    result = run(tmp_path, SUITE, "doing-nothing")
    for scenario in ("repo", "helpdesk", "orchestra"):
        views = [v for v in result["views"] if v.scenario == scenario]
        scores = score_views(views)["agents"]
        sloppy = scores["sloppy"]["public"]["compounding"]
        noop = scores["noop"]["public"]["compounding"]
        assert noop["omissions_per_episode"] > 0, scenario
        for metric in (*LOWER_IS_BETTER, *HIGHER_IS_BETTER):
            assert not better(metric, noop[metric], sloppy[metric]), (
                scenario,
                metric,
                noop[metric],
                sloppy[metric],
            )
        # abandoning the plan half way records the rest as omissions, and nothing else
        for view in (v for v in views if v.agent == "quitter"):
            roles = {e.role for e in view.ledger}
            assert roles == {"omission"}, (scenario, view.ledger)


@pytest.mark.slow
def test_the_oracle_is_error_free_on_every_env_and_seed_of_the_smoke_suite(tmp_path: Path) -> None:
    suite, text = load_suite("smoke")
    oracle_only = suite.model_copy(update={"agents": [a for a in suite.agents if a.id == "oracle"]})
    episodes = expand(oracle_only)
    assert {e.scenario.env for e in episodes} == {
        "undertow/Repo-v0",
        "undertow/Helpdesk-v0",
        "undertow/Orchestra-v0",
    }
    store = RunStore.create(tmp_path / "smoke", text, {"seeds": {}}, len(episodes))
    run_episodes(episodes, store, parallel=2, provider=open_provider("local"))
    trajectories = list(store.trajectories())
    assert len(trajectories) == len(episodes)
    for trajectory in trajectories:
        assert trajectory.outcome is not None and trajectory.outcome.success, trajectory.key.id
        assert trajectory.ledger == [], (trajectory.key.id, trajectory.ledger)
