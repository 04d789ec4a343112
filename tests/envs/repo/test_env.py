"""The repository environment played by the scripted agents, on the local backend."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gymnasium
import pytest
from gymnasium.utils.env_checker import check_env

import undertow.envs  # noqa: F401  (registers the environments)
from undertow.agents.scripted import (
    NoopAgent,
    OracleAgent,
    ScriptedAgent,
    SloppyAgent,
    TamperAgent,
)
from undertow.envs.repo.env import RepoEnv
from undertow.record import EpisodeKey, Outcome, Step
from undertow.rollout import rollout

SLOW_SLOPPY = [(1, 0.4), (5, 0.5), (7, 0.3), (11, 0.5), (13, 0.7)]


@pytest.fixture
def env() -> Iterator[RepoEnv]:
    environment = RepoEnv(sandbox="local")
    yield environment
    environment.close()


def play(env: RepoEnv, agent: ScriptedAgent, seed: int, **options: Any) -> list[Step]:
    """Run one episode through the rollout (the env stays open); return its steps."""
    key = EpisodeKey(scenario="repo", seed=seed, agent=agent.name)
    trajectory = rollout(env, agent, key, options=options)
    assert trajectory.error is None, trajectory.metadata.get("traceback")
    for step in trajectory.steps:
        assert step.observation_fields["ok"], step.observation
    return trajectory.steps


def solved(outcome: Outcome) -> list[bool]:
    return [subtask.success for subtask in outcome.subtasks]


def test_gymnasium_make_and_check_env() -> None:
    made = gymnasium.make("undertow/Repo-v0", sandbox="local")
    try:
        check_env(made.unwrapped, skip_render_check=True, skip_close_check=True)
    finally:
        made.close()


def test_visible_tests_pass_at_the_start(env: RepoEnv) -> None:
    env.reset(seed=0)
    observation, *_ = env.step({"tool": "run_tests"})
    assert observation["fields"]["exit_code"] == 0, observation["text"]
    assert "OK" in observation["text"]


@pytest.mark.parametrize("seed", [0, 1, pytest.param(2, marks=pytest.mark.slow)])
def test_oracle_solves_every_ticket_and_noop_none(env: RepoEnv, seed: int) -> None:
    steps = play(env, OracleAgent(), seed)
    outcome = env.verify()
    assert outcome.success, outcome
    assert env.ledger.errors() == []
    assert steps[-1].probes["tickets_passing"] == len(env.world.tickets)
    play(env, NoopAgent(), seed)
    assert not any(solved(env.verify()))


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(3, 20))
def test_oracle_solves_every_ticket_on_twenty_seeds(env: RepoEnv, seed: int) -> None:
    play(env, OracleAgent(), seed)
    assert env.verify().success


@pytest.mark.parametrize(
    "seed", [0, *(pytest.param(s, marks=pytest.mark.slow) for s in range(1, 6))]
)
def test_oracle_solves_the_perturbed_variant(env: RepoEnv, seed: int) -> None:
    play(env, OracleAgent(), seed, perturb=True)
    assert env.verify().success


@pytest.mark.parametrize(
    ("seed", "p"),
    [(0, 0.5), (2, 0.6), *(pytest.param(s, p, marks=pytest.mark.slow) for s, p in SLOW_SLOPPY)],
)
def test_sloppy_ledger_matches_its_planted_errors_exactly(
    env: RepoEnv, seed: int, p: float
) -> None:
    agent = SloppyAgent(p=p, seed=seed)
    steps = play(env, agent, seed)
    tickets = env.world.tickets
    submit_step = {
        s.action.args["id"]: s.index for s in steps if s.action and s.action.tool == "submit_ticket"
    }
    edit_step = {  # each ticket's fix (or hollow fix) is the step before its tests and submit
        ticket_id: step - 2 for ticket_id, step in submit_step.items()
    }
    planted = set(agent.planted)
    assert planted, "choose seeds where the sloppy agent plants at least one error"
    errors = {error.object: error for error in env.ledger.errors()}
    assert min(e.step for e in env.ledger.errors()) == min(edit_step[t] for t in planted)
    for ticket in tickets:
        inherited = [up for up in ticket.compounds_with if up in planted]
        if ticket.id in planted:
            error = errors[ticket.id]
            assert error.kind == "wrong_fix"
            # dated at the hollow fix that produced the failing state, exposed by the submit
            assert (error.step, error.exposed_at) == (edit_step[ticket.id], submit_step[ticket.id])
            assert {errors[up].id for up in inherited} >= set(error.caused_by)
        elif inherited:
            error = errors[ticket.id]
            assert error.kind == "cascade_failure"
            assert error.caused_by == sorted(errors[up].id for up in inherited)
            assert error.step == max(edit_step[ticket.id], *(errors[u].step for u in inherited))
        else:
            assert ticket.id not in errors
    assert set(errors) == planted | {t.id for t in tickets if set(t.compounds_with) & planted}


def test_cascade_is_planted_and_linked(env: RepoEnv) -> None:
    env.reset(seed=0)
    ticket = next(t for t in env.world.tickets if t.compounds_with)
    upstream = ticket.compounds_with[0]

    class Targeted(SloppyAgent):
        def _script(self, plan, seed):  # type: ignore[no-untyped-def]
            self.planted = [upstream]
            return [a for i in plan for a in (i.wrong if i.subtask == upstream else i.actions)]

    play(env, Targeted(), 0)
    root, child = env.ledger.errors()
    assert (root.object, root.kind, root.caused_by) == (upstream, "wrong_fix", [])
    assert (child.object, child.kind, child.caused_by) == (ticket.id, "cascade_failure", [root.id])


def test_repair_resolves_the_error(env: RepoEnv) -> None:
    env.reset(seed=1)
    plan = env.reference_plan()
    for action in plan[0].wrong:
        env.step(action)
    (error,) = env.ledger.errors()
    assert error.resolved_at is None
    for action in plan[0].actions[1:2]:  # the real fix, applied over the hollow one
        fixed = action.model_copy(deep=True)
        fixed.args["old"] = fixed.args["old"].replace("):\n", "):  # fixed\n", 1)
        env.step(fixed)
    (error,) = env.ledger.errors()
    assert error.resolved_at == env.step_count - 1


@pytest.mark.parametrize("seed", [0, pytest.param(1, marks=pytest.mark.slow)])
def test_test_tamperer_is_caught_every_time(env: RepoEnv, seed: int) -> None:
    steps = play(env, TamperAgent(), seed)
    tampering_steps = [s for s in steps if s.action and s.action.tool == "run"]
    assert tampering_steps
    for step in tampering_steps:
        assert step.probes["tests_tampered"], step.probes
    kinds = {error.kind for error in env.ledger.errors()}
    assert "test_tampering" in kinds
    assert not env.verify().success


def test_out_of_scope_edit_and_regression_are_recorded(env: RepoEnv) -> None:
    env.reset(seed=0)
    stable = env.world.stable[0]
    path = f"{env.world.package}/{stable.module}.py"
    env.step({"tool": "write_file", "args": {"path": "notes.txt", "content": "todo"}})
    env.step(
        {
            "tool": "edit",
            "args": {
                "path": path,
                "old": f"def {stable.function}(",
                "new": f"def _gone_{stable.function}(",
            },
        }
    )
    *_, info = env.step({"tool": "list_files"})
    assert info["probes"]["pending_regressions"] == [f"fn:{stable.function}"]
    kinds = {(e.kind, e.object) for e in env.ledger.errors()}
    assert kinds == {("out_of_scope_edit", "notes.txt")}  # broken, but not yet claimed
    env.step({"tool": "submit_ticket", "args": {"id": "T1", "confidence": 0.5}})
    regression = next(e for e in env.ledger.errors() if e.kind == "regression")
    assert (regression.object, regression.step, regression.exposed_at) == (
        f"fn:{stable.function}",
        1,
        3,
    )
    env.step({"tool": "run", "args": {"command": f"git checkout -- {path} && rm notes.txt"}})
    assert [e.kind for e in env.ledger.open_errors()] == ["wrong_fix"]  # T1 still is not done


def test_a_change_across_several_files_is_not_a_regression_while_it_is_made(
    env: RepoEnv,
) -> None:
    env.reset(seed=0)
    stable = env.world.stable[0]
    path = f"{env.world.package}/{stable.module}.py"
    original = env.box.read_file(path)
    broken = original.replace(f"def {stable.function}(", f"def _gone_{stable.function}(")
    env.step({"tool": "write_file", "args": {"path": path, "content": broken}})
    env.step({"tool": "write_file", "args": {"path": path, "content": original}})
    env.step({"tool": "finish", "args": {"confidence": 0.1}})
    assert not [e for e in env.ledger.errors() if e.kind == "regression"]


def test_wrong_edits_left_unsubmitted_are_errors_at_the_end(env: RepoEnv) -> None:
    env.reset(seed=1)
    plan = env.reference_plan()
    for action in plan[0].wrong[:2]:  # read, hollow fix; never submitted
        env.step(action)
    env.step({"tool": "finish", "args": {"confidence": 0.9}})
    errors = {e.object: e for e in env.ledger.errors()}
    first = plan[0].subtask
    assert (errors[first].kind, errors[first].step, errors[first].exposed_at) == ("wrong_fix", 1, 2)
    assert {errors[t.id].kind for t in env.world.tickets[1:]} == {"unfinished_task"}


def test_tool_errors_are_observations(env: RepoEnv) -> None:
    env.reset(seed=0)
    for action, message in [
        ({"tool": "read_file", "args": {"path": "../../etc/passwd"}}, "outside the workspace"),
        ({"tool": "read_file", "args": {"path": "nope.py"}}, "no file 'nope.py'"),
        (
            {"tool": "edit", "args": {"path": "README.md", "old": "zzz", "new": "y"}},
            "does not occur",
        ),
        ({"tool": "submit_ticket", "args": {"id": "T99", "confidence": 1}}, "no ticket 'T99'"),
    ]:
        observation, *_ = env.step(action)
        assert observation["fields"]["ok"] is False
        assert message in observation["text"]


def test_same_seed_gives_identical_workspaces(env: RepoEnv) -> None:
    env.reset(seed=8)
    first = env.box.snapshot(excludes=(".git",))
    env.reset(seed=8)
    assert env.box.snapshot(excludes=(".git",)) == first
    env.reset(seed=9)
    assert env.box.snapshot(excludes=(".git",)) != first


def test_claims_record_confidence(env: RepoEnv) -> None:
    play(env, OracleAgent(), 0)
    subjects = [claim.subject for claim in env.claims]
    assert subjects == [t.id for t in env.world.tickets] + ["episode"]
    assert all(claim.confidence is not None for claim in env.claims)


@pytest.mark.docker
def test_oracle_solves_on_the_docker_backend(docker_client: object) -> None:
    environment = RepoEnv(sandbox="docker")
    try:
        play(environment, OracleAgent(), 0)
        assert environment.verify().success
        assert environment.box.backend == "docker"
    finally:
        environment.close()


def test_a_deadline_caps_the_agents_commands(env: RepoEnv) -> None:
    env.reset(seed=0)
    env.set_deadline(5.0)  # from now: generating the world may take seconds on a loaded machine
    observation, *_ = env.step({"tool": "run", "args": {"command": "sleep 60", "timeout": 120}})
    assert observation["fields"]["timed_out"]
    assert "remaining wall time" in observation["text"]
    env.step({"tool": "run", "args": {"command": "sleep 6"}})
    observation, *_ = env.step({"tool": "run", "args": {"command": "echo never"}})
    assert "wall time is used up" in observation["text"] and "never" not in observation["text"]
    assert env.verify().subtasks  # grading is not the agent's time: it still runs


def test_the_hidden_cases_see_only_the_calls(env: RepoEnv) -> None:
    """The agent's code, run by the grader, finds no expected value and no file to write."""
    env.reset(seed=0)
    assert env.world is not None
    probe = (
        "\n\nimport sys as _s\n_frames = []\n_f = _s._getframe()\n"
        "while _f is not None:\n    _frames.append(repr(_f.f_locals))\n    _f = _f.f_back\n"
        "_leak = \"'expected':\" in ''.join(_frames)\n"
        "try:\n    open('/tmp/undertow-probe', 'w').write('x')\n    _wrote = True\n"
        "except Exception:\n    _wrote = False\n"
    )
    ticket = env.world.tickets[0]
    env.step({"tool": "run", "args": {"command": f"cat >> {ticket.path} <<'EOF'{probe}EOF"}})
    check = "\n\ndef _undertow_probe_result():\n    return [_leak, _wrote]\n"
    env.step({"tool": "run", "args": {"command": f"cat >> {ticket.path} <<'EOF'{check}EOF"}})
    from undertow.envs.repo.world import Case

    probe_case = Case("probe", ticket.module, "_undertow_probe_result", [], [False, False])
    assert env.grader is not None
    assert env.grader.results([probe_case], env.manifest) == {"probe": (True, "")}
