"""Episodes fanned out across a Ray cluster (``undertow run ... --executor ray``).

Each of ``parallel`` Ray actors plays one episode at a time and opens its own sandbox provider
on the node it was placed on, so every node uses its own sandboxes. The driver keeps the run
store: trajectories come back as they finish and are appended there, exactly as with threads,
so ``--resume`` and the report do not care which executor played an episode.

Without an address (or RAY_ADDRESS), a private single-node cluster is started on 127.0.0.1 and
stopped at the end. With one, the cluster's nodes need Undertow installed, and an LLM agent's
``api_base`` must be reachable from them (the bundled local model listens on the driver's
127.0.0.1 only, so use it with a single-node cluster). For a cluster on this machine started
with ``ray start --head --node-ip-address 127.0.0.1``, export RAY_AUTH_MODE=token and
RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 for ``ray start`` so that it, like Undertow, stays on
loopback (Undertow sets the latter for itself when the address is a loopback one; Ray reads it
on import, so a program that imported ray before making a RayExecutor must set it itself).
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Generator
from typing import Any

from undertow.envs.sandbox import SandboxProvider, open_provider
from undertow.envs.sandbox.docker_backend import DEFAULT_IMAGE
from undertow.envs.sandbox.provider import BackendName
from undertow.errors import UndertowError
from undertow.record import CANARY, EpisodeStatus, Trajectory
from undertow.scenarios.runner import accepts_provider, play_episode
from undertow.scenarios.suite import Episode

FORWARDED_ENV_PREFIXES = ("UNDERTOW_", "LITELLM_", "TIKTOKEN_", "DOCKER_", "OPENAI_")
"""Environment variables the workers get from the driver (model endpoints, keys, caches)."""
LOCAL_OBJECT_STORE_BYTES = 256 * 1024**2


class EpisodeWorker:
    """A Ray actor: plays episodes with a sandbox provider of its own, opened on first need."""

    def __init__(self, sandbox: BackendName, run_id: str, image: str = DEFAULT_IMAGE) -> None:
        self._sandbox = sandbox
        self._run_id = run_id
        self._image = image
        self._provider: SandboxProvider | None = None

    def play(self, episode: Episode) -> Trajectory:
        if self._provider is None and accepts_provider(episode.scenario.env):
            self._provider = open_provider(
                self._sandbox, image=self._image, run_id=self._run_id, warm=1
            )
        return play_episode(episode, self._provider)

    def close(self) -> None:
        if self._provider is not None:
            self._provider.close()
            self._provider = None


class RayExecutor:
    """``parallel`` episodes at a time on Ray actors. Each actor asks for ``1/parallel`` of the
    cluster's CPUs (at most one), so all of them are placed: episodes mostly wait on models
    and sandboxes, not on their own CPU."""

    name = "ray"

    def __init__(
        self,
        parallel: int = 2,
        *,
        address: str | None = None,
        sandbox: BackendName = "auto",
        run_id: str = "adhoc",
        image: str = DEFAULT_IMAGE,
    ) -> None:
        address = address or os.environ.get("RAY_ADDRESS") or None
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        if address is None or _is_loopback(address):
            # Read when Ray is imported: without it Ray swaps a loopback address for the
            # machine's outward IP. Keeps every connection on 127.0.0.1.
            os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        try:
            import ray
        except ImportError:
            raise UndertowError(
                "--executor ray needs Ray: pip install 'undertow[ray]' (or -e '.[ray]')"
            ) from None
        self._ray = ray
        self._started_here = not ray.is_initialized()
        if self._started_here:
            self._connect(address)
        cpus = float(ray.cluster_resources().get("CPU", 1.0))
        self.parallel = max(1, parallel)
        self.address = address or "a private local cluster"
        self._actor = ray.remote(EpisodeWorker).options(num_cpus=min(1.0, cpus / self.parallel))
        self._sandbox = sandbox
        self._run_id = run_id
        self._image = image
        self._workers: list[Any] = [self._new_worker() for _ in range(self.parallel)]

    def _connect(self, address: str | None) -> None:
        if address not in (None, "auto"):  # "auto": the cluster `ray start` left a note of
            _check_listening(address)
        forwarded = FORWARDED_ENV_PREFIXES
        env_vars = {key: value for key, value in os.environ.items() if key.startswith(forwarded)}
        options: dict[str, Any] = {
            "include_dashboard": False,
            "log_to_driver": False,
            "configure_logging": False,
            "runtime_env": {"env_vars": env_vars},
        }
        if address is None:
            options |= {
                "_node_ip_address": "127.0.0.1",
                "object_store_memory": LOCAL_OBJECT_STORE_BYTES,
            }
        try:
            self._ray.init(address=address or "local", **options)  # "local": always a new one
        except (ConnectionError, RuntimeError, ValueError) as exc:
            detail = f"{exc} ({exc.__cause__})" if exc.__cause__ else str(exc)
            hint = (
                ". A cluster started with `ray start --head` uses token authentication: export "
                "RAY_AUTH_MODE=token where you run undertow"
                if "token" in detail.lower()
                else ""
            )
            where = address or "a new local cluster"
            raise UndertowError(f"cannot connect to Ray at {where}: {detail}{hint}") from None

    def _new_worker(self) -> Any:
        return self._actor.remote(self._sandbox, self._run_id, self._image)

    def play(self, episodes: list[Episode]) -> Generator[Trajectory, None, None]:
        ray = self._ray
        waiting = list(reversed(episodes))
        running: dict[Any, tuple[Episode, int]] = {}
        idle = list(range(len(self._workers)))
        while waiting or running:
            while waiting and idle:
                slot = idle.pop()
                episode = waiting.pop()
                running[self._workers[slot].play.remote(episode)] = (episode, slot)
            [ready], _ = ray.wait(list(running), num_returns=1)
            episode, slot = running.pop(ready)
            idle.append(slot)
            try:
                trajectory = ray.get(ready)
            except ray.exceptions.RayError as exc:  # the worker died: replace it, go on
                self._workers[slot] = self._new_worker()
                trajectory = _lost(episode, exc)
            yield trajectory

    def close(self) -> None:
        ray = self._ray
        for worker in self._workers:
            with contextlib.suppress(ray.exceptions.RayError):  # a dead worker holds nothing
                ray.get(worker.close.remote(), timeout=60)
            ray.kill(worker)
        self._workers = []
        if self._started_here:
            ray.shutdown()


def _is_loopback(address: str) -> bool:
    host = address.removeprefix("ray://").rsplit(":", 1)[0].strip("[]")
    return host in ("127.0.0.1", "localhost", "::1")


def _check_listening(address: str, wait: float = 3.0) -> None:
    """Fail at once, not after Ray's long retries, when nothing listens at ``HOST:PORT``."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not port.isdigit():
        raise UndertowError(f"--address {address!r}: write HOST:PORT, e.g. 127.0.0.1:6379")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=wait).close()
    except OSError as exc:
        raise UndertowError(
            f"no Ray cluster answers at {address} ({exc.strerror or exc}); start one with "
            "`ray start --head --port PORT`, or leave --address out for a private local cluster"
        ) from None


def _lost(episode: Episode, exc: BaseException) -> Trajectory:
    return Trajectory(
        key=episode.key,
        status=EpisodeStatus.ERRORED,
        error=f"the Ray worker playing this episode failed ({type(exc).__name__}): {exc}",
        metadata={"canary": CANARY, "executor": "ray"},
    )
