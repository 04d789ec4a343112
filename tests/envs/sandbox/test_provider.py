"""Backend selection: auto says which backend it chose and why."""

from __future__ import annotations

import docker
import pytest

from undertow.envs.sandbox import SandboxUnavailable, open_provider
from undertow.envs.sandbox.local import LocalSandbox
from undertow.envs.sandbox.provider import docker_unusable_reason


def test_local_provider_hands_out_local_sandboxes() -> None:
    provider = open_provider("local")
    assert provider.backend == "local"
    with provider.acquire() as sandbox:
        assert isinstance(sandbox, LocalSandbox)
    provider.close()


def test_auto_falls_back_to_local_and_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    provider = open_provider("auto")
    assert provider.backend == "local"
    assert provider.reason.startswith("auto chose local: no Docker daemon answers")
    assert "unix:///nonexistent/docker.sock" in provider.reason


def test_docker_requested_without_daemon_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(SandboxUnavailable, match="no Docker daemon answers"):
        open_provider("docker")


def test_missing_image_is_reported_with_the_fix(docker_client: docker.DockerClient) -> None:
    problem = docker_unusable_reason("undertow-no-such-image:0")
    assert problem is not None and "undertow sandbox build-base" in problem


@pytest.mark.docker
def test_auto_picks_docker_when_it_is_usable(docker_client: docker.DockerClient) -> None:
    provider = open_provider("auto", warm=0)
    try:
        assert provider.backend == "docker"
        assert provider.reason.startswith("auto chose docker")
        with provider.acquire() as sandbox:
            assert sandbox.exec("echo ok").stdout == "ok\n"
    finally:
        provider.close()


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="use auto, docker or local"):
        open_provider("podman")  # type: ignore[arg-type]
