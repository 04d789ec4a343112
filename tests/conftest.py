"""Shared fixtures. Docker tests skip without a daemon and image, unless
UNDERTOW_REQUIRE_DOCKER=1, when they fail instead (CI sets it)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

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
