"""Hidden cases graded incrementally: after a step only the cases a change can affect run,
and the results are always those of a full evaluation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from undertow.agents.scripted import OracleAgent, SloppyAgent
from undertow.envs.repo.env import RepoEnv
from undertow.envs.repo.imports import reach, read_imports


@pytest.fixture
def env() -> Iterator[RepoEnv]:
    environment = RepoEnv(sandbox="local", difficulty=3, tickets=20)
    yield environment
    environment.close()


def results(env: RepoEnv) -> dict[str, str]:
    return {task: result.fingerprint for task, result in env._evaluation.tasks.items()}


def full(env: RepoEnv) -> dict[str, str]:
    return {task: result.fingerprint for task, result in env._evaluate().tasks.items()}


@pytest.mark.slow
@pytest.mark.parametrize(
    "agent", [OracleAgent(), SloppyAgent(p=0.5, seed=3)], ids=["oracle", "sloppy"]
)
def test_incremental_results_equal_full_ones_after_every_step(
    env: RepoEnv, agent: OracleAgent | SloppyAgent
) -> None:
    observation, _ = env.reset(seed=1)
    agent.reset(observation["text"], env.tools(), 1, plan=env.reference_plan())
    assert env.grader is not None
    total = len(env._all_cases())
    partial = 0
    terminated = False
    while not terminated:
        before = env.grader.cases_run
        observation, _, terminated, _, _ = env.step(agent.act(observation))
        ran = env.grader.cases_run - before
        partial += 0 < ran < total
        if not terminated:
            assert results(env) == full(env), env.current_action
    assert partial > 10  # most edits re-ran only the cases that reach the changed module


def test_an_edit_re_runs_only_the_cases_that_reach_the_module(env: RepoEnv) -> None:
    env.reset(seed=0)
    world = env.world
    assert env.grader is not None
    package = world.package
    graph = {
        path[len(package) + 1 : -len(".py")]: read_imports(env.box.read_file(path), package)
        for path in env.grader.sources(env.manifest)
    }
    cases = env._all_cases()
    reaching = [c for c in cases if "tax" in (reach(graph, c.module) or {"tax"})]
    path = world.module_path("tax")
    text = env.box.read_file(path) + "\n\nUNUSED = 1\n"
    before = env.grader.cases_run
    env.step({"tool": "write_file", "args": {"path": path, "content": text}})
    assert 0 < env.grader.cases_run - before == len(reaching) < len(cases)


def test_a_dynamic_import_cannot_keep_a_stale_pass() -> None:
    """A function that fetches its body from another module by importlib is open: breaking
    that module re-runs the function's cases, which now fail, as a full evaluation says."""
    env = RepoEnv(sandbox="local", difficulty=1)
    try:
        ok_after_fetch, ok_after_break = _fetch_then_break(env)
        assert ok_after_fetch and not ok_after_break
        assert results(env) == full(env)
    finally:
        env.close()


def _fetch_then_break(env: RepoEnv) -> tuple[bool, bool]:
    """Whether the ticket passes with its body fetched from a correct module, then with that
    module broken."""
    env.reset(seed=0)
    world = env.world
    ticket = next(
        t
        for t in world.tickets
        if t.kind == "bug" and t.fix_old and not t.edits and not t.compounds_with
    )
    package, name = world.package, ticket.function
    path = world.module_path(ticket.module)
    stub = (
        f"def {name}(*args, **kwargs):\n    import importlib\n\n"
        f"    return importlib.import_module('{package}.zz_impl').{name}(*args, **kwargs)\n"
    )
    shipped = env.box.read_file(path)
    assert ticket.fix_old is not None and ticket.fix_old in shipped
    env.step(
        {
            "tool": "write_file",
            "args": {"path": path, "content": shipped.replace(ticket.fix_old, stub)},
        }
    )
    impl = f"{package}/zz_impl.py"
    correct = world.correct_modules[ticket.module]
    env.step({"tool": "write_file", "args": {"path": impl, "content": correct}})
    ok_after_fetch = env._evaluation.tasks[ticket.id].ok
    env.step({"tool": "write_file", "args": {"path": impl, "content": shipped}})
    return ok_after_fetch, env._evaluation.tasks[ticket.id].ok
