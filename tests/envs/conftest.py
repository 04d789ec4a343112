"""Fixtures for environment tests: a small git repository with a task file."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest

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
    (hidden / "add.py").write_text(
        "import calc\n\n\ndef test_add():\n    assert calc.add(2, 3) == 5\n\n\n"
        "def test_add_negative():\n    assert calc.add(-2, -3) == -5\n"
    )
    (hidden / "double.py").write_text(
        "import calc\n\n\nclass TestDouble:\n    def test_double(self):\n"
        "        assert calc.double(4) == 8\n"
    )
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
                solution_ref: fix
              - id: double
                instruction: double() must double.
                scope: ["calc.py"]
                hidden_tests: {hidden_double.py: hidden/double.py}
                depends_on: [fix-add]
                solution_ref: fix
            """
        )
    )
    return spec
