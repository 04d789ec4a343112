"""Containers of a run killed with SIGKILL are swept by `undertow sandbox prune`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import docker
import pytest
from typer.testing import CliRunner

from tests.envs.sandbox.conftest import TEST_LIMITS
from undertow.cli import app
from undertow.envs.sandbox.docker_backend import LABEL_RUN, DockerSandbox, prune

pytestmark = pytest.mark.docker

OWNER_SCRIPT = textwrap.dedent(
    """
    import sys, time
    import docker
    from undertow.envs.sandbox.docker_backend import DockerSandbox
    client = docker.from_env()
    boxes = [DockerSandbox.start(client, run_id=sys.argv[1]) for _ in range(2)]
    print("ready", flush=True)
    time.sleep(600)
    """
)


def containers_of(client: docker.DockerClient, run_id: str) -> list:
    return client.containers.list(all=True, filters={"label": f"{LABEL_RUN}={run_id}"})


def start_and_kill_owner(run_id: str) -> None:
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER_SCRIPT, run_id], stdout=subprocess.PIPE, text=True
    )
    assert owner.stdout is not None
    assert owner.stdout.readline().strip() == "ready"
    os.kill(owner.pid, signal.SIGKILL)
    owner.wait()


def test_prune_by_run_removes_containers_of_a_killed_run(
    docker_client: docker.DockerClient, run_id: str
) -> None:
    start_and_kill_owner(run_id)
    assert len(containers_of(docker_client, run_id)) == 2
    result = CliRunner().invoke(app, ["sandbox", "prune", "--run", run_id])
    assert result.exit_code == 0, result.output
    assert "removed 2 sandbox containers" in result.output
    assert containers_of(docker_client, run_id) == []


def test_default_prune_spares_containers_of_live_owners(
    docker_client: docker.DockerClient, run_id: str
) -> None:
    start_and_kill_owner(run_id + "-dead")
    with DockerSandbox.start(docker_client, limits=TEST_LIMITS, run_id=run_id) as alive:
        removed = prune(docker_client)
        assert removed >= 2
        assert containers_of(docker_client, run_id + "-dead") == []
        assert alive.exec("echo still here").ok
    prune(docker_client, run_id=run_id + "-dead")
