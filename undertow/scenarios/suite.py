"""Suites: what to run, as YAML validated with pydantic, and its expansion into episodes.

A suite names scenarios (an env id, its options and limits), agents, seeds (a public set and a
held-out set that reports keep apart), trials per seed, and variant axes (perturbation,
difficulty, horizon). A bad file gets a message naming the file, the field, the line and the
fix. Built-in suites live in ``undertow/scenarios/suites/`` and are addressed by name.

A world is a scenario, a variant and a seed: the seed makes the world, the same for every
trial. Trials of a world differ only in the agent's own randomness
(:func:`undertow.rollout.agent_seed`); with more than one trial, LLM agents sample at
:data:`TRIAL_TEMPERATURE` unless their options give a temperature.
"""

from __future__ import annotations

import importlib
import inspect
import itertools
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

import undertow.envs
from undertow.agents.registry import LLM_AGENTS
from undertow.envs.base import BehaviourEnv
from undertow.errors import UndertowError
from undertow.record import EpisodeKey
from undertow.rollout import Limits

BUILTIN_SUITES = Path(__file__).parent / "suites"
TRIAL_TEMPERATURE = 0.7
"""The sampling temperature of LLM agents in a suite of more than one trial, unless the agent's
options give one: at temperature 0 the trials of a world would be one episode repeated."""
SEEDS_PATTERN = re.compile(r"^\s*\d+(\s*-\s*\d+)?(\s*,\s*\d+(\s*-\s*\d+)?)*\s*$")


class SuiteError(UndertowError):
    """The suite (or an option overriding it) is wrong; the message says where and how to fix."""


def parse_seeds(text: str | int | list[int]) -> list[int]:
    """``"0-9"``, ``"1,4,7"``, ``"0-2,10"``, an int or a list of ints -> sorted unique seeds."""
    if isinstance(text, bool):
        raise ValueError("seeds must be numbers, not true/false")
    if isinstance(text, int):
        return [text]
    if isinstance(text, list):
        if not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in text):
            raise ValueError("a seed list must hold whole numbers >= 0")
        return sorted(set(text))
    if not SEEDS_PATTERN.match(str(text)):
        raise ValueError(f"{text!r} is not a seed list; write e.g. 0-9, 1,4,7 or 0-2,10")
    seeds: set[int] = set()
    for part in str(text).split(","):
        low, _, high = part.strip().partition("-")
        first, last = int(low), int(high or low)
        if last < first:
            raise ValueError(f"seed range {part.strip()!r} runs backwards; write {last}-{first}")
        seeds.update(range(first, last + 1))
    return sorted(seeds)


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScenarioSpec(_Spec):
    """An environment with its options and limits."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    env: str
    options: dict[str, Any] = Field(default_factory=dict)
    limits: Limits = Field(default_factory=Limits)

    @field_validator("env")
    @classmethod
    def _known_env(cls, value: str) -> str:
        env_id = registered_id(value)
        if env_id not in gymnasium.registry:
            known = ", ".join(sorted(undertow.envs.ENVIRONMENTS))
            raise ValueError(
                f"unknown env {value!r}; Undertow's envs are: {known}; for your own, write "
                "'package:namespace/Name-v0' so the package that registers it is imported"
            )
        return value

    @model_validator(mode="after")
    def _known_options(self, info: ValidationInfo) -> ScenarioSpec:
        accepted = env_options(self.env)
        unknown = sorted(set(self.options) - accepted - {"provider"})
        if unknown:
            raise ValueError(
                f"options {unknown} are not options of {self.env}; it takes: "
                f"{', '.join(sorted(accepted - {'provider'}))}"
            )
        base = (info.context or {}).get("base")
        self.options = checked_options(self.env, self.options, Path(base) if base else None)
        return self


PATH_OPTION = "path"
"""Key of an option field's ``json_schema_extra`` that marks it as a file path: suites resolve
it against the suite file's folder and check that the file exists before anything runs."""


def checked_options(env: str, options: dict[str, Any], base: Path | None) -> dict[str, Any]:
    """``options`` of ``env`` as an episode gets them: path options resolved against ``base``
    and checked, validated by the env's options model and by its own ``check_options``
    (where it has one: e.g. that the files a task file names exist). A ValueError says what
    is wrong, naming the path and the file that named it."""
    cls = env_class(env)
    if not (isinstance(cls, type) and issubclass(cls, BehaviourEnv)):
        return options
    options = resolve_paths(cls, options, base)
    try:
        cls.options_model.model_validate(options)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ValueError(f"options of {env}: {problems}") from None
    check = getattr(cls, "check_options", None)
    if callable(check):
        try:
            check(options)
        except UndertowError as exc:
            raise ValueError(str(exc)) from None
    return options


def resolve_paths(
    cls: type[BehaviourEnv], options: dict[str, Any], base: Path | None
) -> dict[str, Any]:
    """``options`` with the env's path options made absolute against ``base`` (the suite's
    folder; None: the current directory) and checked to exist; a ValueError names the path."""
    resolved = dict(options)
    for name, info in cls.options_model.model_fields.items():
        extra = info.json_schema_extra
        value = resolved.get(name)
        if not (isinstance(extra, dict) and extra.get(PATH_OPTION)) or not value:
            continue
        if not isinstance(value, str):
            raise ValueError(f"options.{name} is a file path; write it as a string")
        path = Path(value) if base is None else (base / value)
        if not path.is_file():
            relative = (
                f", relative to {base}"
                if base is not None and not Path(value).is_absolute()
                else ""
            )
            raise ValueError(f"options.{name}: no file {value!r} ({path.resolve()}{relative})")
        resolved[name] = str(path.resolve())
    return resolved


def registered_id(env: str) -> str:
    """The gymnasium id of ``env``, importing its module first for ``module:id``."""
    module, _, env_id = env.rpartition(":")
    if module:
        if os.getcwd() not in sys.path:
            sys.path.append(os.getcwd())  # your env packages, next to where you run undertow
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise ValueError(f"cannot import {module!r} to register {env_id!r}: {exc}") from None
    return env_id


def env_class(env: str) -> Any:
    """The class an environment id names (None for a factory that is not a class)."""
    entry_point = gymnasium.spec(registered_id(env)).entry_point
    if not isinstance(entry_point, str):
        return entry_point if isinstance(entry_point, type) else None
    module_name, _, class_name = entry_point.partition(":")
    return getattr(importlib.import_module(module_name), class_name)


def env_options(env: str) -> set[str]:
    """The options an environment takes (for a BehaviourEnv, its ``options_model``'s fields),
    plus ``provider`` where its constructor takes a sandbox provider."""
    cls = env_class(env)
    if cls is None:
        return set()
    parameters = set(inspect.signature(cls).parameters) - {"self", "options", "render_mode"}
    if isinstance(cls, type) and issubclass(cls, BehaviourEnv):
        return set(cls.options_model.model_fields) | (parameters & {"provider"})
    return parameters


class AgentSpec(_Spec):
    """An agent: a scripted id (``oracle``, ``sloppy``, ...) with options, or a model."""

    id: str = Field(min_length=1)
    options: dict[str, Any] = Field(default_factory=dict)
    name: str | None = None
    """How reports name it; defaults to the id."""

    @property
    def label(self) -> str:
        return self.name or self.id


class SeedSpec(_Spec):
    public: list[int]
    held_out: list[int] = Field(default_factory=list)

    @field_validator("public", "held_out", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> list[int]:
        return parse_seeds(value)

    @model_validator(mode="after")
    def _disjoint(self) -> SeedSpec:
        shared = sorted(set(self.public) & set(self.held_out))
        if shared:
            raise ValueError(f"seeds {shared} are both public and held out; keep the sets apart")
        if not self.public and not self.held_out:
            raise ValueError("no seeds; give at least one public seed")
        return self


class HorizonAxis(_Spec):
    """Task lengths to vary within each scenario: an env option (``tickets``, ``entities``,
    ``tickets_per_day``) and its values, so that horizon fits compare lengths of one scenario."""

    option: str = Field(min_length=1)
    values: list[int] = Field(min_length=1)


class VariantAxes(_Spec):
    perturb: list[bool] = Field(default_factory=lambda: [False], min_length=1)
    difficulty: list[int] | None = Field(default=None, min_length=1)
    horizon: HorizonAxis | None = None


class Suite(_Spec):
    """A suite of episodes: scenarios x variants x seeds x agents x trials."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    scenarios: list[ScenarioSpec] = Field(min_length=1)
    agents: list[AgentSpec] = Field(min_length=1)
    seeds: SeedSpec
    trials: int = Field(default=1, ge=1, le=1000)
    variants: VariantAxes = Field(default_factory=VariantAxes)
    max_error_rate: float | None = Field(default=None, ge=0, le=1)
    """The run fails (a message, exit code 3) when a larger share of its episodes errored."""
    image: str | None = Field(default=None, min_length=1)
    """The Docker image of the run's sandboxes (default ``undertow-base:bookworm``; a task
    file's ``image`` builds on it); ``undertow run --image`` overrides it."""

    @field_validator("agents", mode="before")
    @classmethod
    def _agent_shorthand(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"id": item} if isinstance(item, str) else item for item in value]
        return value

    @model_validator(mode="after")
    def _unique_names(self) -> Suite:
        for kind, names in (
            ("scenario", [s.name for s in self.scenarios]),
            ("agent", [a.label for a in self.agents]),
        ):
            repeated = sorted({n for n in names if names.count(n) > 1})
            if repeated:
                raise ValueError(f"{kind} names {repeated} repeat; give each its own name")
        return self

    @model_validator(mode="after")
    def _horizon_is_an_option(self) -> Suite:
        axis = self.variants.horizon
        for scenario in self.scenarios if axis else ():
            for value in axis.values:  # type: ignore[union-attr]
                options = {**scenario.options, axis.option: value}  # type: ignore[union-attr]
                try:
                    ScenarioSpec(name=scenario.name, env=scenario.env, options=options)
                except ValidationError as exc:
                    problem = exc.errors()[0]["msg"].removeprefix("Value error, ")
                    raise ValueError(f"variants.horizon on {scenario.name}: {problem}") from None
        return self


@dataclass(frozen=True)
class Episode:
    """One episode to run: its key, scenario, agent, options and whether its seed is held out."""

    key: EpisodeKey
    scenario: ScenarioSpec
    agent: AgentSpec
    options: dict[str, Any]
    held_out: bool


def expand(suite: Suite) -> list[Episode]:
    """Every episode of the suite, in a stable order."""
    episodes = []
    seeds = [(s, False) for s in suite.seeds.public] + [(s, True) for s in suite.seeds.held_out]
    axes = suite.variants
    difficulties: list[int | None] = [*axes.difficulty] if axes.difficulty else [None]
    lengths: list[int | None] = [*axes.horizon.values] if axes.horizon else [None]
    agents = [trial_agent(agent, suite.trials) for agent in suite.agents]
    for scenario in suite.scenarios:
        for difficulty, length, perturb in itertools.product(difficulties, lengths, axes.perturb):
            options = dict(scenario.options)
            parts = []
            if difficulty is not None:
                options["difficulty"] = difficulty
                parts.append(f"d{difficulty}")
            if length is not None and axes.horizon is not None:
                options[axes.horizon.option] = length
                parts.append(f"{axes.horizon.option}{length}")
            variant = "-".join(parts) or "original"
            if perturb:
                options["perturb"] = True
                variant += "-perturbed"
            for seed, held_out in seeds:
                for agent in agents:
                    for trial in range(suite.trials):
                        key = EpisodeKey(
                            scenario=scenario.name,
                            variant=variant,
                            seed=seed,
                            agent=agent.label,
                            trial=trial,
                        )
                        episodes.append(Episode(key, scenario, agent, options, held_out))
    return episodes


def trial_agent(agent: AgentSpec, trials: int) -> AgentSpec:
    """The agent as the suite's episodes play it: with more than one trial, an LLM agent that
    names no temperature samples at :data:`TRIAL_TEMPERATURE`."""
    if trials > 1 and agent.id in LLM_AGENTS and "temperature" not in agent.options:
        return agent.model_copy(
            update={"options": {**agent.options, "temperature": TRIAL_TEMPERATURE}}
        )
    return agent


def _line_of(text: str, location: tuple[Any, ...]) -> int | None:
    """1-based line of the YAML node at a pydantic error location, where it can be found."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = None
    for part in location:
        if isinstance(node, yaml.MappingNode):
            pair = next(((k, v) for k, v in node.value if k.value == part), None)
            if pair is None:
                break
            line = pair[0].start_mark.line + 1
            node = pair[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def parse_suite(text: str, source: str, base: Path | None = None) -> Suite:
    """Validate suite YAML; errors name ``source``, the field and the line. Path options
    resolve against ``base`` (the suite file's folder; None: the current directory)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SuiteError(f"{source} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise SuiteError(
            f"{source}: a suite is a mapping with name, scenarios, agents and seeds; "
            f"found {type(data).__name__}"
        )
    try:
        return Suite.model_validate(data, context={"base": base})
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            location = tuple(error["loc"])
            field = ".".join(str(p) for p in location) or "(top level)"
            line = _line_of(text, location)
            where = f" (line {line})" if line else ""
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"{field}{where}: {message}")
        raise SuiteError(f"{source}: " + "; ".join(problems)) from None


def builtin_suites() -> list[str]:
    """Names of the suites that ship with Undertow."""
    return sorted(p.stem for p in BUILTIN_SUITES.glob("*.yaml"))


def load_suite(name_or_path: str) -> tuple[Suite, str]:
    """A built-in suite by name, or a suite file by path; returns the suite and its YAML."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        try:
            text = path.read_text()
        except OSError as exc:
            raise SuiteError(
                f"cannot read suite file {path}: {exc.strerror}. Built-in suites: "
                f"{', '.join(builtin_suites())}"
            ) from None
        return parse_suite(text, str(path), path.resolve().parent), text
    builtin = BUILTIN_SUITES / f"{name_or_path}.yaml"
    if not builtin.exists():
        raise SuiteError(
            f"no suite {name_or_path!r}: not a file, and not a built-in suite "
            f"({', '.join(builtin_suites())})"
        )
    text = builtin.read_text()
    return parse_suite(text, f"built-in suite {name_or_path}"), text
