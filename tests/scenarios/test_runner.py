"""The runner: full episodes, limits, errored episodes, malformed actions, resume."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from undertow.agents.registry import make_agent
from undertow.agents.scripted import OracleAgent
from undertow.envs.sandbox import open_provider
from undertow.record import CANARY, EpisodeStatus, Usage
from undertow.record.store import RunStore
from undertow.scenarios.runner import latest_records, pending, run_episode, run_episodes
from undertow.scenarios.suite import Episode, expand, parse_suite
from undertow.scoring.view import read_views

SUITE = """
name: runner-test
scenarios:
  - name: repo
    env: undertow/Repo-v0
    options: {tickets: 2, sandbox: local}
    limits: {max_steps: 40}
agents: [oracle, noop]
seeds: {public: 0-1}
"""


def episodes(text: str = SUITE) -> list[Episode]:
    return expand(parse_suite(text, "test"))


def test_oracle_episode_is_recorded_completely() -> None:
    episode = next(e for e in episodes() if e.key.agent == "oracle")
    trajectory = run_episode(episode, OracleAgent())
    assert trajectory.status is EpisodeStatus.COMPLETED
    assert trajectory.outcome is not None and trajectory.outcome.success
    assert trajectory.steps[-1].terminated
    assert trajectory.steps[0].probes["tickets_passing"] == 0
    assert trajectory.steps[-1].probes["tickets_passing"] == 2
    assert [c.subject for c in trajectory.claims][-1] == "episode"
    assert trajectory.metadata["canary"] == CANARY
    assert trajectory.task.startswith("You are working in")


class Scripted:
    """An agent that replays given outputs, then fails if asked for more."""

    name = "scripted-test"
    needs_plan = False

    def __init__(self, outputs: list[Any]) -> None:
        self.outputs = list(outputs)

    def reset(self, task: str, tools: list, seed: int, plan: Any = None) -> None:
        pass

    def act(self, observation: dict) -> Any:
        if not self.outputs:
            raise RuntimeError("out of script")
        return self.outputs.pop(0)

    def last_usage(self) -> Usage:
        return Usage(prompt_tokens=10, completion_tokens=5)


def test_malformed_outputs_are_recorded_steps() -> None:
    episode = episodes()[0]
    trajectory = run_episode(
        episode,
        Scripted(["not json", {"tool": "fly"}, {"tool": "finish", "args": {"confidence": 0}}]),
    )
    assert trajectory.status is EpisodeStatus.COMPLETED
    first, second, third = trajectory.steps
    assert first.action is None and first.raw_action == "not json"
    assert "not valid JSON" in first.observation
    assert second.action is not None and second.action.tool == "fly"  # well formed, unknown
    assert "unknown tool 'fly'" in second.observation
    assert second.observation_fields["ok"] is False
    assert third.action is not None and third.action.tool == "finish"
    assert first.usage.prompt_tokens == 10


def test_step_limit_truncates() -> None:
    episode = episodes(SUITE.replace("max_steps: 40", "max_steps: 3"))[0]
    trajectory = run_episode(episode, Scripted([{"tool": "list_files"}] * 3))
    assert trajectory.status is EpisodeStatus.TRUNCATED
    assert len(trajectory.steps) == 3
    assert trajectory.outcome is not None


def test_token_limit_truncates() -> None:
    text = SUITE.replace("max_steps: 40", "max_steps: 40, max_tokens: 30")
    trajectory = run_episode(episodes(text)[0], Scripted([{"tool": "list_files"}] * 10))
    assert trajectory.status is EpisodeStatus.TRUNCATED
    assert len(trajectory.steps) == 3  # 15 tokens a step: over 30 after the third


def test_crashing_agent_gives_an_errored_episode_with_partial_steps() -> None:
    trajectory = run_episode(episodes()[0], Scripted([{"tool": "list_files"}]))
    assert trajectory.status is EpisodeStatus.ERRORED
    assert trajectory.error == "RuntimeError: out of script"
    assert len(trajectory.steps) == 1
    assert "traceback" in trajectory.metadata


def test_run_stores_every_episode_and_resume_repeats_none(tmp_path: Path) -> None:
    planned = episodes()
    store = RunStore.create(tmp_path / "run", SUITE, {"seeds": {}}, len(planned))
    provider = open_provider("local")
    first = run_episodes(planned[:2], store, parallel=2, provider=provider)
    assert (first.completed, first.skipped) == (2, 0)
    second = run_episodes(planned, store, parallel=2, provider=provider)
    assert (second.completed, second.skipped) == (2, 2)
    ids = [t.key.id for t in store.trajectories()]
    assert sorted(ids) == sorted(e.key.id for e in planned)


def test_unknown_agent_in_a_run_is_an_errored_episode(tmp_path: Path) -> None:
    planned = episodes()[:1]
    bad = [
        Episode(
            planned[0].key,
            planned[0].scenario,
            planned[0].agent.model_copy(update={"id": "ghost"}),
            {},
            False,
        )
    ]
    store = RunStore.create(tmp_path / "run", SUITE, {"seeds": {}}, 1)
    result = run_episodes(bad, store)
    assert result.errored == 1
    (trajectory,) = store.trajectories()
    assert "unknown agent 'ghost'" in (trajectory.error or "")


class Flaky:
    """make_agent that fails for the oracle while ``failing`` (a dead endpoint, say)."""

    def __init__(self) -> None:
        self.failing = True

    def __call__(self, agent_id: str, options: dict[str, Any]) -> Any:
        if self.failing and agent_id == "oracle":
            raise ConnectionError("model endpoint unreachable")
        return make_agent(agent_id, options)


def test_retrying_errored_episodes_supersedes_their_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store is append-only: the retried episodes are appended, and every reader (the
    store's latest records, the scorers' views) keeps the latest record of each episode."""
    flaky = Flaky()
    monkeypatch.setattr("undertow.scenarios.runner.make_agent", flaky)
    planned = episodes()
    store = RunStore.create(tmp_path / "run", SUITE, {"seeds": {}}, len(planned))
    provider = open_provider("local")
    first = run_episodes(planned, store, provider=provider)
    assert (first.errored, first.completed) == (2, 2)
    again = run_episodes(planned, store, provider=provider)
    assert again.skipped == 4, "a plain resume never repeats an episode, errored or not"
    assert pending(planned, store, retry_errored=True) == [
        e for e in planned if e.key.agent == "oracle"
    ]
    flaky.failing = False
    retried = run_episodes(planned, store, provider=provider, retry_errored=True)
    assert (retried.completed, retried.skipped) == (2, 2)
    assert len(store.read().trajectories) == 6  # nothing rewritten: two records appended
    latest = latest_records(store.trajectories())
    assert len(latest) == 4 and all(t.status is not EpisodeStatus.ERRORED for t in latest)
    views, _ = read_views(store.trajectories_path)
    assert sorted(v.episode_key for v in views) == sorted(
        (e.key.scenario, e.key.variant, e.key.seed, e.key.agent, e.key.trial) for e in planned
    )
    assert all(v.success for v in views if v.agent == "oracle")
    assert pending(planned, store, retry_errored=True) == []


@pytest.mark.parametrize("parallel", [1, 3])
def test_parallel_runs_give_the_same_outcomes(tmp_path: Path, parallel: int) -> None:
    planned = episodes()
    store = RunStore.create(tmp_path / f"run{parallel}", SUITE, {"seeds": {}}, len(planned))
    run_episodes(planned, store, parallel=parallel, provider=open_provider("local"))
    outcomes = {t.key.id: t.outcome.success for t in store.trajectories() if t.outcome}
    assert outcomes == {e.key.id: e.key.agent == "oracle" for e in planned}
