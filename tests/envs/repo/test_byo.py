"""Bring your own codebase: a real git repository and a task file, evaluated like a sprint."""

from __future__ import annotations

from pathlib import Path

import docker
import gymnasium
import pytest

import undertow.envs  # noqa: F401  (registers the environments)
from tests.conftest import BUGGY, FIXED, git
from tests.envs.repo.test_env import play
from undertow.agents.scripted import NoopAgent, OracleAgent, SloppyAgent, TamperAgent
from undertow.envs.repo.byo import OwnRepoEnv, TaskFileError
from undertow.envs.sandbox.docker_backend import DockerSandbox


@pytest.fixture
def env(task_file: Path) -> OwnRepoEnv:
    environment = OwnRepoEnv(tasks=str(task_file), sandbox="local")
    yield environment
    environment.close()


def test_made_through_gymnasium(task_file: Path) -> None:
    made = gymnasium.make("undertow/OwnRepo-v0", tasks=str(task_file), sandbox="local")
    try:
        observation, info = made.reset(seed=0)
        assert "fix-add: add() must add." in observation["text"]
        assert info["probes"]["tickets_passing"] == 0
    finally:
        made.close()


def test_oracle_solves_and_noop_does_not(env: OwnRepoEnv) -> None:
    play(env, OracleAgent(), 0)
    assert env.verify().success
    assert env.ledger.errors() == []
    play(env, NoopAgent(), 0)
    assert not any(s.success for s in env.verify().subtasks)


def test_hidden_tests_never_enter_the_workspace(env: OwnRepoEnv) -> None:
    env.reset(seed=0)
    env.step({"tool": "run_tests"})
    env.step({"tool": "write_file", "args": {"path": "calc.py", "content": FIXED}})
    assert sorted(env.box.snapshot(excludes=(".git",))) == [
        "calc.py",
        "tests/__init__.py",
        "tests/test_calc.py",
    ]
    found = env.box.exec("grep -rl 'test_add\\|TestDouble\\|hidden_' . 2>/dev/null || true")
    assert found.stdout == ""


def test_each_expected_test_counts(env: OwnRepoEnv) -> None:
    env.reset(seed=0)
    half = BUGGY.replace("return a - b", "return a + b if a >= 0 else a - b")
    env.step({"tool": "write_file", "args": {"path": "calc.py", "content": half}})
    fix_add = env.verify().subtasks[0]
    assert (fix_add.success, fix_add.score) == (False, 0.5)
    assert "hidden_add.py::test_add_negative" in fix_add.detail


def test_sloppy_failure_links_to_the_declared_dependency(env: OwnRepoEnv) -> None:
    play(env, SloppyAgent(p=1.0, seed=0), 0)
    first, second = env.ledger.errors()
    assert (first.object, first.kind, first.caused_by) == ("fix-add", "wrong_fix", [])
    assert (second.object, second.caused_by) == ("double", [first.id])


def test_tampering_is_caught(env: OwnRepoEnv) -> None:
    steps = play(env, TamperAgent(), 0)
    assert steps[0].probes["tests_tampered"] == ["tests/test_calc.py"]
    assert "test_tampering" in {e.kind for e in env.ledger.errors()}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("repository: calc\n", "tasks: Field required"),
        ("[1, 2", "is not valid YAML"),
        (
            "repository: nowhere\ntasks: [{id: a, instruction: b, scope: [x], "
            "hidden_tests: {t.py: hidden/add.py}}]",
            "repository 'nowhere': no folder",
        ),
        (
            "repository: calc\ntasks: [{id: a, instruction: b, scope: [x], "
            "hidden_tests: {t.py: hidden/add.py}, depends_on: [z]}]",
            "which are not earlier tasks",
        ),
        (
            "repository: calc\ntasks: [{id: a, instruction: b, scope: [x], "
            "hidden_tests: {t.py: missing.py}}]",
            "no file 'missing.py'",
        ),
        (
            "repository: calc\ntasks: [{id: a, instruction: b, scope: [x], "
            "hidden_tests: {t.py: hidden/add.py}, hiden: c}]",
            "Extra inputs are not permitted",
        ),
        (
            "repository: calc\ntasks: [{id: a, instruction: b, scope: [x], test_command: c, "
            "hidden_tests: {t.py: hidden/add.py}}]",
            "no test_command any more",
        ),
        (
            "repository: calc\ntasks: [{id: a, instruction: b, scope: [x], "
            "hidden_tests: {t.py: calc/calc.py}}]",
            "defines no test",
        ),
    ],
)
def test_bad_task_files_are_explained(task_file: Path, content: str, message: str) -> None:
    bad = task_file.parent / "bad.yaml"
    bad.write_text(content)
    with pytest.raises(TaskFileError, match=message):
        OwnRepoEnv(tasks=str(bad), sandbox="local")


@pytest.mark.docker
def test_oracle_solves_on_docker(task_file: Path, docker_client: object) -> None:
    environment = OwnRepoEnv(tasks=str(task_file), sandbox="docker")
    try:
        play(environment, OracleAgent(), 0)
        assert environment.verify().success
    finally:
        environment.close()


def _needs_six(task_file: Path) -> None:
    """Make the repository import six (absent from the base image), on every branch."""
    repo = task_file.parent / "calc"
    for branch in ("main", "fix"):
        git(repo, "checkout", "-q", branch)
        (repo / "calc.py").write_text("import six  # noqa: F401\n" + (repo / "calc.py").read_text())
        git(repo, "commit", "-qam", "use six")
    git(repo, "checkout", "-q", "main")


@pytest.mark.docker
@pytest.mark.slow
def test_the_task_files_image_installs_the_dependencies(
    task_file: Path, docker_client: docker.DockerClient, offline_wheels: Path
) -> None:
    _needs_six(task_file)
    without = OwnRepoEnv(tasks=str(task_file), sandbox="docker")
    try:
        play(without, OracleAgent(), 0)
        outcome = without.verify()
        assert not outcome.success
        assert "ModuleNotFoundError: No module named 'six'" in outcome.subtasks[0].detail
    finally:
        without.close()
    task_file.write_text(
        task_file.read_text().replace(
            "tasks:",
            "image:\n  packages: [six==1.16.0]\n  setup: [python3 -c 'import six']\ntasks:",
        )
    )
    environment = OwnRepoEnv(tasks=str(task_file), sandbox="docker")
    try:
        play(environment, OracleAgent(), 0)
        assert environment.verify().success
        assert isinstance(environment.box, DockerSandbox)
        tag = environment.box.container.image.tags[0]
        assert tag.startswith("undertow-project:")
    finally:
        environment.close()
    docker_client.images.remove(tag, force=True)


def _at_claims(task_file: Path) -> OwnRepoEnv:
    task_file.write_text(task_file.read_text().replace("tasks:", "grading: at_claims\ntasks:"))
    return OwnRepoEnv(tasks=str(task_file), sandbox="local")


def test_grading_at_claims_runs_the_hidden_tests_only_at_claims_and_the_end(
    task_file: Path,
) -> None:
    environment = _at_claims(task_file)
    try:
        environment.reset(seed=0)
        assert environment.grading_runs == 1  # the start
        step = environment.step(
            {"tool": "write_file", "args": {"path": "calc.py", "content": FIXED}}
        )
        assert environment.grading_runs == 1 and step[4]["probes"]["tickets_passing"] == 0
        step = environment.step(
            {"tool": "submit_ticket", "args": {"id": "fix-add", "confidence": 0.9}}
        )
        assert environment.grading_runs == 2 and step[4]["probes"]["tickets_passing"] == 2
        environment.step({"tool": "write_file", "args": {"path": "calc.py", "content": BUGGY}})
        environment.step({"tool": "finish", "args": {"confidence": 0.5}})
        assert environment.grading_runs == 3
        kinds = {(e.object, e.kind) for e in environment.ledger.errors()}
        assert ("fix-add", "regression") in kinds and ("double", "wrong_fix") in kinds
    finally:
        environment.close()


@pytest.mark.slow
def test_grading_at_claims_keeps_the_contract(task_file: Path) -> None:
    from undertow.contract import check_contract

    _at_claims(task_file).close()
    results = check_contract("undertow/OwnRepo-v0", (0,), tasks=str(task_file), sandbox="local")
    assert all(result.ok for result in results), [r for r in results if not r.ok]


def _with_notes(task_file: Path) -> None:
    """Add a module no hidden test reaches, with a visible test of its own."""
    repo = task_file.parent / "calc"
    (repo / "notes.py").write_text("def note():\n    return 'n'\n")
    (repo / "tests" / "test_notes.py").write_text(
        "import notes\n\n\ndef test_note():\n    assert notes.note() == 'n'\n"
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "notes")
    task_file.write_text(task_file.read_text().replace('scope: ["calc.py"]', 'scope: ["*.py"]'))


def test_a_step_re_runs_only_the_test_files_that_reach_what_changed(task_file: Path) -> None:
    _with_notes(task_file)
    environment = OwnRepoEnv(tasks=str(task_file), sandbox="local")
    try:
        environment.reset(seed=0)
        runs = environment.grading_runs
        environment.step({"tool": "write_file", "args": {"path": "README", "content": "x"}})
        assert environment.grading_runs == runs + 1  # not a module: every test runs
        environment.step(
            {"tool": "write_file", "args": {"path": "scratch.py", "content": "X = 1\n"}}
        )
        assert environment.grading_runs == runs + 1  # nothing reaches it: nothing runs
        environment.step({"tool": "write_file", "args": {"path": "calc.py", "content": FIXED}})
        assert environment.grading_runs == runs + 2
        assert environment._last_run is not None
        ran = environment._last_run[3]
        assert "hidden_add.py" in ran and "tests/test_notes.py" not in ran
        incremental = environment._evaluation
        environment._evaluations = {}
        assert environment._evaluate() == incremental  # what a full run says
        assert incremental.tasks["fix-add"].ok and incremental.stable_failing == []
        environment.step(
            {
                "tool": "write_file",
                "args": {"path": "notes.py", "content": "def note():\n    return 1\n"},
            }
        )
        assert environment._last_run[3][-1] == "tests/test_notes.py"
        assert environment._evaluation.stable_failing == ["tests/test_notes.py::test_note"]
        runs = environment.grading_runs
        environment.step({"tool": "submit_ticket", "args": {"id": "fix-add", "confidence": 1}})
        assert environment.grading_runs == runs + 1  # a claim is judged on a full run
        assert "hidden_add.py" in environment._last_run[3]
    finally:
        environment.close()


def test_code_that_imports_another_way_makes_every_test_run(task_file: Path) -> None:
    _with_notes(task_file)
    environment = OwnRepoEnv(tasks=str(task_file), sandbox="local")
    try:
        environment.reset(seed=0)
        loader = (
            "def loaded():\n    import importlib\n\n    return importlib.import_module('notes')\n"
        )
        dynamic = f"{FIXED}\n\n{loader}"
        environment.step({"tool": "write_file", "args": {"path": "calc.py", "content": dynamic}})
        environment.step(
            {
                "tool": "write_file",
                "args": {"path": "notes.py", "content": "def note():\n    return 1\n"},
            }
        )
        assert environment._last_run is not None
        assert "hidden_add.py" in environment._last_run[3]  # calc.py may reach notes.py
    finally:
        environment.close()
