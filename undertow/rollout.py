"""The rollout: one episode of an environment with an agent, recorded as a :class:`Trajectory`.

The one loop every episode is played by: the runner, the contract checker, the tests and the
benchmarks all call :func:`rollout`, so every agent is recorded, limited and timed the same
way. It owns the loop: it resets the env and the agent, asks the agent for each action, steps
the env, stores each step (action, observation, probes, ledger events, timing, usage, what
changed in the agent's memory), stops at the env's end or a limit, ends the episode (the
env records its omissions), and verifies. It never raises: a crash of the agent or the env
ends the episode as ``errored``, with its partial steps, the cause and the ledger so far.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
import traceback
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from undertow.agents.base import Agent
from undertow.agents.memory import MEMORY_KEY, memory_change
from undertow.envs.base import BehaviourEnv, scrub
from undertow.errors import UndertowError
from undertow.record import (
    CANARY,
    Action,
    Claim,
    EpisodeKey,
    EpisodeSpec,
    EpisodeStatus,
    Step,
    Trajectory,
    Usage,
)


class Limits(BaseModel):
    """Per-episode limits. An episode that reaches one ends as truncated."""

    model_config = ConfigDict(extra="forbid")

    max_steps: int = Field(default=200, ge=1)
    wall_seconds: float = Field(default=600.0, gt=0)
    max_tokens: int | None = Field(default=None, ge=1)
    max_cost_usd: float | None = Field(default=None, gt=0)


StepObserver = Callable[[BehaviourEnv[Any, Any], Step], None]


def agent_seed(key: EpisodeKey) -> int:
    """The seed of the agent's randomness for this episode, given to ``agent.reset``: the world's
    seed for trial 0 (so single-trial results never change), and for a later trial a seed
    derived from the world's seed and the trial. The world itself is always made from
    ``key.seed``: trials of one world differ only in what the agent draws."""
    if key.trial == 0:
        return key.seed
    digest = hashlib.sha256(f"undertow-trial:{key.seed}:{key.trial}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def rollout(
    env: BehaviourEnv[Any, Any],
    agent: Agent,
    key: EpisodeKey,
    *,
    limits: Limits | None = None,
    episode: EpisodeSpec | None = None,
    options: dict[str, Any] | None = None,
    observe: StepObserver | None = None,
) -> Trajectory:
    """Play one episode of ``env`` (made, not yet reset; the caller closes it) with ``agent``,
    the world given by ``key.seed`` (and ``options``, passed to ``reset``), the agent seeded
    with :func:`agent_seed`, to its end or a limit. ``observe`` is called after every step
    with the env and the recorded step."""
    limits = limits or Limits()
    trajectory = Trajectory(
        key=key,
        episode=episode or EpisodeSpec(),
        started_at=time.time(),
        metadata={"canary": CANARY},
    )
    started = time.monotonic()
    env.set_deadline(limits.wall_seconds)
    tokens, cost = 0, 0.0
    try:
        resetting = time.monotonic()
        observation, _ = env.reset(seed=key.seed, options=options)
        trajectory.metadata["reset_seconds"] = time.monotonic() - resetting
        trajectory.task = observation["text"]
        plan = env.reference_plan() if agent.needs_plan else None
        attach = getattr(agent, "attach_sandbox", None)
        if attach is not None:  # an agent that runs inside the env's sandbox (``cli``)
            attach(_agent_sandbox(env))
        trajectory.metadata["agent_seed"] = agent_seed(key)
        agent.reset(observation["text"], env.tools(), agent_seed(key), plan=plan)
        status = EpisodeStatus.TRUNCATED
        memory = getattr(agent, "memory", None)
        step_extra = getattr(agent, "step_extra", None)
        remembered: Any = None
        for index in range(limits.max_steps):
            step_started = time.time()
            thinking = time.monotonic()
            raw = agent.act(observation)
            agent_seconds = time.monotonic() - thinking
            usage: Usage = agent.last_usage()
            extra: dict[str, Any] = dict(step_extra()) if step_extra is not None else {}
            if memory is not None:  # what changed only: the record grows linearly
                current = memory()
                change = memory_change(remembered, current)
                remembered = current
                if change is not None:
                    extra[MEMORY_KEY] = change
            acting = time.monotonic()
            observation, reward, terminated, truncated, info = env.step(raw)
            if "env_failure" in info:
                extra["env_failure"] = info["env_failure"]
            parsed = info.get("action")
            step = Step(
                index=index,
                action=Action.model_validate(parsed) if parsed else None,
                raw_action=None if parsed else raw_text(raw),
                observation=observation["text"],
                observation_fields=observation["fields"],
                reward=float(reward),
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
            trajectory.steps.append(step)
            if observe is not None:
                observe(env, step)
            tokens += usage.prompt_tokens + usage.completion_tokens
            cost += usage.cost_usd
            if terminated:
                status = EpisodeStatus.COMPLETED
                break
            if truncated or _over_budget(limits, started, tokens, cost):
                break
        ended = env.end_episode()  # a limit stopped it: the work left undone is recorded
        if ended and trajectory.steps:
            trajectory.steps[-1].ledger.extend(ended)
        trajectory.status = status
        trajectory.outcome = env.verify()
        trajectory.ledger = env.ledger.errors()
        trajectory.claims = list(env.claims)
        trajectory.artifacts = dict(env.artifacts())
        if getattr(agent, "asks_posthoc_confidence", False):
            _ask_posthoc_confidence(agent, observation, trajectory)
    except Exception as exc:  # an errored episode is data, not a lost run
        trajectory.status = EpisodeStatus.ERRORED
        trajectory.error = f"{type(exc).__name__}: {exc}"
        trajectory.metadata["traceback"] = traceback.format_exc(limit=8)
        with contextlib.suppress(Exception):  # best effort once the env has failed
            trajectory.ledger = env.ledger.errors()
            trajectory.claims = list(env.claims)
            trajectory.artifacts = dict(env.artifacts())
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


def _agent_sandbox(env: BehaviourEnv[Any, Any]) -> Any:
    """The env's sandbox, for an agent that runs inside it."""
    give = getattr(env, "agent_sandbox", None)
    if give is None:
        raise UndertowError(
            f"{type(env).__name__} has no sandbox for an agent to run in; agents that run "
            "inside one (cli) play the repository envs (undertow/Repo-v0, undertow/OwnRepo-v0)"
        )
    return give()


def raw_text(raw: Any) -> str:
    """The agent's malformed output, as text that can always be recorded."""
    if isinstance(raw, str):
        return str(scrub(raw))
    try:
        return str(scrub(json.dumps(raw, default=repr)))
    except (TypeError, ValueError):
        return str(scrub(repr(raw)))


def _over_budget(limits: Limits, started: float, tokens: int, cost: float) -> bool:
    if time.monotonic() - started > limits.wall_seconds:
        return True
    if limits.max_tokens is not None and tokens > limits.max_tokens:
        return True
    return limits.max_cost_usd is not None and cost > limits.max_cost_usd
