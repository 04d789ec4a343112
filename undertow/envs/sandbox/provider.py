"""Sandbox providers: where environments get their sandboxes from, and backend selection.

``open_provider("auto")`` picks docker when a daemon answers and the base image is there,
and local otherwise; ``provider.reason`` says which and why, so the choice is never silent.
The docker provider keeps a warm pool of started containers, so acquiring one costs a queue
pop instead of a container start.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from typing import Literal, Protocol

import docker
import docker.errors

from undertow.envs.sandbox.base import Sandbox, SandboxLimits, SandboxUnavailable
from undertow.envs.sandbox.docker_backend import DEFAULT_IMAGE, DockerSandbox
from undertow.envs.sandbox.local import LocalSandbox

BackendName = Literal["auto", "docker", "local"]
BACKENDS: tuple[BackendName, ...] = ("auto", "docker", "local")


def backend_name(text: str) -> BackendName:
    """``text`` as a backend name; a ValueError naming the choices otherwise."""
    for name in BACKENDS:
        if text == name:
            return name
    raise ValueError(f"the sandbox backend must be one of {', '.join(BACKENDS)}, not {text!r}")


FILL_RETRY_SECONDS = 1.0


class SandboxProvider(Protocol):
    """Hands out fresh sandboxes. Each acquired sandbox is closed by whoever acquired it."""

    backend: str
    reason: str
    image: str
    """The image sandboxes start from unless ``acquire`` names another (docker only)."""

    def acquire(self, image: str | None = None) -> Sandbox: ...
    def close(self) -> None: ...


class LocalProvider:
    """Fresh :class:`LocalSandbox` workspaces. Not a security boundary."""

    backend = "local"
    image = DEFAULT_IMAGE

    def __init__(self, limits: SandboxLimits | None = None, reason: str = "requested") -> None:
        self._limits = limits or SandboxLimits()
        self.reason = reason

    def acquire(self, image: str | None = None) -> LocalSandbox:
        """A fresh workspace on this machine; ``image`` does not apply (commands run on this
        machine's own Python and packages)."""
        return LocalSandbox(self._limits)

    def close(self) -> None:
        """Nothing to release: each local sandbox cleans up its own folder."""


class DockerPool:
    """Fresh containers, ``warm`` of them started ahead of demand by a background thread."""

    backend = "docker"

    def __init__(
        self,
        client: docker.DockerClient,
        *,
        image: str = DEFAULT_IMAGE,
        limits: SandboxLimits | None = None,
        run_id: str = "adhoc",
        warm: int = 2,
        reason: str = "requested",
    ) -> None:
        self.reason = reason
        self._client = client
        self.image = image
        self._limits = limits or SandboxLimits()
        self._run_id = run_id
        self._warm = warm
        self._ready: queue.Queue[DockerSandbox] = queue.Queue()
        self._wake = threading.Event()
        self._closed = threading.Event()
        self.fill_error: BaseException | None = None
        self._filler = threading.Thread(target=self._fill, name="undertow-docker-pool", daemon=True)
        if warm > 0:
            self._filler.start()

    def _start_one(self) -> DockerSandbox:
        return DockerSandbox.start(
            self._client, image=self.image, limits=self._limits, run_id=self._run_id
        )

    def _fill(self) -> None:
        while not self._closed.is_set():
            if self._ready.qsize() >= self._warm:
                self._wake.wait()
                self._wake.clear()
                continue
            try:
                sandbox = self._start_one()
            except Exception as exc:  # recorded; acquire() falls back to a cold start
                self.fill_error = exc
                self._closed.wait(FILL_RETRY_SECONDS)
                continue
            if self._closed.is_set():
                sandbox.close()
                return
            self._ready.put(sandbox)

    def wait_until_warm(self, timeout: float = 60.0) -> bool:
        """Block until the pool holds ``warm`` started containers; False on timeout."""
        deadline = time.monotonic() + timeout
        while self._ready.qsize() < self._warm:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True

    def acquire(self, image: str | None = None) -> DockerSandbox:
        """A started sandbox: a warm one that still answers (one killed while it waited is
        removed, never handed out), else a cold start. Another ``image`` than the pool's
        always starts cold."""
        if self._closed.is_set():
            raise SandboxUnavailable("this sandbox pool is closed")
        if image is not None and image != self.image:
            return DockerSandbox.start(
                self._client, image=image, limits=self._limits, run_id=self._run_id
            )
        while True:
            try:
                sandbox = self._ready.get_nowait()
            except queue.Empty:
                sandbox = self._start_one()
                break
            if sandbox.responds():
                break
            sandbox.close()
        self._wake.set()
        return sandbox

    def close(self) -> None:
        self._closed.set()
        self._wake.set()
        if self._filler.is_alive():
            self._filler.join(timeout=60)
        while not self._ready.empty():
            self._ready.get_nowait().close()


def connect_docker(timeout: float = 10.0) -> docker.DockerClient:
    """A client for the daemon named by the environment (DOCKER_HOST), checked with a ping."""
    where = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    try:
        client = docker.from_env(timeout=int(timeout))
        client.ping()
    except docker.errors.DockerException as exc:
        raise SandboxUnavailable(
            f"no Docker daemon answers at {where} ({exc}). Start one (`dockerd &` as root, "
            "after `apt-get install -y docker.io`), or use the local sandbox backend."
        ) from None
    return client


def docker_unusable_reason(image: str = DEFAULT_IMAGE) -> str | None:
    """Why the docker backend cannot be used here, or None when it can."""
    try:
        client = connect_docker(timeout=3.0)
    except SandboxUnavailable as exc:
        return str(exc)
    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        return (
            f"the Docker daemon answers but image {image!r} is missing; "
            "build it with `undertow sandbox build-base`"
        )
    finally:
        client.close()
    return None


def open_provider(
    backend: BackendName = "auto",
    *,
    image: str = DEFAULT_IMAGE,
    limits: SandboxLimits | None = None,
    run_id: str = "adhoc",
    warm: int = 2,
) -> SandboxProvider:
    """Open a sandbox provider. ``auto``: docker when usable, else local (``reason`` says why)."""
    if backend == "local":
        return LocalProvider(limits, reason="local backend requested")
    if backend == "auto":
        problem = docker_unusable_reason(image)
        if problem is not None:
            return LocalProvider(limits, reason=f"auto chose local: {problem}")
        reason = f"auto chose docker: the daemon answers and image {image!r} is present"
    elif backend == "docker":
        reason = "docker backend requested"
    else:
        raise ValueError(f"unknown sandbox backend {backend!r}; use auto, docker or local")
    client = connect_docker()
    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        raise SandboxUnavailable(
            f"Docker image {image!r} is missing; build it with `undertow sandbox build-base`"
        ) from None
    return DockerPool(client, image=image, limits=limits, run_id=run_id, warm=warm, reason=reason)
