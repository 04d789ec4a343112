"""The agent protocol: what the runner needs from a policy under test."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from undertow.record import Action, PlanItem, Usage


@runtime_checkable
class Agent(Protocol):
    """A policy under test. The runner owns the loop: it calls ``reset`` once, then ``act``.

    Optional members, looked up with ``getattr``: ``close()``, called once when the episode is
    over, however it ended (an agent holding a process, a server or a client releases it
    there); ``memory()``, what the agent remembers (stored per step as changes);
    ``step_extra()``, what to keep in the step's ``extra`` (how the step was observed);
    ``attach_sandbox(sandbox)``, called after the env's reset and before ``reset``, for agents
    that run inside the env's sandbox (the repository envs')."""

    name: str
    needs_plan: bool
    """True for scripted agents, which replay the environment's reference plan."""

    def reset(
        self,
        task: str,
        tools: list[dict[str, Any]],
        seed: int,
        plan: list[PlanItem] | None = None,
    ) -> None:
        """Start an episode: the task text, the tools' JSON schemas, the episode's seed."""
        ...

    def act(self, observation: dict[str, Any]) -> Action | dict[str, Any] | str:
        """The next action: an Action, a tool-call dict, or raw text (recorded if malformed)."""
        ...

    def last_usage(self) -> Usage:
        """Tokens, cost and retries of the last ``act`` (zero for scripted agents)."""
        ...
