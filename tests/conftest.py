"""Shared fixtures. Docker tests skip without a daemon and image, and browser tests without
Chromium, unless UNDERTOW_REQUIRE_DOCKER=1 / UNDERTOW_REQUIRE_BROWSER=1, when they fail
instead (CI sets both)."""

from __future__ import annotations

import os
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
