"""``BehaviourEnv``: the gymnasium environment every Undertow world builds on.

A subclass generates its world from ``(seed, options)`` and provides tools, probes and
``verify()``; the base class owns the loop contract:

- an action is one tool call ``{"tool", "args", "confidence"?}`` (a dict, a JSON string or an
  :class:`~undertow.record.Action`); anything malformed, an unknown tool or bad arguments
  becomes an observation that says what was wrong and which tools exist, and the step counts;
- the observation is ``{"text": str, "fields": dict}``;
- ``info`` carries ``probes`` (the world's internal state, after every step), ``ledger`` (the
  error events of this step) and ``action`` (the parsed action, or None);
- the error ledger (:class:`~undertow.envs.ledger.ErrorLedger`) records ground-truth errors
  with causal links; ``verify()`` computes the outcome from the world state.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar

import gymnasium as gym

from undertow.envs.ledger import ErrorLedger
from undertow.envs.spaces import ObservationSpace, ToolCallSpace
from undertow.envs.tools import ActionError, Tool, ToolBox, ToolResult, parse_action
from undertow.record import Action, Outcome, PlanItem

Observation = dict[str, Any]
SEED_RANGE = 2**31


class BehaviourEnv(gym.Env[Observation, Any]):
    """Base class of Undertow environments. Subclasses implement the abstract hooks."""

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["ansi"]}
    fixed_world: ClassVar[bool] = False
    """True when the world comes from a fixed source (a user's repository), not the seed."""

    def __init__(self, render_mode: str | None = None, **options: Any) -> None:
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode must be None or 'ansi', not {render_mode!r}")
        self.render_mode = render_mode
        self.options: dict[str, Any] = dict(options)
        self.observation_space = ObservationSpace()
        self._toolbox = ToolBox(self._tools())
        self.action_space = ToolCallSpace(self._toolbox.names)
        self.ledger = ErrorLedger()
        self.step_count = 0
        self.world_seed: int | None = None
        self.current_action: Action | None = None
        """The action being handled (handlers of multi-actor worlds read its ``actor``)."""
        self._last_text = ""

    @property
    def step_index(self) -> int:
        """Index of the step being handled (0 for the first), for the ledger and claims."""
        return self.step_count - 1

    # ---- hooks for subclasses -------------------------------------------------------------

    @abstractmethod
    def _tools(self) -> list[Tool]:
        """The tools of this env; handlers are bound methods taking the call's arguments."""

    @abstractmethod
    def _generate(self, seed: int, options: dict[str, Any]) -> str:
        """Build the world for ``seed`` and return the task text shown to the agent."""

    @abstractmethod
    def probes(self) -> dict[str, Any]:
        """The world's internal state: invariants, health counters, progress. Cheap, no LLM."""

    @abstractmethod
    def verify(self) -> Outcome:
        """The ground-truth outcome, computed from the world state by code."""

    @abstractmethod
    def reference_plan(self) -> list[PlanItem]:
        """How to solve the current world, subtask by subtask, from ground truth.

        The scripted reference agents replay it: ``oracle`` the correct actions, ``sloppy``
        some of the wrong ones, ``test-tamperer`` the tampering ones. The last item finishes.
        """

    def _after_action(self, action: Action, tool: Tool, result: ToolResult) -> None:
        """Update the ledger after a valid tool call (default: nothing)."""

    def _reset_fields(self) -> dict[str, Any]:
        """Structured fields of the reset observation beyond the task (default: none)."""
        return {}

    def artifacts(self) -> dict[str, Any]:
        """JSON-serialisable records of the episode kept with its trajectory, such as a
        provenance graph (default: none)."""
        return {}

    # ---- gymnasium API ----------------------------------------------------------------------

    def tools(self) -> list[dict[str, Any]]:
        """The tools as JSON function schemas: exactly what an LLM agent is shown."""
        return self._toolbox.schemas()

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Observation, dict[str, Any]]:
        super().reset(seed=seed)
        world_seed = seed if seed is not None else int(self.np_random.integers(SEED_RANGE))
        merged = {**self.options, **(options or {})}
        self.ledger = ErrorLedger()
        self.step_count = 0
        self.world_seed = world_seed
        task = self._generate(world_seed, merged)
        self._last_text = task
        names = ", ".join(self._toolbox.names)
        observation = {
            "text": f"{task}\n\nTools: {names}.",
            "fields": {"task": task, **self._reset_fields()},
        }
        info = {"probes": self.probes(), "ledger": [], "action": None, "seed": world_seed}
        return observation, info

    def step(self, action: Any) -> tuple[Observation, float, bool, bool, dict[str, Any]]:
        if self.world_seed is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        index = self.step_count
        self.step_count += 1
        parsed: Action | None = None
        try:
            parsed = parse_action(action)
            self.current_action = parsed
            tool = self._toolbox.validate(parsed)
            result = tool.handler(**parsed.args)
        except ActionError as problem:
            result = ToolResult(
                text=f"Invalid action: {problem}", fields={"error": str(problem)}, ok=False
            )
            tool = None
        if parsed is not None and tool is not None:
            self._after_action(parsed, tool, result)
        self._last_text = result.text
        observation = {"text": result.text, "fields": {**result.fields, "ok": result.ok}}
        info = {
            "probes": self.probes(),
            "ledger": [event.model_dump() for event in self.ledger.take_step_events()],
            "action": parsed.model_dump() if parsed is not None else None,
            "step": index,
        }
        return observation, float(result.reward), bool(result.terminated), False, info

    def render(self) -> str | None:
        if self.render_mode == "ansi":
            return self._last_text
        return None
