"""The red team, on the docker and the local backend: no attack earns credit, and attempts on
what graders read are in the ledger as tampering."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from undertow.agents.redteam.repo import (
    AnswerKeyAgent,
    BytecodeAgent,
    ConftestAgent,
    CrossEpisodeAgent,
    EarlyExitAgent,
    FifoAgent,
    FixLeakAgent,
    ForgedResultAgent,
    HiddenThiefAgent,
    HostileInputAgent,
    PytestCacheAgent,
    RedTeamAgent,
    SetsidAgent,
    StdlibShadowAgent,
)
from undertow.agents.registry import make_agent
from undertow.envs.repo.byo import OwnRepoEnv
from undertow.envs.repo.env import RESULT_CHANNEL, RepoEnv
from undertow.envs.repo.sprint import SprintEnv
from undertow.record import Outcome

SEED = 0
MAX_STEPS = 80
HANG_SECONDS = 300
HIDDEN_MARKERS = ("test_add_negative", "TestDouble", "hidden_add", "calc.double(4) == 8")


@pytest.fixture(autouse=True)
def no_loot_from_earlier_runs() -> None:
    """What an earlier run's attacks left in this host's /tmp (the local backend shares it)."""
    for path in Path("/tmp").glob("undertow-redteam-*"):
        shutil.rmtree(path) if path.is_dir() else path.unlink()


@pytest.fixture(params=["local", pytest.param("docker", marks=pytest.mark.docker)])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "docker":
        request.getfixturevalue("docker_client")
    return str(request.param)


@pytest.fixture
def repo(backend: str) -> Iterator[RepoEnv]:
    env = RepoEnv(sandbox=backend)
    yield env
    env.close()


@pytest.fixture
def own_repo(backend: str, task_file: Path) -> Iterator[OwnRepoEnv]:
    env = OwnRepoEnv(tasks=str(task_file), sandbox=backend)
    yield env
    env.close()


def honest(env: SprintEnv, seed: int = SEED) -> dict[str, float]:
    """Each ticket's score in the untouched workspace."""
    env.reset(seed=seed)
    return {subtask.id: subtask.score for subtask in env.verify().subtasks}


def attack(env: SprintEnv, agent: RedTeamAgent, seed: int = SEED) -> Outcome:
    """Play the agent to its finish; every step must be an observation, never an exception,
    and none may hang (the episode runs on a thread, given minutes on a loaded machine)."""
    done: list[Outcome] = []
    failed: list[BaseException] = []

    def play() -> None:
        try:
            done.append(_play(env, agent, seed))
        except BaseException as exc:
            failed.append(exc)

    thread = threading.Thread(target=play, daemon=True)
    thread.start()
    thread.join(HANG_SECONDS)
    if thread.is_alive():
        pytest.fail(f"{agent.name}: the episode hung for {HANG_SECONDS}s")
    if failed:
        raise failed[0]
    return done[0]


def _play(env: SprintEnv, agent: RedTeamAgent, seed: int) -> Outcome:
    observation, _ = env.reset(seed=seed)
    agent.reset(observation["text"], env.tools(), seed)
    for _ in range(MAX_STEPS):
        observation, _, terminated, _, _ = env.step(agent.act(observation))
        if terminated:
            break
    else:
        pytest.fail(f"{agent.name} did not finish within {MAX_STEPS} steps")
    agent.observations.append(observation["text"])
    return env.verify()


def assert_no_unearned_credit(outcome: Outcome, baseline: dict[str, float]) -> None:
    assert not outcome.success, outcome
    for subtask in outcome.subtasks:
        assert subtask.score <= baseline[subtask.id], (subtask, baseline)


def tampering(env: SprintEnv) -> set[str]:
    return {e.object for e in env.ledger.errors() if e.kind == "grader_tampering"}


@pytest.mark.parametrize(
    "agent_class", [AnswerKeyAgent, ForgedResultAgent, StdlibShadowAgent, BytecodeAgent]
)
def test_code_in_the_grading_process_earns_nothing(
    repo: RepoEnv, agent_class: type[RedTeamAgent]
) -> None:
    baseline = honest(repo)
    agent = agent_class()
    outcome = attack(repo, agent)
    assert_no_unearned_credit(outcome, baseline)
    assert repo.grader is not None and repo.grader.evaluations >= 2
    if agent_class is StdlibShadowAgent:
        assert "json.py" in tampering(repo)
    if agent_class is BytecodeAgent:
        assert any("__pycache__" in path for path in tampering(repo)), repo.ledger.errors()
    if agent_class is ForgedResultAgent:
        (error,) = [e for e in repo.ledger.errors() if e.object == RESULT_CHANNEL]
        assert error.kind == "grader_tampering" and "forged" in error.detail


def test_a_setsid_survivor_dies_and_steals_nothing(repo: RepoEnv) -> None:
    baseline = honest(repo)
    agent = SetsidAgent()
    assert_no_unearned_credit(attack(repo, agent), baseline)
    assert any("no survivor" in text for text in agent.observations)


def test_counterfactual_fixes_never_reach_the_agent(repo: RepoEnv) -> None:
    baseline = honest(repo, seed=1)
    agent = FixLeakAgent()
    outcome = attack(repo, agent, seed=1)
    assert repo.world is not None and repo.grader is not None
    assert repo.grader.counterfactuals > 0, "the seed must need a diagnosis"
    assert_no_unearned_credit(outcome, baseline)
    fixes = [t.fix_new.split("\n", 2)[1] for t in repo.world.tickets]
    for text in agent.observations:
        assert not any(fix in text for fix in fixes if fix.strip())


def test_a_fifo_is_a_change_not_a_hang(repo: RepoEnv) -> None:
    baseline = honest(repo)
    outcome = attack(repo, FifoAgent())
    assert_no_unearned_credit(outcome, baseline)
    assert {"trap"} <= tampering(repo)
    assert any(path.endswith("/trap.py") for path in tampering(repo))


def test_hostile_input_is_an_observation(repo: RepoEnv) -> None:
    agent = HostileInputAgent()
    attack(repo, agent)
    texts = agent.observations[1:]  # refused at the env's door, before any sandbox sees them
    assert "holds a NUL character" in texts[0]
    assert "not valid Unicode" in texts[1]
    assert "holds a NUL character" in texts[2] and "not valid Unicode" in texts[3]
    assert "not valid Unicode" in texts[4]
    assert "numbers must be finite" in texts[5]
    assert "still here" in texts[6]


@pytest.mark.skipif(os.geteuid() != 0, reason="without root, local sandboxes share one user")
def test_one_local_episode_cannot_reach_another() -> None:
    victim, attacker = RepoEnv(sandbox="local"), RepoEnv(sandbox="local")
    try:
        victim.reset(seed=3)
        assert victim.box is not None
        victim.box.write_file("secret.txt", "the victim's secret")
        before = victim.box.snapshot()
        agent = CrossEpisodeAgent()
        attack(attacker, agent)
        assert victim.box.snapshot() == before
        assert not any("the victim's secret" in text for text in agent.observations)
        assert any("scanned" in text for text in agent.observations)
    finally:
        victim.close()
        attacker.close()


def test_an_early_exit_passes_nothing(own_repo: OwnRepoEnv) -> None:
    baseline = honest(own_repo)
    outcome = attack(own_repo, EarlyExitAgent())
    assert_no_unearned_credit(outcome, baseline)
    assert outcome.detail["stable_failing"], "the visible tests stopped running: a regression"


def test_hidden_test_names_and_sources_stay_hidden(own_repo: OwnRepoEnv) -> None:
    for agent in (PytestCacheAgent(), HiddenThiefAgent()):
        baseline = honest(own_repo)
        assert_no_unearned_credit(attack(own_repo, agent), baseline)
        for text in agent.observations:
            assert not any(marker in text for marker in HIDDEN_MARKERS), (agent.name, text)


def test_a_planted_conftest_is_tampering_and_not_loaded(own_repo: OwnRepoEnv) -> None:
    baseline = honest(own_repo)
    outcome = attack(own_repo, ConftestAgent())
    assert_no_unearned_credit(outcome, baseline)
    assert "conftest.py" in tampering(own_repo)


@pytest.mark.parametrize(
    "agent_id", ["redteam-answer-key", "redteam-setsid", "redteam-early-exit", "redteam-fifo"]
)
def test_red_team_agents_are_registered(agent_id: str) -> None:
    agent: Any = make_agent(agent_id)
    assert agent.name == agent_id and agent.needs_plan is False
