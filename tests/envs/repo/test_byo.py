"""Bring your own codebase: a real git repository and a task file, evaluated like a sprint."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import gymnasium
import pytest

import undertow.envs  # noqa: F401  (registers the environments)
from tests.envs.repo.test_env import play
from undertow.agents.scripted import NoopAgent, OracleAgent, SloppyAgent, TamperAgent
from undertow.envs.repo.byo import OwnRepoEnv, TaskFileError

BUGGY = "def add(a, b):\n    return a - b\n\n\ndef double(x):\n    return add(x, x)\n"
FIXED = BUGGY.replace("a - b", "a + b")


def git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=folder,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def task_file(tmp_path: Path) -> Path:
    repo = tmp_path / "calc"
    (repo / "tests").mkdir(parents=True)
    (repo / "calc.py").write_text(BUGGY)
    (repo / "tests" / "__init__.py").write_text("")
    (repo / "tests" / "test_calc.py").write_text(
        "import unittest\nimport calc\n\n\nclass T(unittest.TestCase):\n"
        "    def test_zero(self):\n        self.assertEqual(calc.add(0, 0), 0)\n"
    )
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "start")
    git(repo, "checkout", "-qb", "fix")
    (repo / "calc.py").write_text(FIXED)
    git(repo, "commit", "-qam", "fix")
    git(repo, "checkout", "-q", "main")
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    (hidden / "add.py").write_text("import calc\nassert calc.add(2, 3) == 5\n")
    (hidden / "double.py").write_text("import calc\nassert calc.double(4) == 8\n")
    spec = tmp_path / "tasks.yaml"
    spec.write_text(
        textwrap.dedent(
            """
            repository: calc
            test_command: python3 -m unittest discover -s tests -t .
            test_paths: ["tests/*"]
            tasks:
              - id: fix-add
                instruction: add() must add.
                scope: ["calc.py"]
                hidden_tests: {hidden_add.py: hidden/add.py}
                test_command: python3 hidden_add.py
                solution_ref: fix
              - id: double
                instruction: double() must double.
                scope: ["calc.py"]
                hidden_tests: {hidden_double.py: hidden/double.py}
                test_command: python3 hidden_double.py
                depends_on: [fix-add]
                solution_ref: fix
            """
        )
    )
    return spec


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


def test_hidden_tests_leave_no_trace(env: OwnRepoEnv) -> None:
    env.reset(seed=0)
    assert sorted(env.box.snapshot()) == ["calc.py", "tests/__init__.py", "tests/test_calc.py"]


def test_sloppy_failure_links_to_the_declared_dependency(env: OwnRepoEnv) -> None:
    play(env, SloppyAgent(p=1.0, seed=0), 0)
    first, second = env.ledger.errors()
    assert (first.object, first.kind, first.caused_by) == ("fix-add", "wrong_fix", [])
    assert (second.object, second.caused_by) == ("double", [first.id])


def test_tampering_is_caught(env: OwnRepoEnv) -> None:
    infos = play(env, TamperAgent(), 0)
    assert infos[0]["probes"]["tests_tampered"] == ["tests/test_calc.py"]
    assert "test_tampering" in {e.kind for e in env.ledger.errors()}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("repository: calc\n", "tasks: Field required"),
        ("[1, 2", "is not valid YAML"),
        (
            "repository: nowhere\ntasks: [{id: a, instruction: b, scope: [x], test_command: c}]",
            "is not a git repository",
        ),
        (
            "repository: calc\ntasks: [{id: a, instruction: b, scope: [x], test_command: c, "
            "depends_on: [z]}]",
            "which are not earlier tasks",
        ),
        (
            "repository: calc\ntasks: [{id: a, instruction: b, scope: [x], test_command: c, "
            "hidden_tests: {t.py: missing.py}}]",
            "no file 'missing.py'",
        ),
        (
            "repository: calc\ntasks: [{id: a, instruction: b, scope: [x], test_comand: c}]",
            "Extra inputs are not permitted",
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
