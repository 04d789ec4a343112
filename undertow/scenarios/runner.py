"""The runner: plays a suite's episodes (each through :func:`undertow.rollout.rollout`) on an
executor and writes each finished episode to the store.

An episode that crashes (the agent, the env or a sandbox) is stored as ``errored`` with its
partial trajectory and the cause; the run goes on. With ``retry_errored`` the episodes whose
stored record is errored are played again; the store is append-only, so the new record is
appended after the old one, and every reader keeps the latest record of each episode key
(:func:`latest_records`).
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any, Protocol

import gymnasium

import undertow.envs  # noqa: F401  (registers the environments)
from undertow.agents.base import Agent
from undertow.agents.registry import make_agent
from undertow.envs.base import BehaviourEnv
from undertow.envs.sandbox import SandboxProvider
from undertow.record import CANARY, EpisodeSpec, EpisodeStatus, Trajectory
from undertow.record.store import RunStore
from undertow.rollout import rollout
from undertow.scenarios.suite import Episode, env_options


@dataclass(frozen=True)
class RunResult:
    """What a run did this time (episodes already stored by an earlier attempt excluded)."""

    completed: int
    truncated: int
    errored: int
    skipped: int


def accepts_provider(env_id: str) -> bool:
    return "provider" in env_options(env_id)


def run_episode(
    episode: Episode,
    agent: Agent,
    provider: SandboxProvider | None = None,
) -> Trajectory:
    """Make the episode's env and play it with :func:`undertow.rollout.rollout`; never raises
    (an env that cannot be made is an errored episode). The env and the agent are closed at the
    end, however it ends."""
    spec = EpisodeSpec(
        env=episode.scenario.env,
        options=episode.options,
        held_out=episode.held_out,
        perturbed=bool(episode.options.get("perturb", False)),
        difficulty=episode.options.get("difficulty"),
    )
    env: BehaviourEnv[Any, Any] | None = None
    try:
        kwargs = dict(episode.options)
        if provider is not None and accepts_provider(episode.scenario.env):
            kwargs["provider"] = provider
        made = gymnasium.make(episode.scenario.env, **kwargs).unwrapped
        if not isinstance(made, BehaviourEnv):
            raise TypeError(f"{episode.scenario.env} is not an Undertow BehaviourEnv")
        env = made
        trajectory = rollout(env, agent, episode.key, limits=episode.scenario.limits, episode=spec)
    except Exception as exc:  # an env that cannot be made is an errored episode, not a lost run
        trajectory = Trajectory(
            key=episode.key,
            episode=spec,
            status=EpisodeStatus.ERRORED,
            error=f"{type(exc).__name__}: {exc}",
            metadata={"canary": CANARY, "traceback": traceback.format_exc(limit=8)},
            started_at=time.time(),
            ended_at=time.time(),
        )
    finally:
        for name, resource in (("close_error", env), ("agent_close_error", agent)):
            closing = getattr(resource, "close", None)
            if closing is None:
                continue
            try:
                closing()
            except Exception as exc:
                trajectory.metadata[name] = f"{type(exc).__name__}: {exc}"
    return trajectory


class EpisodeExecutor(Protocol):
    """Where episodes are played: threads here (:class:`ThreadExecutor`) or Ray workers
    (:class:`undertow.scenarios.ray_executor.RayExecutor`)."""

    name: str

    def play(self, episodes: list[Episode]) -> Generator[Trajectory, None, None]:
        """Play the episodes, yielding each trajectory as it finishes, in any order. Closing
        the iterator early starts no further episode."""
        ...

    def close(self) -> None:
        """Release the workers and whatever they hold."""
        ...


def play_episode(episode: Episode, provider: SandboxProvider | None = None) -> Trajectory:
    """Make the episode's agent and play it; never raises (a bad agent is an errored episode)."""
    try:
        agent = make_agent(episode.agent.id, episode.agent.options)
    except Exception as exc:
        return Trajectory(
            key=episode.key,
            episode=EpisodeSpec(env=episode.scenario.env, options=episode.options),
            status=EpisodeStatus.ERRORED,
            error=f"{type(exc).__name__}: {exc}",
            metadata={"canary": CANARY},
        )
    return run_episode(episode, agent, provider)


class ThreadExecutor:
    """``parallel`` episodes at a time on threads of this process, sharing one provider
    (closed with the executor when ``owns_provider``)."""

    name = "threads"

    def __init__(
        self,
        parallel: int = 1,
        provider: SandboxProvider | None = None,
        *,
        owns_provider: bool = False,
    ) -> None:
        self.parallel = max(1, parallel)
        self.provider = provider
        self.owns_provider = owns_provider

    def play(self, episodes: list[Episode]) -> Generator[Trajectory, None, None]:
        pool = ThreadPoolExecutor(max_workers=self.parallel)
        try:
            futures = [pool.submit(play_episode, episode, self.provider) for episode in episodes]
            for future in as_completed(futures):
                yield future.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        if self.owns_provider and self.provider is not None:
            self.provider.close()


def latest_records(trajectories: Iterable[Trajectory]) -> list[Trajectory]:
    """One trajectory per episode key: the latest record of each (a retried episode supersedes
    its errored record), in the order of the keys' first records."""
    latest: dict[str, Trajectory] = {}
    for trajectory in trajectories:
        latest[trajectory.key.id] = trajectory
    return list(latest.values())


def pending(
    episodes: list[Episode], store: RunStore, *, retry_errored: bool = False
) -> list[Episode]:
    """The episodes still to play: those not in the store, and with ``retry_errored`` those
    whose latest record is errored. Cuts a torn last record off first."""
    stored = store.prepare_append()
    if retry_errored:
        stored -= {
            t.key.id
            for t in latest_records(store.trajectories())
            if t.status is EpisodeStatus.ERRORED
        }
    return [episode for episode in episodes if episode.key.id not in stored]


def run_episodes(
    episodes: list[Episode],
    store: RunStore,
    *,
    parallel: int = 1,
    provider: SandboxProvider | None = None,
    executor: EpisodeExecutor | None = None,
    on_done: Callable[[Trajectory], None] = lambda _t: None,
    retry_errored: bool = False,
) -> RunResult:
    """Run the episodes not yet in the store (and, with ``retry_errored``, those stored as
    errored), storing each when done: on ``executor``, or by default ``parallel`` at a time on
    threads here with ``provider``'s sandboxes. A store that cannot be written
    (:class:`RunStoreError`) stops the run: no further episode starts."""
    todo = pending(episodes, store, retry_errored=retry_errored)
    counts = {status: 0 for status in EpisodeStatus}
    finished = (executor or ThreadExecutor(parallel, provider)).play(todo)
    try:
        for trajectory in finished:
            store.append(trajectory)
            counts[trajectory.status] += 1
            on_done(trajectory)
    finally:
        finished.close()
    return RunResult(
        completed=counts[EpisodeStatus.COMPLETED],
        truncated=counts[EpisodeStatus.TRUNCATED],
        errored=counts[EpisodeStatus.ERRORED],
        skipped=len(episodes) - len(todo),
    )
