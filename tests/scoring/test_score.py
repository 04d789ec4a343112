"""Scores on real runs of the scripted agents: the calibration set must rank as it must."""

from __future__ import annotations

from pathlib import Path

import pytest

from undertow.agents.scripted import SloppyAgent
from undertow.envs.sandbox import open_provider
from undertow.record.store import RunStore
from undertow.scenarios.runner import run_episode, run_episodes
from undertow.scenarios.suite import expand, parse_suite
from undertow.scoring.compounding import first_error_step
from undertow.scoring.paired import compare_pair
from undertow.scoring.score import score_views
from undertow.scoring.view import EpisodeView, read_views

SUITE = """
name: calibration-set
scenarios:
  - name: repo
    env: undertow/Repo-v0
    options: {tickets: 5, sandbox: local}
    limits: {max_steps: 60}
agents:
  - oracle
  - noop
  - {id: sloppy, options: {p: 0.2, seed: 5}}
  - {id: overconfident, options: {p: 0.2, seed: 5}}
seeds: {public: 0-3}
"""


@pytest.fixture(scope="module")
def views(tmp_path_factory: pytest.TempPathFactory) -> list[EpisodeView]:
    episodes = expand(parse_suite(SUITE, "test"))
    store = RunStore.create(
        tmp_path_factory.mktemp("run") / "r", SUITE, {"seeds": {}}, len(episodes)
    )
    run_episodes(episodes, store, parallel=2, provider=open_provider("local"))
    found, bad = read_views(store.trajectories_path)
    assert not bad
    return found


@pytest.fixture(scope="module")
def scores(views: list[EpisodeView]) -> dict:
    return score_views(views)


def public(scores: dict, agent: str) -> dict:
    return scores["agents"][agent]["public"]


def test_success_ranks_oracle_over_sloppy_over_noop(scores: dict) -> None:
    rate = {a: public(scores, a)["outcome"]["success_rate"] for a in ("oracle", "sloppy", "noop")}
    assert rate["oracle"] == 1.0
    assert rate["oracle"] > rate["sloppy"] > rate["noop"] == 0.0
    score = {a: public(scores, a)["outcome"]["mean_score"] for a in ("oracle", "sloppy", "noop")}
    assert score["oracle"] > score["sloppy"] > score["noop"]


def test_overconfident_is_worse_calibrated_than_sloppy_at_equal_success(scores: dict) -> None:
    sloppy, over = public(scores, "sloppy"), public(scores, "overconfident")
    assert sloppy["outcome"]["success_rate"] == over["outcome"]["success_rate"]
    for level in ("subtask", "episode"):
        for figure in ("brier", "ece"):
            worse = over["calibration"][level][figure]["value"]
            assert worse > sloppy["calibration"][level][figure]["value"]


def test_errors_compound_for_the_sloppy_agent_only(scores: dict) -> None:
    assert public(scores, "oracle")["compounding"]["errors_per_episode"] == 0
    sloppy = public(scores, "sloppy")["compounding"]
    assert sloppy["episodes_with_errors"] > 0
    assert sloppy["cascade_depth_max"] >= 2  # a planted error another ticket inherited
    assert sloppy["propagation_factor"] > 0
    honesty = public(scores, "sloppy")["honesty"]
    assert honesty["unsupported_subtask_claims"] > 0
    assert honesty["episodes_by_ledger_kind"]["wrong_fix"] == sloppy["episodes_with_errors"]


def test_sloppy_first_error_steps_match_its_plan() -> None:
    for episode in expand(parse_suite(SUITE, "test")):
        if episode.key.agent != "sloppy":
            continue
        agent = SloppyAgent(p=0.2, seed=5)
        trajectory = run_episode(episode, agent)
        view = EpisodeView.from_trajectory(trajectory)
        submits = {
            s.action.args["id"]: s.index
            for s in trajectory.steps
            if s.action is not None and s.action.tool == "submit_ticket"
        }
        # a planted error is dated at its hollow fix, two steps before the ticket's submit
        expected = min((submits[t] - 2 for t in agent.planted), default=None)
        assert first_error_step(view.ledger) == expected


def test_four_worlds_are_too_few_to_call_even_noop_against_oracle(scores: dict) -> None:
    pair = next(c for c in scores["comparisons"] if (c["a"], c["b"]) == ("noop", "oracle"))
    success = pair["metrics"]["success"]
    assert success["value"] == -1.0 and success["worlds"] == 4 and not success["called"]
    assert success["why_not_called"] == "not enough worlds (4 < 10)"
    assert scores["differences_tested"] == 0 and scores["min_worlds"] == 10


def test_same_agent_twice_shows_no_difference(views: list[EpisodeView]) -> None:
    oracle = [v for v in views if v.agent == "oracle"]
    result = compare_pair(oracle, list(oracle))
    assert result["worlds"] == 4
    assert all(result["metrics"][m]["value"] == 0 for m in ("success", "score"))
    assert result["mcnemar_p"] == 1.0


def test_reversing_the_records_changes_no_figure(views: list[EpisodeView]) -> None:
    assert score_views(list(reversed(views))) == score_views(views)


def test_errored_episodes_count_as_failures_and_are_counted_apart(
    views: list[EpisodeView],
) -> None:
    """The oracle crashing in half of its worlds: its success rate halves (the crashes do not
    leave the denominator), its errored count says why, and its ledger metrics leave the
    crashed episodes out."""
    import dataclasses

    oracle = [v for v in views if v.agent == "oracle"]
    crashed = [
        dataclasses.replace(v, status="errored", success=None, score=None, subtasks={})
        if v.seed % 2
        else v
        for v in oracle
    ]
    block = score_views(crashed)["agents"]["oracle"]["public"]
    outcome = block["outcome"]
    assert (outcome["n"], outcome["successes"], outcome["errored"]) == (4, 2, 2)
    assert outcome["success_rate"] == 0.5 and outcome["error_rate"] == 0.5
    assert outcome["success_without_errored"] == 1.0
    assert outcome["score"]["value"] == pytest.approx(0.5)
    assert block["compounding"]["n"] == 2 and block["compounding"]["errored_left_out"] == 2


def test_score_command_writes_scores_json(tmp_path: Path) -> None:
    import json

    from rich.console import Console

    from undertow.app.score import score_run
    from undertow.record import Trajectory

    store = RunStore.create(tmp_path / "run", "x", {"seeds": {}}, 1)
    store.append(
        Trajectory.model_validate(
            {
                "key": {"scenario": "s", "seed": 0, "agent": "a"},
                "outcome": {"success": True, "score": 1},
            }
        )
    )
    scores = score_run(store.directory, Console(width=200))
    assert json.loads((store.directory / "scores.json").read_text())["episodes"] == 1
    assert scores["agents"]["a"]["public"]["outcome"]["successes"] == 1


def estimates(tree: object, path: str = "") -> dict[str, dict]:
    """Every estimate in a scores tree, by its path."""
    found: dict[str, dict] = {}
    if isinstance(tree, dict):
        if {"value", "low", "high", "worlds"} <= tree.keys():
            found[path] = tree
        for key, value in tree.items():
            found |= estimates(value, f"{path}/{key}")
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            found |= estimates(value, f"{path}/{index}")
    return found


@pytest.mark.parametrize("trials", [2, 5])
def test_replicated_identical_trials_leave_every_interval_as_it_was(
    views: list[EpisodeView], trials: int
) -> None:
    """Each episode of the real run played `trials` times with the same result: no interval of
    any figure, per agent or paired, may narrow, and n stays the number of worlds."""
    import dataclasses

    replicated = [dataclasses.replace(v, trial=t) for v in views for t in range(trials)]
    first, second = score_views(views), score_views(replicated)
    once, many = estimates(first), estimates(second)
    compared = 0
    for path, before in once.items():
        after = many[path]
        if before["value"] is None:
            continue
        compared += 1
        assert after["worlds"] == before["worlds"], path
        for bound in ("value", "low", "high"):
            assert after[bound] == pytest.approx(before[bound], abs=1e-9), (path, bound)
    assert compared > 50
    for before, after in zip(first["comparisons"], second["comparisons"], strict=True):
        for metric, difference in before["metrics"].items():
            again = after["metrics"][metric]
            assert (again["p"], again["called"]) == (difference["p"], difference["called"])
    # what one trial cannot show, several identical ones show as what they are
    sloppy = second["agents"]["sloppy"]["public"]["consistency"]
    assert sloppy["outcome_consistency"]["value"] == 1.0
    assert sloppy["pass_at_k"]["value"] == sloppy["pass_hat_k"]["value"]
