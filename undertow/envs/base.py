"""``BehaviourEnv``: the gymnasium environment every Undertow world builds on.

A subclass generates its world from ``(seed, options)`` and provides tools, probes, omissions
and ``verify()``; the base class owns the loop contract (written out for authors in
``docs/environment-contract.md``):

- an action is one tool call ``{"tool", "args", "confidence"?, "actor"?}`` (a dict, a JSON
  string or an :class:`~undertow.record.Action`); anything malformed, an unknown tool, bad
  arguments, or an action the world cannot carry out becomes an observation that says what was
  wrong, and the step counts. ``step`` never raises for what an agent sends;
- the observation is ``{"text": str, "fields": dict}``;
- ``info`` carries ``probes`` (the world's internal state after every step), ``ledger`` (the
  error events of this step) and ``action`` (the parsed action, or None);
- every env has the same finishing tool, ``finish(confidence, report)``; finishing (or
  :meth:`BehaviourEnv.end_episode`, when a limit ends the episode) records the omissions:
  work left undone is an error too;
- what the agent claims is kept in :attr:`BehaviourEnv.claims`; the error ledger
  (:class:`~undertow.envs.ledger.ErrorLedger`) records ground-truth errors of the kinds the env
  declares in :attr:`BehaviourEnv.ledger_kinds`; ``verify()`` computes the outcome from the
  world state.
"""

from __future__ import annotations

import time
import traceback
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar, Generic, TypeVar

import gymnasium as gym
from pydantic import BaseModel, ConfigDict, ValidationError

from undertow.envs.ledger import ErrorLedger, LedgerKind
from undertow.envs.spaces import ObservationSpace, ToolCallSpace
from undertow.envs.tools import (
    CONFIDENCE,
    ActionError,
    Tool,
    ToolBox,
    ToolResult,
    params,
    parse_action,
)
from undertow.errors import HarnessError
from undertow.record import Action, Claim, LedgerEvent, Outcome, PlanItem, Role

Observation = dict[str, Any]
SEED_RANGE = 2**31
FINISH = "finish"


class EnvOptions(BaseModel):
    """An environment's options: each env subclasses this with its fields and their defaults
    (the one place they are written). Unknown options are refused by name."""

    model_config = ConfigDict(extra="forbid", frozen=True)


WorldT = TypeVar("WorldT")
OptionsT = TypeVar("OptionsT", bound=EnvOptions)


def scrub(value: Any) -> Any:
    """``value`` with every string made valid UTF-8 (lone surrogates escaped), so that what an
    env says about an agent's action can always be recorded."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    if isinstance(value, dict):
        return {scrub(key): scrub(item) for key, item in value.items()}
    return value


class BehaviourEnv(gym.Env[Observation, Any], ABC, Generic[WorldT, OptionsT]):
    """Base class of Undertow environments. Subclasses implement the abstract hooks and
    declare ``options_model`` and ``ledger_kinds``."""

    metadata = {"render_modes": ["ansi"]}  # noqa: RUF012 (gymnasium declares it per instance)
    options_model: ClassVar[type[EnvOptions]] = EnvOptions
    """The env's options (a subclass of :class:`EnvOptions`)."""
    ledger_kinds: ClassVar[Mapping[str, LedgerKind]] = {}
    """Every kind of error the env records, with its role. At least one kind has the role
    ``omission`` (what :meth:`_record_omissions` raises)."""
    finish_description: ClassVar[str] = (
        "End the episode, with your confidence (0-1) that everything asked is done right."
    )
    fixed_world: ClassVar[bool] = False
    """True when the world comes from a fixed source (a user's repository), not the seed."""

    def __new__(cls, *args: Any, **kwargs: Any) -> BehaviourEnv[Any, Any]:
        missing = sorted(getattr(cls, "__abstractmethods__", ()))
        if missing:
            raise TypeError(
                f"{cls.__name__} cannot be made: it does not implement {', '.join(missing)} "
                "(hooks every BehaviourEnv provides; see docs/environment-contract.md)"
            )
        if not any(kind.role == Role.OMISSION for kind in cls.ledger_kinds.values()):
            raise TypeError(
                f"{cls.__name__} cannot be made: its ledger_kinds must declare its error kinds "
                "with their roles, one of them of role 'omission' (work left undone at the end)"
            )
        return super().__new__(cls)

    def __init__(self, render_mode: str | None = None, **options: Any) -> None:
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode must be None or 'ansi', not {render_mode!r}")
        self.render_mode = render_mode
        self.config: OptionsT = self._options(options)
        self.observation_space = ObservationSpace()
        self._toolbox = ToolBox([*self._tools(), self._finish_tool()])
        self.action_space = ToolCallSpace(self._toolbox.names)
        self.ledger = ErrorLedger(self.ledger_kinds)
        self.claims: list[Claim] = []
        self.step_count = 0
        self.world_seed: int | None = None
        self.ended = False
        self.deadline: float | None = None
        """The episode's wall-time limit (``time.monotonic()`` seconds; see set_deadline)."""
        self.current_action: Action | None = None
        """The action being handled (handlers of multi-actor worlds read its ``actor``)."""
        self._world: WorldT | None = None
        self._last_text = ""

    def _options(self, given: Mapping[str, Any]) -> OptionsT:
        try:
            return self.options_model.model_validate(dict(given))  # type: ignore[return-value]
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'options'}: {e['msg']}" for e in exc.errors()
            )
            accepted = ", ".join(self.options_model.model_fields)
            raise ValueError(
                f"{type(self).__name__} options: {problems} (its options are: {accepted})"
            ) from None

    @property
    def world(self) -> WorldT:
        """The current world; there is none before ``reset()``."""
        self._check_world()
        return self._world  # type: ignore[return-value]

    def set_deadline(self, seconds_left: float | None) -> None:
        """The episode's wall-time limit, ``seconds_left`` from now (None: none). Envs that
        run commands cap their timeouts by the time left (``_on_deadline``)."""
        self.deadline = None if seconds_left is None else time.monotonic() + seconds_left
        self._on_deadline()

    def _on_deadline(self) -> None:
        """React to a new deadline (default: nothing)."""

    def _check_world(self) -> None:
        if self._world is None:
            raise gym.error.ResetNeeded(f"{type(self).__name__} has no world yet: call reset()")

    @property
    def step_index(self) -> int:
        """Index of the step being handled (0 for the first), for the ledger and claims."""
        return max(0, self.step_count - 1)

    # ---- hooks for subclasses -------------------------------------------------------------

    @abstractmethod
    def _tools(self) -> list[Tool]:
        """The env's own tools (``finish`` is added by the base); handlers are bound methods
        taking the call's arguments."""

    @abstractmethod
    def _make_world(self, seed: int, options: OptionsT) -> WorldT:
        """Generate the world for ``seed``: the same seed and options, the same world."""

    @abstractmethod
    def _start(self) -> str:
        """Set up a new episode's state in :attr:`world`; return the task shown to the agent."""

    @abstractmethod
    def _probes(self) -> dict[str, Any]:
        """The world's internal state now (see :meth:`probes`)."""

    @abstractmethod
    def _verify(self) -> Outcome:
        """The ground-truth outcome, computed from the world state by code."""

    @abstractmethod
    def _reference_plan(self) -> list[PlanItem]:
        """How to solve the current world (see :meth:`reference_plan`)."""

    @abstractmethod
    def _record_omissions(self, step: int) -> None:
        """At the end of the episode (dated ``step``): raise an error of role ``omission`` for
        each piece of work left undone."""

    def _recompute_probes(self) -> dict[str, Any]:
        """The probes computed afresh from the world state alone. Envs that keep probes
        incrementally (for speed) override this; the contract checks the two agree."""
        return self._probes()

    def _after_action(self, action: Action, tool: Tool, result: ToolResult) -> None:
        """Update the ledger after a valid tool call (default: nothing)."""

    def _check_finish(self) -> None:
        """Raise :class:`ActionError` if the acting agent may not finish (default: anyone)."""

    def _finish_text(self) -> str:
        return "The episode is over."

    def _reset_fields(self) -> dict[str, Any]:
        """Structured fields of the reset observation beyond the task (default: none)."""
        return {}

    def artifacts(self) -> dict[str, Any]:
        """JSON-serialisable records of the episode kept with its trajectory, such as a
        provenance graph (default: none)."""
        return {}

    # ---- what every env shares ------------------------------------------------------------

    def probes(self) -> dict[str, Any]:
        """The world's internal state now: invariants, health counters, progress. Cheap, no
        LLM, and equal after every step to :meth:`recompute_probes`."""
        self._check_world()
        return self._probes()

    def recompute_probes(self) -> dict[str, Any]:
        """The probes computed afresh from the world state alone."""
        self._check_world()
        return self._recompute_probes()

    def verify(self) -> Outcome:
        """The ground-truth outcome of the episode so far, computed from the world state."""
        self._check_world()
        return self._verify()

    def reference_plan(self) -> list[PlanItem]:
        """How to solve the current world, subtask by subtask, from ground truth.

        The scripted reference agents replay it: ``oracle`` the correct actions, ``sloppy``
        some of the wrong ones, ``test-tamperer`` the tampering ones. The last item finishes.
        """
        self._check_world()
        return self._reference_plan()

    def claim(self, subject: str, confidence: float | None, text: str = "", **fields: Any) -> None:
        """Keep a claim the agent made at this step (``kind`` ``success`` unless given)."""
        self.claims.append(
            Claim(step=self.step_index, subject=subject, confidence=confidence, text=text, **fields)
        )

    def _finish_tool(self) -> Tool:
        return Tool(
            FINISH,
            self.finish_description,
            params(["confidence"], confidence=CONFIDENCE, report={"type": "string"}),
            self._finish,
        )

    def _finish(self, confidence: float, report: str = "") -> ToolResult:
        self._check_finish()
        self.claims.append(Claim.episode_done(self.step_index, confidence, report))
        self._end(self.step_index)
        return ToolResult(self._finish_text(), terminated=True)

    def _end(self, step: int) -> None:
        if not self.ended:
            self.ended = True
            self._record_omissions(step)

    def end_episode(self) -> list[LedgerEvent]:
        """End the episode where the agent did not finish (a limit, a crash): record the
        omissions, dated at the last step, and return the ledger events that made."""
        if self.world_seed is None:
            return []
        self._end(self.step_index)
        return self.ledger.take_step_events()

    # ---- gymnasium API ----------------------------------------------------------------------

    def tools(self) -> list[dict[str, Any]]:
        """The tools as JSON function schemas: exactly what an LLM agent is shown."""
        return self._toolbox.schemas()

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Observation, dict[str, Any]]:
        super().reset(seed=seed)
        world_seed = seed if seed is not None else int(self.np_random.integers(SEED_RANGE))
        if options:
            self.config = self._options({**self.config.model_dump(), **options})
        self.ledger = ErrorLedger(self.ledger_kinds)
        self.claims = []
        self.step_count = 0
        self.ended = False
        self.world_seed = world_seed
        self._world = self._make_world(world_seed, self.config)
        task = self._start()
        self._last_text = task
        names = ", ".join(self._toolbox.names)
        observation = {
            "text": f"{task}\n\nTools: {names}.",
            "fields": {"task": task, **self._reset_fields()},
        }
        info: dict[str, Any] = {
            "probes": self.probes(),
            "ledger": [],
            "action": None,
            "seed": world_seed,
        }
        return observation, info

    def step(self, action: Any) -> tuple[Observation, float, bool, bool, dict[str, Any]]:
        if self.world_seed is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        index = self.step_count
        self.step_count += 1
        parsed: Action | None = None
        failure: str | None = None
        try:
            parsed = parse_action(action)
            self.current_action = parsed
            if self.ended:
                raise ActionError("the episode has ended; nothing more can be done")
            tool = self._toolbox.validate(parsed)
            result = tool.handler(**parsed.args)
            self._after_action(parsed, tool, result)
        except ActionError as problem:
            result = ToolResult(
                text=f"Invalid action: {problem}", fields={"error": str(problem)}, ok=False
            )
        except HarnessError:
            raise  # the harness failed, not the agent: the episode errors
        except Exception as exc:  # the env could not carry it out: an observation, recorded
            failure = traceback.format_exc(limit=6)
            result = ToolResult(
                text=f"Invalid action: the environment could not carry it out "
                f"({type(exc).__name__}: {exc})",
                fields={"error": f"{type(exc).__name__}: {exc}"},
                ok=False,
            )
        self._last_text = scrub(result.text)
        observation = {"text": self._last_text, "fields": scrub({**result.fields, "ok": result.ok})}
        info: dict[str, Any] = {
            "probes": self.probes(),
            "ledger": [event.model_dump() for event in self.ledger.take_step_events()],
            "action": parsed.model_dump() if parsed is not None else None,
            "step": index,
        }
        if failure is not None:
            info["env_failure"] = failure
        terminated = bool(result.terminated) or self.ended
        return observation, float(result.reward), terminated, False, info

    def render(self) -> str | None:
        if self.render_mode == "ansi":
            return self._last_text
        return None
