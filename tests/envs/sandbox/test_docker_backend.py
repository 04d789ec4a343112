"""What only the docker backend promises: isolation, labels, limits, pool, retries, failure."""

from __future__ import annotations

import json
import time
from pathlib import Path

import docker
import docker.errors
import pytest
import requests.exceptions
from docker.models.containers import ContainerCollection

from tests.envs.sandbox.conftest import TEST_LIMITS
from undertow.envs.sandbox import SandboxUnavailable
from undertow.envs.sandbox.docker_backend import (
    LABEL_OWNER,
    LABEL_RUN,
    DockerSandbox,
    _is_transient,
    owner_label,
)
from undertow.envs.sandbox.provider import DockerPool

pytestmark = pytest.mark.docker


@pytest.fixture
def box(docker_client: docker.DockerClient, run_id: str) -> DockerSandbox:
    sandbox = DockerSandbox.start(docker_client, limits=TEST_LIMITS, run_id=run_id)
    yield sandbox
    sandbox.close()


def test_container_has_no_network(box: DockerSandbox) -> None:
    assert box.exec("ls /sys/class/net").stdout.split() == ["lo"]
    routes = box.exec("tail -n +2 /proc/net/route").stdout.strip()
    assert routes == ""  # no route leaves the container, so no packet can


def test_a_connect_attempt_from_the_container_fails(box: DockerSandbox) -> None:
    # 172.17.0.1 is this host's own Docker bridge: no packet could leave the machine anyway.
    attempt = (
        "python3 -c 'import socket; socket.create_connection((\"172.17.0.1\", 2375), timeout=3)'"
    )
    result = box.exec(attempt, timeout=30)
    assert result.exit_code != 0
    assert "Network is unreachable" in result.stderr


def test_host_paths_are_not_visible_in_the_container(box: DockerSandbox, tmp_path: Path) -> None:
    marker = tmp_path / "host-secret.txt"
    marker.write_text("host only")
    box.container.reload()
    assert box.container.attrs["Mounts"] == []  # no bind mount, no volume
    assert box.exec(f"cat {marker}").exit_code != 0


def test_container_is_labelled_and_limited(box: DockerSandbox, run_id: str) -> None:
    box.container.reload()
    assert box.container.labels[LABEL_RUN] == run_id
    assert box.container.labels[LABEL_OWNER] == owner_label()
    host = box.container.attrs["HostConfig"]
    assert host["NetworkMode"] == "none"
    assert host["Memory"] == TEST_LIMITS.memory_mb * 1024 * 1024
    assert host["MemorySwap"] == host["Memory"]
    assert host["NanoCpus"] == int(TEST_LIMITS.cpus * 1e9)
    assert host["PidsLimit"] > TEST_LIMITS.processes


def test_memory_hog_across_processes_leaves_the_command_server_alive(box: DockerSandbox) -> None:
    hog = (
        "python3 -c 'import time; x = bytearray(200 * 1024**2); "
        'x[::4096] = b"x" * len(x[::4096]); time.sleep(2)\''
    )
    result = box.exec(" & ".join([hog] * 4) + " & wait", timeout=60)
    assert "Killed" in result.stderr  # the kernel's OOM killer chose commands, not the server
    assert box.exec("echo alive").stdout == "alive\n"


def test_a_killed_container_is_reported_clearly(
    box: DockerSandbox, docker_client: docker.DockerClient
) -> None:
    docker_client.containers.get(box.container.id).kill()
    with pytest.raises(SandboxUnavailable, match="stopped answering"):
        box.exec("true")


def test_closing_removes_the_container(docker_client: docker.DockerClient, run_id: str) -> None:
    sandbox = DockerSandbox.start(docker_client, limits=TEST_LIMITS, run_id=run_id)
    container_id = sandbox.container.id
    sandbox.close()
    with pytest.raises(docker.errors.NotFound):
        docker_client.containers.get(container_id)


def test_warm_pool_hands_out_distinct_fresh_sandboxes(
    docker_client: docker.DockerClient, run_id: str
) -> None:
    pool = DockerPool(docker_client, limits=TEST_LIMITS, run_id=run_id, warm=2)
    try:
        assert pool.wait_until_warm(timeout=60)
        first, second = pool.acquire(), pool.acquire()
        with first, second:
            assert first.container.id != second.container.id
            first.write_file("mine.txt", "1")
            assert second.list_files() == []
        assert pool.wait_until_warm(timeout=60)  # refilled in the background
    finally:
        pool.close()
    assert docker_client.containers.list(all=True, filters={"label": f"{LABEL_RUN}={run_id}"}) == []


def test_missing_image_is_a_clear_error(docker_client: docker.DockerClient) -> None:
    with pytest.raises(
        SandboxUnavailable, match="missing; build it with `undertow sandbox build-base`"
    ):
        DockerSandbox.start(docker_client, image="undertow-no-such-image:0", run_id="x")


def test_transient_daemon_errors_are_retried(
    docker_client: docker.DockerClient, run_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_create = ContainerCollection.create
    calls = {"n": 0}

    def flaky_create(self: ContainerCollection, *args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] <= 2:
            raise docker.errors.APIError("daemon busy", response=_Response(503))
        return real_create(self, *args, **kwargs)

    monkeypatch.setattr(ContainerCollection, "create", flaky_create)
    with DockerSandbox.start(docker_client, limits=TEST_LIMITS, run_id=run_id) as sandbox:
        assert sandbox.exec("echo ok").ok
    assert calls["n"] == 3


class _Response:
    def __init__(self, status_code: int) -> None:
        self.status_code = status_code
        self.reason = "test"


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (requests.exceptions.ConnectionError("refused"), True),
        (requests.exceptions.ReadTimeout("slow"), True),
        (docker.errors.APIError("x", response=_Response(500)), True),
        (docker.errors.APIError("x", response=_Response(409)), False),
        (docker.errors.ImageNotFound("x", response=_Response(404)), False),
        (ValueError("x"), False),
    ],
)
def test_transient_classification(error: BaseException, transient: bool) -> None:
    assert _is_transient(error) is transient


@pytest.mark.parametrize(
    "line",
    [
        b"not json",
        b"[1, 2]",
        b'{"op": "exec", "command": "echo \\u0000", "id": 7}',
        b'{"op": "exec", "command": "echo \\ud800", "id": 8}',
        b'{"op": "write", "path": "\\udcff", "data": "eA==", "id": 9}',
        b'{"op": "exec", "command": "true", "timeout": 1e999, "id": 10}',
        b'{"op": "exec", "command": ["a"], "id": {"x": 1}}',
        b'{"op": "snapshot", "excludes": "oops", "id": 11}',
        b"\xff\xfe",
    ],
)
def test_the_command_server_survives_any_line(box: DockerSandbox, line: bytes) -> None:
    box._stream.send(line + b"\n")
    answer = json.loads(box._stream.read_line(time.monotonic() + 30))
    assert answer["ok"] is False and answer["error"]["message"]
    assert box.exec("echo alive").stdout == "alive\n"
