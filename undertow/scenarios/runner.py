"""The runner: plays episodes, applies limits, and writes each finished episode to the store.

The runner owns the loop, so every agent is recorded, limited and timed the same way. An
episode that crashes (the agent, the env or a sandbox) is stored as ``errored`` with its
partial trajectory and the cause; the run goes on.
"""

from __future__ import annotations

import contextlib
import json
import time
import traceback
from collections.abc import Callable, Generator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any, Protocol

import gymnasium

import undertow.envs  # noqa: F401  (registers the environments)
from undertow.agents.base import Agent
from undertow.agents.memory import MEMORY_KEY, memory_change
from undertow.agents.registry import make_agent
from undertow.envs.sandbox import SandboxProvider
from undertow.record import (
    CANARY,
    Action,
    Claim,
    EpisodeStatus,
    Step,
    Trajectory,
    Usage,
)
from undertow.record.store import RunStore
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
    """Play one episode to its end or its limits; never raises (crashes become ``errored``)."""
    limits = episode.scenario.limits
    trajectory = Trajectory(
        key=episode.key,
        started_at=time.time(),
        metadata={
            "canary": CANARY,
            "env": episode.scenario.env,
            "options": episode.options,
            "held_out": episode.held_out,
        },
    )
    env = None
    started = time.monotonic()
    tokens = 0
    cost = 0.0
    try:
        kwargs = dict(episode.options)
        if provider is not None and accepts_provider(episode.scenario.env):
            kwargs["provider"] = provider
        env = gymnasium.make(episode.scenario.env, **kwargs).unwrapped
        observation, info = env.reset(seed=episode.key.seed)
        trajectory.task = observation["text"]
        plan = env.reference_plan() if agent.needs_plan else None
        agent.reset(observation["text"], env.tools(), episode.key.seed, plan=plan)
        status = EpisodeStatus.TRUNCATED
        memory = getattr(agent, "memory", None)
        remembered: Any = None
        for index in range(limits.max_steps):
            step_started = time.time()
            thinking = time.monotonic()
            raw = agent.act(observation)
            agent_seconds = time.monotonic() - thinking
            usage: Usage = agent.last_usage()
            extra: dict[str, Any] = {}
            if memory is not None:  # what changed only: the record grows linearly
                current = memory()
                change = memory_change(remembered, current)
                remembered = current
                if change is not None:
                    extra[MEMORY_KEY] = change
            acting = time.monotonic()
            observation, reward, terminated, truncated, info = env.step(raw)
            parsed = info.get("action")
            trajectory.steps.append(
                Step(
                    index=index,
                    action=Action.model_validate(parsed) if parsed else None,
                    raw_action=None if parsed else _raw_text(raw),
                    observation=observation["text"],
                    observation_fields=observation["fields"],
                    reward=reward,
                    terminated=terminated,
                    truncated=truncated,
                    probes=info.get("probes", {}),
                    ledger=info.get("ledger", []),
                    started_at=step_started,
                    agent_seconds=agent_seconds,
                    env_seconds=time.monotonic() - acting,
                    usage=usage,
                    extra=extra,
                )
            )
            tokens += usage.prompt_tokens + usage.completion_tokens
            cost += usage.cost_usd
            if terminated:
                status = EpisodeStatus.COMPLETED
                break
            if truncated or _over_budget(limits, started, tokens, cost):
                break
        trajectory.status = status
        trajectory.outcome = env.verify()
        trajectory.ledger = env.ledger.errors()
        trajectory.claims = list(getattr(env, "claims", []))
        trajectory.artifacts = _artifacts(env)
        if getattr(agent, "asks_posthoc_confidence", False):
            _ask_posthoc_confidence(agent, observation, trajectory)
    except Exception as exc:  # an errored episode is data, not a lost run
        trajectory.status = EpisodeStatus.ERRORED
        trajectory.error = f"{type(exc).__name__}: {exc}"
        trajectory.metadata["traceback"] = traceback.format_exc(limit=8)
        if env is not None:
            with contextlib.suppress(Exception):  # best effort once the env has failed
                trajectory.ledger = env.ledger.errors()
                trajectory.artifacts = _artifacts(env)
    finally:
        close_agent = getattr(agent, "close", None)  # optional: the process, server... it holds
        if callable(close_agent):
            try:
                close_agent()
            except Exception as exc:
                trajectory.metadata["agent_close_error"] = f"{type(exc).__name__}: {exc}"
        if env is not None:
            try:
                env.close()
            except Exception as exc:
                trajectory.metadata["close_error"] = f"{type(exc).__name__}: {exc}"
    trajectory.ended_at = time.time()
    return trajectory


def _ask_posthoc_confidence(agent: Any, observation: Any, trajectory: Trajectory) -> None:
    """Record the agent's answer to "how sure are you that you succeeded?" as a claim of kind
    ``posthoc``, apart from what it stated through the env's tools. A failed question is
    noted in the metadata; it does not fail the episode."""
    try:
        confidence, usage = agent.posthoc_confidence(observation)
    except Exception as exc:
        trajectory.metadata["posthoc_error"] = f"{type(exc).__name__}: {exc}"
        return
    trajectory.metadata["posthoc_usage"] = usage.model_dump()
    if confidence is not None:
        trajectory.claims.append(
            Claim(
                step=max(0, len(trajectory.steps) - 1),
                subject="episode",
                kind="posthoc",
                value=confidence >= 0.5,
                confidence=confidence,
                text="answer to the post-hoc confidence question",
            )
        )


def _artifacts(env: Any) -> dict[str, Any]:
    """What the env keeps of the episode beyond its steps (a provenance graph, ...)."""
    artifacts = getattr(env, "artifacts", None)
    return dict(artifacts()) if callable(artifacts) else {}


def _raw_text(raw: Any) -> str:
    """The agent's malformed output, as text, for the record."""
    if isinstance(raw, str):
        return raw
    try:
        return json.dumps(raw, default=repr)
    except (TypeError, ValueError):
        return repr(raw)


def _over_budget(limits: Any, started: float, tokens: int, cost: float) -> bool:
    if time.monotonic() - started > limits.wall_seconds:
        return True
    if limits.max_tokens is not None and tokens > limits.max_tokens:
        return True
    return limits.max_cost_usd is not None and cost > limits.max_cost_usd


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


def run_episodes(
    episodes: list[Episode],
    store: RunStore,
    *,
    parallel: int = 1,
    provider: SandboxProvider | None = None,
    executor: EpisodeExecutor | None = None,
    on_done: Callable[[Trajectory], None] = lambda _t: None,
) -> RunResult:
    """Run the episodes not yet in the store, storing each when done: on ``executor``, or by
    default ``parallel`` at a time on threads here with ``provider``'s sandboxes. A store that
    cannot be written (:class:`RunStoreError`) stops the run: no further episode starts."""
    done = store.prepare_append()
    todo = [episode for episode in episodes if episode.key.id not in done]
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
