"""Shared fixtures. Docker tests skip without a daemon and image, and browser tests without
Chromium, unless UNDERTOW_REQUIRE_DOCKER=1 / UNDERTOW_REQUIRE_BROWSER=1, when they fail
instead (CI sets both)."""

from __future__ import annotations

import os
import subprocess
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from undertow.envs.sandbox.docker_backend import DEFAULT_IMAGE, prune
from undertow.envs.sandbox.provider import docker_unusable_reason


def docker_required() -> bool:
    return os.environ.get("UNDERTOW_REQUIRE_DOCKER") == "1"


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    """A client for a daemon that has the base image; skip (or fail, in CI) otherwise."""
    problem = docker_unusable_reason(DEFAULT_IMAGE)
    if problem is not None:
        if docker_required():
            pytest.fail(f"UNDERTOW_REQUIRE_DOCKER=1 but Docker cannot be used: {problem}")
        pytest.skip(f"Docker unavailable: {problem}")
    client = docker.from_env(timeout=60)
    yield client
    client.close()


@pytest.fixture
def run_id(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh run id; containers labelled with it are removed after the test."""
    value = f"test-{uuid.uuid4().hex[:10]}"
    yield value
    if "docker_client" in request.fixturenames:
        prune(request.getfixturevalue("docker_client"), run_id=value)


WHEELHOUSE = Path(__file__).parent.parent / "build" / "wheelhouse"
"""Wheels the project-image tests install (pip, six): `scripts/fetch-test-wheels.sh`."""


@pytest.fixture
def offline_wheels(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point pip at the local wheelhouse (and tests/data) with no package index, so image
    builds in tests need no network; skip (or fail, in CI) when it was not fetched."""
    if not list(WHEELHOUSE.glob("pip-*.whl")):
        problem = f"no wheel of pip in {WHEELHOUSE}: run scripts/fetch-test-wheels.sh"
        if docker_required():
            pytest.fail(problem)
        pytest.skip(problem)
    data = Path(__file__).parent / "data"
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", f"{WHEELHOUSE} {data}")
    return WHEELHOUSE


CHROMIUM = os.environ.get("UNDERTOW_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(
    os.environ.get("UNDERTOW_ARTIFACTS", Path(__file__).parent.parent / "build" / "test-artifacts")
)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian's) driven by Playwright; skip (or fail, with
    UNDERTOW_REQUIRE_BROWSER=1 as in CI) where either is missing."""
    problem = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        problem = "playwright is not installed (pip install -e '.[dev]')"
    if problem is None and not Path(CHROMIUM).exists():
        problem = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if problem is not None:
        if os.environ.get("UNDERTOW_REQUIRE_BROWSER") == "1":
            pytest.fail(f"UNDERTOW_REQUIRE_BROWSER=1 but the browser cannot be used: {problem}")
        pytest.skip(problem)
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


@pytest.fixture
def artifacts() -> Path:
    """Where tests save what a person may want to look at (screenshots)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


# ---- a small git repository with a task file (bring-your-own-codebase tests) -----------
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
