"""The command line: version, doctor, and clear errors without tracebacks."""

from __future__ import annotations

import os

import docker
import pytest
from typer.testing import CliRunner

from tests.helpers import run_undertow
from undertow import __version__
from undertow.cli import app

runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_prune_without_daemon_is_a_clear_error_without_traceback() -> None:
    result = run_undertow(
        "sandbox", "prune", env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    )
    assert result.returncode == 2
    assert "no Docker daemon answers at unix:///nonexistent/docker.sock" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_doctor_without_daemon_says_what_to_do() -> None:
    result = run_undertow("sandbox", "doctor", env={"DOCKER_HOST": "unix:///nonexistent/x.sock"})
    assert result.returncode == 0  # the local backend still serves: a warning, not a failure
    assert "warn" in result.stdout
    assert "docker daemon" in result.stdout
    assert "apt-get install -y docker.io" in result.stdout
    assert "local backend" in result.stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="build-base needs root")
def test_build_base_with_unreachable_mirror_fails_clearly(
    docker_client: docker.DockerClient,
) -> None:
    result = run_undertow(
        "sandbox",
        "build-base",
        "--tag",
        "undertow-test-never:0",
        "--mirror",
        "http://127.0.0.1:9/debian",
    )
    assert result.returncode == 2
    assert "debootstrap bookworm from http://127.0.0.1:9/debian failed" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.docker
def test_doctor_reports_a_healthy_docker_setup(docker_client: docker.DockerClient) -> None:
    result = run_undertow("sandbox", "doctor")
    assert result.returncode == 0, result.stdout + result.stderr
    for name in (
        "docker daemon",
        "resource limits",
        "base image",
        "sandbox container",
        "network isolation",
        "leftover containers",
    ):
        assert name in result.stdout
