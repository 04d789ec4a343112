"""``check_contract``: everything gymnasium's ``check_env`` covers, plus Undertow's contract.

The contract, checked on a sample of seeds:

- ``gymnasium``: ``gymnasium.utils.env_checker.check_env`` passes;
- ``tools``: ``tools()`` are valid JSON Schemas with unique names;
- ``determinism``: the same seed gives the same world (the reset observation, and the probes
  and rewards of every step of an oracle replay; step texts may carry timings, so they are not
  compared) and ``verify()`` gives the same outcome twice;
- ``seeds differ``: different seeds give different worlds (unless the env declares
  ``fixed_world``, as bring-your-own-codebase does);
- ``oracle`` succeeds and ``noop`` fails on every sampled seed;
- ``malformed actions``: bad JSON, wrong shapes, unknown tools and bad arguments are
  observations (``ok`` false), never exceptions;
- ``ledger``: every ``caused_by`` names an earlier error, no error is raised twice, a resolution
  names a raised error, and the final ledger agrees with the step events;
- ``probes``: a JSON-serialisable dict after every step.

Each failure says what broke and where (which seed, step and action).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gymnasium
from gymnasium.utils.env_checker import check_env
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

import undertow.envs  # noqa: F401  (registers the built-in environments)
from undertow.envs.base import BehaviourEnv
from undertow.errors import UndertowError
from undertow.record import Action, PlanItem

DEFAULT_SEEDS = (0, 1, 2)
MALFORMED_ACTIONS: tuple[Any, ...] = (
    "this is not json",
    "{broken",
    [1, 2, 3],
    42,
    None,
    {},
    {"args": {}},
    {"tool": "no_such_tool_anywhere", "args": {}},
    {"tool": 7},
)
EnvSource = str | type[BehaviourEnv]


class ContractError(UndertowError):
    """An environment breaks the contract; the message lists every failed check."""


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    message: str = ""


def _factory(env: EnvSource, options: dict[str, Any]) -> Callable[[], BehaviourEnv]:
    if isinstance(env, str):
        return lambda: gymnasium.make(env, **options).unwrapped  # type: ignore[return-value]
    return lambda: env(**options)


Script = Callable[[list[PlanItem]], list[Action]]


def oracle_script(plan: list[PlanItem]) -> list[Action]:
    """Every subtask done the correct way."""
    return [action for item in plan for action in item.actions]


def noop_script(plan: list[PlanItem]) -> list[Action]:
    """Only the finishing item."""
    return list(plan[-1].actions)


def alternating_script(plan: list[PlanItem]) -> list[Action]:
    """Every other subtask done the wrong way, to exercise the ledger."""
    return [
        action
        for index, item in enumerate(plan)
        for action in (item.wrong if index % 2 == 0 and item.wrong else item.actions)
    ]


def _replay(
    make: Callable[[], BehaviourEnv], script: Script, seed: int
) -> tuple[BehaviourEnv, list[tuple[Any, ...]], list[dict[str, Any]]]:
    """Play a scripted plan; return the env (open), a record of the run, and step infos."""
    env = make()
    observation, info = env.reset(seed=seed)
    record: list[tuple[Any, ...]] = [
        (observation["text"], json.dumps(info["probes"], sort_keys=True))
    ]
    infos = []
    for action in script(env.reference_plan()):
        observation, reward, terminated, truncated, info = env.step(action)
        # Step texts may carry timings (a test run's "in 0.002s"); the world is its probes.
        record.append((reward, terminated, json.dumps(info["probes"], sort_keys=True)))
        infos.append(info)
        if terminated or truncated:
            break
    return env, record, infos


def _check_tools(env: BehaviourEnv) -> list[str]:
    problems = []
    names = [tool.get("name") for tool in env.tools()]
    if len(set(names)) != len(names):
        problems.append(f"tool names repeat: {names}")
    for tool in env.tools():
        if not tool.get("description"):
            problems.append(f"tool {tool.get('name')!r} has no description")
        try:
            Draft202012Validator.check_schema(tool.get("parameters", {}))
        except SchemaError as exc:
            problems.append(
                f"tool {tool.get('name')!r} parameters are not valid JSON Schema: {exc.message}"
            )
        if tool.get("parameters", {}).get("type") != "object":
            problems.append(f"tool {tool.get('name')!r} parameters must be an object schema")
    return problems


def ledger_problems(infos: list[dict[str, Any]], final: list[Any], seed: int) -> list[str]:
    """What is wrong with a run's ledger: the step ``infos`` against the ``final`` ledger (every
    ``caused_by`` an earlier error, none raised twice, resolutions of raised errors only)."""
    problems = []
    raised: dict[str, int] = {}
    resolved: dict[str, int] = {}
    for info in infos:
        step = info["step"]
        for event in info["ledger"]:
            if event.get("type") == "raised":
                error = event["error"]
                where = f"seed {seed}, step {step}: error {error['id']!r}"
                if error["id"] in raised:
                    problems.append(f"{where} is raised a second time")
                for parent in error.get("caused_by", []):
                    if parent not in raised:
                        problems.append(f"{where} is caused_by {parent!r}, not an earlier error")
                if error["step"] > step:
                    problems.append(f"{where} is dated step {error['step']}, in the future")
                raised[error["id"]] = step
            elif event.get("type") == "resolved":
                error_id = event["error_id"]
                if error_id not in raised:
                    problems.append(
                        f"seed {seed}, step {step}: resolves unknown error {error_id!r}"
                    )
                elif error_id in resolved:
                    problems.append(f"seed {seed}, step {step}: resolves {error_id!r} twice")
                resolved[error_id] = step
    final_ids = {error.id: error for error in final}
    if set(final_ids) != set(raised):
        problems.append(
            f"seed {seed}: the final ledger {sorted(final_ids)} does not match the errors raised "
            f"in the steps {sorted(raised)}"
        )
    for error_id, step in resolved.items():
        if error_id in final_ids and final_ids[error_id].resolved_at != step:
            problems.append(
                f"seed {seed}: error {error_id!r} was resolved at step {step} but the final "
                f"ledger says {final_ids[error_id].resolved_at}"
            )
    return problems


def probe_problems(infos: list[dict[str, Any]], seed: int) -> list[str]:
    """What is wrong with a run's probes: each step's must be a JSON-serialisable dict."""
    for info in infos:
        probes = info.get("probes")
        try:
            json.dumps(probes)
        except (TypeError, ValueError):
            return [f"seed {seed}, step {info.get('step')}: probes are not JSON-serialisable"]
        if not isinstance(probes, dict):
            return [f"seed {seed}, step {info.get('step')}: probes must be a dict"]
    return []


def _check_malformed(make: Callable[[], BehaviourEnv], seed: int) -> list[str]:
    env = make()
    problems = []
    try:
        env.reset(seed=seed)
        actions = list(MALFORMED_ACTIONS) + [
            {"tool": tool["name"], "args": {"undertow_no_such_argument": [None]}}
            for tool in env.tools()
        ]
        for action in actions:
            try:
                observation, *_ = env.step(action)
            except Exception as exc:
                problems.append(f"seed {seed}: step({action!r}) raised {type(exc).__name__}: {exc}")
                continue
            if not env.observation_space.contains(observation):
                problems.append(
                    f"seed {seed}: step({action!r}) gave an observation outside the space"
                )
            elif observation["fields"].get("ok") is not False:
                problems.append(f"seed {seed}: step({action!r}) was accepted; it should be refused")
    finally:
        env.close()
    return problems


def _safely(name: str, check: Callable[[], list[str]]) -> CheckResult:
    try:
        problems = check()
    except Exception as exc:  # a crash is a failed check, with what crashed
        return CheckResult(name, False, f"raised {type(exc).__name__}: {exc}")
    return CheckResult(name, not problems, "; ".join(problems[:10]))


def check_contract(
    env: EnvSource, seeds: tuple[int, ...] = DEFAULT_SEEDS, **options: Any
) -> list[CheckResult]:
    """Run every contract check; return one result per check (see the module docstring)."""
    make = _factory(env, options)
    results: list[CheckResult] = []

    def gymnasium_check() -> list[str]:
        instance = make()
        try:
            check_env(instance, skip_render_check=True, skip_close_check=True)
        finally:
            instance.close()
        return []

    def tools_check() -> list[str]:
        instance = make()
        try:
            return _check_tools(instance)
        finally:
            instance.close()

    def determinism_check() -> list[str]:
        problems = []
        for seed in seeds:
            first_env, first, _ = _replay(make, oracle_script, seed)
            outcome_a, outcome_b = first_env.verify(), first_env.verify()
            first_env.close()
            second_env, second, _ = _replay(make, oracle_script, seed)
            second_env.close()
            if first != second:
                index = next(
                    (i for i, (a, b) in enumerate(zip(first, second, strict=False)) if a != b),
                    min(len(first), len(second)),
                )
                where = "after reset" if index == 0 else f"at step {index - 1}"
                problems.append(f"seed {seed}: two runs of the same seed differ {where}")
            if outcome_a != outcome_b:
                problems.append(f"seed {seed}: verify() gave two different outcomes")
        return problems

    def seeds_differ_check() -> list[str]:
        probe = make()
        fixed = probe.fixed_world
        probe.close()
        if fixed:
            return []  # a world loaded from a fixed source (see BehaviourEnv.fixed_world)
        texts = set()
        for seed in seeds:
            instance = make()
            try:
                observation, info = instance.reset(seed=seed)
                texts.add((observation["text"], json.dumps(info["probes"], sort_keys=True)))
            finally:
                instance.close()
        return (
            []
            if len(texts) == len(seeds)
            else [f"seeds {list(seeds)} do not all give different worlds"]
        )

    def oracle_and_noop_check() -> list[str]:
        problems = []
        for seed in seeds:
            for name, script, should_succeed in (
                ("oracle", oracle_script, True),
                ("noop", noop_script, False),
            ):
                instance, _, _ = _replay(make, script, seed)
                try:
                    outcome = instance.verify()
                finally:
                    instance.close()
                if outcome.success != should_succeed:
                    verb = "fails" if should_succeed else "succeeds"
                    problems.append(
                        f"seed {seed}: the {name} plan {verb} (score {outcome.score:.2f})"
                    )
        return problems

    def malformed_check() -> list[str]:
        return [p for seed in seeds[:1] for p in _check_malformed(make, seed)]

    def ledger_and_probes_check() -> list[str]:
        problems = []
        for seed in seeds:
            for script in (alternating_script, oracle_script):
                instance, _, infos = _replay(make, script, seed)
                try:
                    problems += ledger_problems(infos, instance.ledger.errors(), seed)
                    problems += probe_problems(infos, seed)
                finally:
                    instance.close()
        return problems

    checks = {
        "gymnasium check_env": gymnasium_check,
        "tools are JSON Schemas": tools_check,
        "same seed, same world; verify() deterministic": determinism_check,
        "different seeds, different worlds": seeds_differ_check,
        "oracle succeeds, noop fails": oracle_and_noop_check,
        "malformed actions are observations": malformed_check,
        "ledger and probes consistent": ledger_and_probes_check,
    }
    for name, check in checks.items():
        results.append(_safely(name, check))
    return results


def assert_contract(env: EnvSource, seeds: tuple[int, ...] = DEFAULT_SEEDS, **options: Any) -> None:
    """Raise :class:`ContractError` naming every failed check; return quietly when all pass."""
    failed = [r for r in check_contract(env, seeds, **options) if not r.ok]
    if failed:
        label = env if isinstance(env, str) else env.__name__
        raise ContractError(
            f"{label} breaks the environment contract:\n"
            + "\n".join(f"- {r.name}: {r.message}" for r in failed)
        )
