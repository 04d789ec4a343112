"""Fixtures parametrised over both backends, for the contract and containment tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from undertow.envs.sandbox.base import SandboxLimits, WorkerSandbox
from undertow.envs.sandbox.docker_backend import DockerSandbox
from undertow.envs.sandbox.local import LocalSandbox

TEST_LIMITS = SandboxLimits(memory_mb=512, processes=64, cpu_seconds=30, file_size_mb=16)
SandboxFactory = Callable[[SandboxLimits], WorkerSandbox]


@pytest.fixture(params=["local", pytest.param("docker", marks=pytest.mark.docker)])
def make_sandbox(request: pytest.FixtureRequest, run_id: str) -> Iterator[SandboxFactory]:
    """Start sandboxes of one backend with given limits; all are closed after the test."""
    opened: list[WorkerSandbox] = []

    def make(limits: SandboxLimits) -> WorkerSandbox:
        if request.param == "local":
            box: WorkerSandbox = LocalSandbox(limits)
        else:
            client = request.getfixturevalue("docker_client")
            box = DockerSandbox.start(client, limits=limits, run_id=run_id)
        opened.append(box)
        return box

    yield make
    for box in opened:
        box.close()


@pytest.fixture
def sandbox(make_sandbox: SandboxFactory) -> WorkerSandbox:
    return make_sandbox(TEST_LIMITS)
