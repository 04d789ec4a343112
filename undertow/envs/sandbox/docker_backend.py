"""The docker sandbox backend: one container per sandbox, driven through the docker SDK.

Each container runs :mod:`undertow.envs.sandbox.worker` as its main process, a long-lived
command server that reads JSON-line requests from the container's stdin and answers on its
stdout, reached over the attach stream. A command then costs one round trip through the
daemon instead of a ``docker exec`` (which costs tens of milliseconds).

Containers have no network, memory (without swap), CPU and process limits, and labels that
name the run and the owning process, so that :func:`prune` can sweep what an interrupted run
left behind. Transient daemon errors are retried with tenacity, a bounded number of times.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import random
import select
import socket
import struct
import threading
import time
from pathlib import Path
from typing import Any, TypeVar

import docker
import docker.errors
import requests.exceptions
from docker.models.containers import Container
from tenacity import (
    retry,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from undertow.envs.sandbox import worker
from undertow.envs.sandbox.base import SandboxLimits, SandboxUnavailable, WorkerSandbox

DEFAULT_IMAGE = "undertow-base:bookworm"
WORKDIR = "/workspace"
GRADER_ROOT = "/var/lib/undertow-grader"
CLI_ROOT = "/opt/undertow-cli"
AGENT_UID_BASE = 100_000
AGENT_UID_SLOTS = 1_000_000
"""Each container draws its agent's uid (AGENT_UID_BASE + 2k) and the grading user's (+1):
the kernel counts processes per uid across containers, so containers must not share one."""
LABEL_SANDBOX = "undertow.sandbox"
LABEL_RUN = "undertow.run"
LABEL_OWNER = "undertow.owner"
SERVER_EXTRA_PIDS = 16
"""Processes allowed beyond the command limit, for the command server itself."""
READY_TIMEOUT_SECONDS = 30.0

_WORKER_SOURCE = Path(worker.__file__).read_text()
T = TypeVar("T")


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout):
        return True
    if isinstance(exc, docker.errors.APIError):
        return exc.status_code is None or exc.status_code >= 500
    return False


transient_retry = retry(
    retry=retry_if_exception(_is_transient),
    stop=stop_after_attempt(5),
    wait=wait_exponential(multiplier=0.2, max=3.0),
    reraise=True,
)
"""Retry a daemon call on connection errors and 5xx answers: 5 attempts, backoff up to 3 s."""


def owner_label() -> str:
    """``host:pid`` of this process, stored on each container so prune can tell if it lives."""
    return f"{socket.gethostname()}:{os.getpid()}"


class _AttachStream:
    """The container's stdin and its multiplexed stdout/stderr, over one raw socket."""

    def __init__(self, raw: Any) -> None:
        self._socket_io = raw
        self._sock: socket.socket = getattr(raw, "_sock", raw)
        self._sock.setblocking(True)
        self._buffer = b""
        self._stdout = b""
        self.stderr_tail = b""

    def send(self, data: bytes) -> None:
        self._sock.sendall(data)

    def _fill(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        ready, _, _ = select.select([self._sock], [], [], remaining)
        if not ready:
            raise TimeoutError
        chunk = self._sock.recv(1 << 20)
        if not chunk:
            raise EOFError
        self._buffer += chunk

    def read_line(self, deadline: float) -> bytes:
        """Next line of the container's stdout (stderr frames are kept as a diagnostic tail)."""
        while b"\n" not in self._stdout:
            while len(self._buffer) < 8:
                self._fill(deadline)
            stream, size = struct.unpack(">BxxxL", self._buffer[:8])
            while len(self._buffer) < 8 + size:
                self._fill(deadline)
            payload, self._buffer = self._buffer[8 : 8 + size], self._buffer[8 + size :]
            if stream == 2:
                self.stderr_tail = (self.stderr_tail + payload)[-4000:]
            else:
                self._stdout += payload
        line, _, self._stdout = self._stdout.partition(b"\n")
        return line

    def close(self) -> None:
        for closable in (self._sock, self._socket_io):
            with contextlib.suppress(OSError):
                closable.close()


class DockerSandbox(WorkerSandbox):
    """A sandbox in its own container. Create with :meth:`start` (or a :class:`DockerPool`).

    The command server is the container's init and runs as root (the grader's side); commands
    run as the agent's user, which owns ``/workspace`` and nothing else, and every process of
    that user is killed when a command ends; graders run the agent's code as a third user in
    a chroot under ``/var/lib/undertow-grader``, which the agent's user cannot read."""

    backend = "docker"
    workdir = WORKDIR

    def __init__(self, container: Container, stream: _AttachStream) -> None:
        self.container = container
        self._stream = stream
        self._lock = threading.Lock()
        self._next_id = 0

    @classmethod
    def start(
        cls,
        client: docker.DockerClient,
        *,
        image: str = DEFAULT_IMAGE,
        limits: SandboxLimits | None = None,
        run_id: str = "adhoc",
    ) -> DockerSandbox:
        """Create and start a container, attach to its command server, and wait until it answers."""
        limits = limits or SandboxLimits()
        agent_uid = AGENT_UID_BASE + 2 * random.randrange(AGENT_UID_SLOTS)
        config = limits.worker_config(
            WORKDIR,
            user=agent_uid,
            grader_user=agent_uid + 1,
            grader_root=GRADER_ROOT,
            cli_root=CLI_ROOT,
            python="/usr/bin/python3",
            add_users=True,
            oom_adjust=True,
            base_env={
                "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "HOME": WORKDIR,
                "USER": "agent",
                "LOGNAME": "agent",
                "LANG": "C.UTF-8",
                "PYTHONDONTWRITEBYTECODE": "1",
            },
        )
        try:
            container = _create_container(client, image, limits, run_id, config)
        except docker.errors.ImageNotFound:
            raise SandboxUnavailable(
                f"Docker image {image!r} is missing; build it with `undertow sandbox build-base`"
            ) from None
        try:
            stream = _AttachStream(
                _attach(container, {"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
            )
            transient_retry(container.start)()
            sandbox = cls(container, stream)
            sandbox._request("ping", wait=READY_TIMEOUT_SECONDS)
        except BaseException:
            _remove_quietly(container)
            raise
        return sandbox

    def _call(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        with self._lock:
            self._next_id += 1
            request_id = self._next_id
            deadline = time.monotonic() + timeout
            try:
                self._stream.send(json.dumps({**request, "id": request_id}).encode() + b"\n")
                while True:
                    response = json.loads(self._stream.read_line(deadline))
                    if response.get("id") == request_id:
                        return response
            except TimeoutError:
                raise SandboxUnavailable(
                    f"container {self.container.short_id} did not answer within {timeout:g}s"
                ) from None
            except (EOFError, OSError, ValueError) as exc:
                raise SandboxUnavailable(self._why_gone(exc)) from None

    def _why_gone(self, exc: BaseException) -> str:
        try:
            self.container.reload()
            state = self.container.attrs.get("State", {})
            status = f"status {state.get('Status')}, exit code {state.get('ExitCode')}"
            if state.get("OOMKilled"):
                status += ", killed for running out of memory"
        except docker.errors.DockerException as reload_error:
            status = f"its state is unknown ({type(reload_error).__name__})"
        stderr = self._stream.stderr_tail.decode("utf-8", "replace").strip()
        detail = f"; command server said: {stderr[-500:]}" if stderr else ""
        return (
            f"sandbox container {self.container.short_id} stopped answering "
            f"({type(exc).__name__}): {status}{detail}"
        )

    def _release(self) -> None:
        self._stream.close()
        _remove_quietly(self.container)


@transient_retry
def _create_container(
    client: docker.DockerClient,
    image: str,
    limits: SandboxLimits,
    run_id: str,
    config: worker.WorkerConfig,
) -> Container:
    arguments = json.dumps(dataclasses.asdict(config))
    return client.containers.create(
        image,
        ["python3", "-u", "-c", _WORKER_SOURCE, arguments],
        stdin_open=True,
        tty=False,
        working_dir="/",
        network_disabled=True,
        network_mode="none",
        mem_limit=f"{limits.memory_mb}m",
        memswap_limit=f"{limits.memory_mb}m",
        nano_cpus=int(limits.cpus * 1e9),
        pids_limit=limits.processes + SERVER_EXTRA_PIDS,
        security_opt=["no-new-privileges"],
        labels={LABEL_SANDBOX: "1", LABEL_RUN: run_id, LABEL_OWNER: owner_label()},
    )


@transient_retry
def _attach(container: Container, params: dict[str, int]) -> Any:
    return container.attach_socket(params=params)


def _remove_quietly(container: Container) -> None:
    try:
        transient_retry(container.remove)(force=True)
    except docker.errors.NotFound:
        pass
    except docker.errors.DockerException:
        pass  # left for `undertow sandbox prune`, which the labels make possible


def owner_alive(owner: str) -> bool:
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return True  # another machine's process: cannot tell, so assume it lives
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def prune(client: docker.DockerClient, run_id: str | None = None, everything: bool = False) -> int:
    """Remove Undertow's sandbox containers; return how many were removed.

    With ``run_id``: every container of that run. With ``everything``: every Undertow
    container. Otherwise: containers whose owning process on this host is no longer alive.
    """
    label = f"{LABEL_RUN}={run_id}" if run_id else LABEL_SANDBOX
    containers = transient_retry(client.containers.list)(all=True, filters={"label": label})
    removed = 0
    for container in containers:
        owner = container.labels.get(LABEL_OWNER, "")
        if run_id or everything or not owner_alive(owner):
            _remove_quietly(container)
            removed += 1
    return removed
