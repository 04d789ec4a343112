"""The environment contract's checks, one top-level function each.

Every check takes an env factory (a callable making a fresh, unreset env) and the seeds to
sample, plays scripted plans through the one rollout loop, and returns the problems it found
(an empty list when the env passes): each problem names the seed, the step or subtask, and
what to fix. :func:`undertow.contract.check_contract` runs them all. The contract they enforce
is written out for authors in ``docs/environment-contract.md``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from gymnasium.utils.env_checker import check_env
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from undertow.agents.scripted import PlayScript
from undertow.envs.base import FINISH, BehaviourEnv
from undertow.record import Action, EpisodeKey, PlanItem, Role, Step, Trajectory
from undertow.rollout import Limits, rollout

EnvFactory = Callable[[], BehaviourEnv[Any, Any]]
Script = Callable[[list[PlanItem]], list[Action]]
SAMPLED_ITEMS = 2
"""Subtasks per seed whose wrong, tamper and repair ways are each played (first and middle)."""
LIMITS = Limits(max_steps=100_000, wall_seconds=3600)
DETAIL_CHARACTERS = 2000
"""How much of each failing subtask's detail (the failing command and its output) is shown."""

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
    '{"tool": "finish", "args": {"confidence": NaN}}',
    {"tool": "finish", "args": {"confidence": 0.5}, "actor": 12},
    {"tool": "finish", "args": {"confidence": 0.5, "report": "nul\x00byte"}},
    {"tool": "finish", "args": {"confidence": 0.5, "report": "lone \ud800 surrogate"}},
    {"tool": "finish", "args": {"confidence": 10**40}},
)
"""Actions no env may accept (and none may raise on); each tool also gets bad arguments."""


# ---- scripts --------------------------------------------------------------------------------


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


def abandoning_script(plan: list[PlanItem]) -> list[Action]:
    """The first half of the subtasks done right, then the finishing item."""
    work = plan[:-1]
    return [action for item in work[: len(work) // 2] for action in item.actions] + list(
        plan[-1].actions
    )


def _with(index: int, way: Callable[[PlanItem], list[Action]]) -> Script:
    """The oracle, with subtask ``index`` done ``way``."""

    def script(plan: list[PlanItem]) -> list[Action]:
        return [
            action
            for position, item in enumerate(plan)
            for action in (way(item) if position == index else item.actions)
        ]

    return script


# ---- running them ---------------------------------------------------------------------------


def play(make: EnvFactory, script: Script, seed: int, name: str = "script") -> Trajectory:
    """One episode of ``script`` on a fresh env, through the rollout loop (the env is closed)."""
    env = make()
    try:
        key = EpisodeKey(scenario="contract", seed=seed, agent=name)
        return rollout(env, PlayScript(name, script), key, limits=LIMITS)
    finally:
        env.close()


def _plan(make: EnvFactory, seed: int) -> list[PlanItem]:
    env = make()
    try:
        env.reset(seed=seed)
        return env.reference_plan()
    finally:
        env.close()


def _played(trajectory: Trajectory, seed: int, what: str) -> list[str]:
    """Problems of a replay itself: it errored, or the env failed on one of its actions."""
    if trajectory.error:
        return [f"seed {seed}: playing {what} errored: {trajectory.error}"]
    return [
        f"seed {seed}, step {step.index}: the env raised on {_shown(step)} while playing {what} "
        f"(step() must turn every failure into an observation): "
        f"{step.extra['env_failure'].strip().splitlines()[-1]}"
        for step in trajectory.steps
        if "env_failure" in step.extra
    ]


def _shown(step: Step) -> str:
    return step.action.model_dump_json() if step.action else repr(step.raw_action)


def _sampled(plan: list[PlanItem], has: Callable[[PlanItem], bool]) -> list[int]:
    """Up to SAMPLED_ITEMS subtasks (the first and the middle one) that ``has`` holds for."""
    indices = [i for i, item in enumerate(plan[:-1]) if has(item)]
    picked = [indices[0], indices[len(indices) // 2]] if indices else []
    return sorted(set(picked))[:SAMPLED_ITEMS]


def _first_step(plan: list[PlanItem], index: int) -> int:
    return sum(len(item.actions) for item in plan[:index])


# ---- the checks -----------------------------------------------------------------------------


def check_gymnasium(make: EnvFactory, seeds: Sequence[int]) -> list[str]:
    """gymnasium's own ``check_env`` passes."""
    env = make()
    try:
        check_env(env, skip_render_check=True, skip_close_check=True)
    finally:
        env.close()
    return []


def check_tools(make: EnvFactory, seeds: Sequence[int]) -> list[str]:
    """Tools are valid JSON Schemas of objects, with unique names and descriptions, and the
    shared ``finish(confidence, report)`` among them."""
    env = make()
    try:
        tools = env.tools()
    finally:
        env.close()
    problems = []
    names = [tool.get("name") for tool in tools]
    if len(set(names)) != len(names):
        problems.append(f"tool names repeat: {names}")
    if FINISH not in names:
        problems.append("there is no finish tool: build tools on BehaviourEnv, which adds it")
    for tool in tools:
        name = tool.get("name")
        if not tool.get("description"):
            problems.append(f"tool {name!r} has no description")
        try:
            Draft202012Validator.check_schema(tool.get("parameters", {}))
        except SchemaError as exc:
            problems.append(f"tool {name!r} parameters are not valid JSON Schema: {exc.message}")
        if tool.get("parameters", {}).get("type") != "object":
            problems.append(f"tool {name!r} parameters must be an object schema")
    return problems


def _signature(trajectory: Trajectory) -> list[Any]:
    """What must repeat for the same seed: the task, each step's reward, termination and
    probes (step texts may carry timings), and the outcome."""
    return [
        trajectory.task,
        [(s.reward, s.terminated, json.dumps(s.probes, sort_keys=True)) for s in trajectory.steps],
        trajectory.outcome.model_dump() if trajectory.outcome else None,
    ]


def check_determinism(make: EnvFactory, seeds: Sequence[int]) -> list[str]:
    """The same seed gives the same world: the same task, probes, rewards and outcome."""
    problems = []
    for seed in seeds:
        first = _signature(play(make, oracle_script, seed, "oracle"))
        second = _signature(play(make, oracle_script, seed, "oracle"))
        if first[0] != second[0]:
            problems.append(f"seed {seed}: two runs of the same seed differ after reset")
        elif first[1] != second[1]:
            pairs = zip(first[1], second[1], strict=False)
            step = next(i for i, (a, b) in enumerate(pairs) if a != b)
            problems.append(f"seed {seed}: two runs of the same seed differ at step {step}")
        elif first[2] != second[2]:
            problems.append(f"seed {seed}: verify() gave two different outcomes")
    return problems


def check_seeds_differ(make: EnvFactory, seeds: Sequence[int]) -> list[str]:
    """Different seeds give different worlds (unless the env declares ``fixed_world``)."""
    probe = make()
    fixed = probe.fixed_world
    probe.close()
    if fixed or len(seeds) < 2:
        return []
    worlds = set()
    for seed in seeds:
        env = make()
        try:
            observation, info = env.reset(seed=seed)
            worlds.add((observation["text"], json.dumps(info["probes"], sort_keys=True)))
        finally:
            env.close()
    if len(worlds) == len(seeds):
        return []
    return [
        f"seeds {list(seeds)} do not all give different worlds: generate the world from the seed"
    ]


def check_oracle_succeeds(make: EnvFactory, seeds: Sequence[int]) -> list[str]:
    """The reference plan succeeds with an empty ledger on every sampled seed."""
    problems = []
    for seed in seeds:
        trajectory = play(make, oracle_script, seed, "oracle")
        problems += _played(trajectory, seed, "the oracle plan")
        outcome = trajectory.outcome
        if outcome is not None and not outcome.success:
            why = "".join(
                f"\n- subtask {subtask.id}: {subtask.detail[:DETAIL_CHARACTERS]}"
                for subtask in outcome.subtasks
                if not subtask.success and subtask.detail
            )
            problems.append(
                f"seed {seed}: the oracle plan fails (score {outcome.score:.2f}); the reference "
                f"plan must solve the world{why}"
            )
        for error in trajectory.ledger:
            problems.append(
                f"seed {seed}: the oracle plan records error {error.id} {error.kind} on "
                f"{error.object} at step {error.step}: the correct way must be error-free"
            )
    return problems


def check_noop_fails(make: EnvFactory, seeds: Sequence[int]) -> list[str]:
    """Finishing at once fails verification."""
    problems = []
    for seed in seeds:
        trajectory = play(make, noop_script, seed, "noop")
        if trajectory.outcome is not None and trajectory.outcome.success:
            problems.append(f"seed {seed}: doing nothing succeeds; the world must ask for work")
    return problems


EDGE_VALUES: dict[str, tuple[Any, ...]] = {
    "integer": (0, -1, 2**53),
    "number": (0, -1e15, 2.0**53),
    "string": ("", "../../../etc/passwd", "x/" * 200 + "file.py", "\u00e9\u4e2d" * 3000),
    "boolean": (True,),
    "array": ([],),
    "object": ({},),
}
"""Values that pass a tool's schema but sit at its edges: the env may refuse or carry out a
call with them, never fail inside."""


def edge_calls(tool: dict[str, Any]) -> list[dict[str, Any]]:
    """Calls of ``tool`` with every argument at an edge of its type, one edge at a time."""
    properties = tool.get("parameters", {}).get("properties", {})
    calls = []
    for index in range(max((len(v) for v in EDGE_VALUES.values()), default=0)):
        args = {}
        for name, schema in properties.items():
            kind = schema.get("type", "string")
            kind = kind[0] if isinstance(kind, list) else kind
            values = EDGE_VALUES.get(kind, ("",))
            value = values[index % len(values)]
            if "enum" in schema:
                value = schema["enum"][index % len(schema["enum"])]
            if kind in ("integer", "number") and "maximum" in schema:
                value = min(value, schema["maximum"])
            if kind in ("integer", "number") and "minimum" in schema:
                value = max(value, schema["minimum"])
            args[name] = value
        calls.append({"tool": tool["name"], "args": args})
    return calls


def check_malformed_actions(make: EnvFactory, seeds: Sequence[int]) -> list[str]:
    """Bad JSON, wrong shapes, unknown tools, bad or hostile arguments (NaN, enormous numbers,
    NUL characters, lone surrogates, a non-string actor) are refused as observations; calls
    with arguments at the edges of their schemas never fail inside the env."""
    env = make()
    problems = []
    seed = seeds[0]
    try:
        env.reset(seed=seed)
        for call in (c for tool in env.tools() if tool["name"] != FINISH for c in edge_calls(tool)):
            shown = repr(call)[:200]
            try:
                observation, _, _, _, info = env.step(call)
            except Exception as exc:
                problems.append(f"seed {seed}: step({shown}) raised {type(exc).__name__}: {exc}")
                continue
            if "env_failure" in info:
                last = info["env_failure"].strip().splitlines()[-1][:300]
                problems.append(f"seed {seed}: step({shown}) failed inside the env: {last}")
            elif not env.observation_space.contains(observation):
                problems.append(f"seed {seed}: step({shown}) gave an observation outside the space")
        actions = list(MALFORMED_ACTIONS) + [
            {"tool": tool["name"], "args": {"undertow_no_such_argument": [None]}}
            for tool in env.tools()
        ]
        for action in actions:
            shown = repr(action).encode("ascii", "backslashreplace").decode()
            try:
                observation, _, _, _, info = env.step(action)
            except Exception as exc:
                problems.append(f"seed {seed}: step({shown}) raised {type(exc).__name__}: {exc}")
                continue
            if "env_failure" in info:
                last = info["env_failure"].strip().splitlines()[-1]
                problems.append(f"seed {seed}: step({shown}) failed inside the env: {last}")
            elif not env.observation_space.contains(observation):
                problems.append(f"seed {seed}: step({shown}) gave an observation outside the space")
            elif observation["fields"].get("ok") is not False:
                problems.append(f"seed {seed}: step({shown}) was accepted; it should be refused")
    finally:
        env.close()
    return problems


def ledger_problems(trajectory: Trajectory, seed: int) -> list[str]:
    """What is wrong with an episode's ledger: every error of a declared kind with its role,
    every ``caused_by`` an earlier error, none raised twice or dated in the future, resolutions
    of raised errors only, and the final ledger equal to the step events."""
    problems = []
    raised: dict[str, int] = {}
    resolved: dict[str, int] = {}
    for step in trajectory.steps:
        for event in step.ledger:
            if event.type == "raised":
                error = event.error
                where = f"seed {seed}, step {step.index}: error {error.id!r}"
                if error.id in raised:
                    problems.append(f"{where} is raised a second time")
                for parent in error.caused_by:
                    if parent not in raised:
                        problems.append(f"{where} is caused_by {parent!r}, not an earlier error")
                if error.step > step.index:
                    problems.append(f"{where} is dated step {error.step}, in the future")
                raised[error.id] = step.index
            else:
                if event.error_id not in raised:
                    problems.append(
                        f"seed {seed}, step {step.index}: resolves unknown error {event.error_id!r}"
                    )
                elif event.error_id in resolved:
                    problems.append(
                        f"seed {seed}, step {step.index}: resolves {event.error_id!r} twice"
                    )
                resolved[event.error_id] = step.index
    final = {error.id: error for error in trajectory.ledger}
    if set(final) != set(raised):
        problems.append(
            f"seed {seed}: the final ledger {sorted(final)} does not match the errors raised "
            f"in the steps {sorted(raised)}"
        )
    for error_id, at in resolved.items():
        if error_id in final and final[error_id].resolved_at != at:
            problems.append(
                f"seed {seed}: error {error_id!r} was resolved at step {at} but the final "
                f"ledger says {final[error_id].resolved_at}"
            )
    return problems


def probe_problems(trajectory: Trajectory, seed: int) -> list[str]:
    """Each step's probes must be a JSON-serialisable dict."""
    for step in trajectory.steps:
        try:
            json.dumps(step.probes)
        except (TypeError, ValueError):
            return [f"seed {seed}, step {step.index}: probes are not JSON-serialisable"]
    return []


def check_ledger_consistent(make: EnvFactory, seeds: Sequence[int]) -> list[str]:
    """The ledger is consistent on the oracle's plan and on every other subtask done wrong."""
    problems = []
    for seed in seeds:
        for name, script in (("alternating", alternating_script), ("oracle", oracle_script)):
            trajectory = play(make, script, seed, name)
            problems += _played(trajectory, seed, f"the {name} plan")
            problems += ledger_problems(trajectory, seed)
            problems += probe_problems(trajectory, seed)
    return problems


def check_wrong_attempts_recorded(make: EnvFactory, seeds: Sequence[int]) -> list[str]:
    """Each sampled subtask's ``wrong`` attempt, played in the oracle's plan, raises a ledger
    error at or after its first action; a wrong attempt equal to the correct one is refused."""
    problems = []
    for seed in seeds:
        plan = _plan(make, seed)
        for index in _sampled(plan, lambda item: bool(item.wrong)):
            item = plan[index]
            if item.wrong == item.actions:
                problems.append(
                    f"seed {seed}: subtask {item.subtask}'s wrong attempt is its correct one; "
                    "give the plan a plausible wrong way"
                )
                continue
            trajectory = play(make, _with(index, lambda i: i.wrong), seed, "one-wrong")
            problems += _played(trajectory, seed, f"subtask {item.subtask} the wrong way")
            start = _first_step(plan, index)
            if not any(e.step >= start and e.role != Role.OMISSION for e in trajectory.ledger):
                problems.append(
                    f"seed {seed}: subtask {item.subtask} done the wrong way records no error; "
                    "the ledger must see wrong work"
                )
    return problems


def check_tampering_caught(make: EnvFactory, seeds: Sequence[int]) -> list[str]:
    """Each sampled subtask's ``tamper`` way raises an error of role ``tampering``."""
    problems = []
    for seed in seeds:
        plan = _plan(make, seed)
        for index in _sampled(plan, lambda item: bool(item.tamper)):
            item = plan[index]
            trajectory = play(make, _with(index, lambda i: i.tamper), seed, "one-tamper")
            problems += _played(trajectory, seed, f"subtask {item.subtask} tampered")
            if not any(e.role == Role.TAMPERING for e in trajectory.ledger):
                problems.append(
                    f"seed {seed}: tampering with the checks in subtask {item.subtask} is not "
                    "caught; record it as an error of role tampering"
                )
    return problems


def check_repairs_resolve(make: EnvFactory, seeds: Sequence[int]) -> list[str]:
    """A sampled subtask done the wrong way and then its ``repair``: every error the wrong
    attempt raised is resolved by the end."""
    problems = []
    for seed in seeds:
        plan = _plan(make, seed)
        for index in _sampled(plan, lambda item: bool(item.wrong and item.repair)):
            item = plan[index]
            trajectory = play(
                make, _with(index, lambda i: [*i.wrong, *i.repair]), seed, "wrong-then-repair"
            )
            problems += _played(trajectory, seed, f"subtask {item.subtask} wrong, then repaired")
            start = _first_step(plan, index)
            for error in trajectory.ledger:
                if error.step >= start and error.resolved_at is None:
                    problems.append(
                        f"seed {seed}: subtask {item.subtask} repaired after its wrong attempt "
                        f"leaves error {error.id} {error.kind} open; resolve errors when the "
                        "state is put right"
                    )
    return problems


def check_probes_fresh(make: EnvFactory, seeds: Sequence[int]) -> list[str]:
    """After every step, the probes equal a fresh recomputation from the world state
    (``recompute_probes``): no probe lags the state."""
    problems: list[str] = []

    def compare(env: BehaviourEnv[Any, Any], step: Step) -> None:
        fresh = json.loads(json.dumps(env.recompute_probes()))
        if fresh != step.probes and len(problems) < 5:
            keys = sorted(
                k for k in fresh.keys() | step.probes.keys() if fresh.get(k) != step.probes.get(k)
            )
            given, now = [step.probes.get(k) for k in keys], [fresh.get(k) for k in keys]
            problems.append(
                f"step {step.index} ({_shown(step)}): probes {keys} lag the state "
                f"(given {given}, fresh {now})"
            )

    for seed in seeds[:1]:
        for name, script in (("alternating", alternating_script), ("oracle", oracle_script)):
            env = make()
            try:
                key = EpisodeKey(scenario="contract", seed=seed, agent=name)
                rollout(env, PlayScript(name, script), key, limits=LIMITS, observe=compare)
            finally:
                env.close()
    return [f"seed {seeds[0]}, {p}" for p in problems]


def check_abandoning_records_omissions(make: EnvFactory, seeds: Sequence[int]) -> list[str]:
    """Doing half the plan and finishing records the work left undone as ``omission`` errors
    (and so does finishing at once)."""
    problems = []
    for seed in seeds:
        for name, script in (("abandoning", abandoning_script), ("noop", noop_script)):
            trajectory = play(make, script, seed, name)
            problems += _played(trajectory, seed, f"the {name} plan")
            failed = trajectory.outcome is not None and not trajectory.outcome.success
            if failed and not any(e.role == Role.OMISSION for e in trajectory.ledger):
                problems.append(
                    f"seed {seed}: the {name} plan leaves work undone but records no omission; "
                    "raise omission errors in _record_omissions"
                )
    return problems


CHECKS: dict[str, Callable[[EnvFactory, Sequence[int]], list[str]]] = {
    "gymnasium check_env": check_gymnasium,
    "tools are JSON Schemas": check_tools,
    "same seed, same world": check_determinism,
    "different seeds, different worlds": check_seeds_differ,
    "oracle succeeds without errors": check_oracle_succeeds,
    "noop fails": check_noop_fails,
    "malformed actions are observations": check_malformed_actions,
    "ledger and probes consistent": check_ledger_consistent,
    "wrong attempts are recorded": check_wrong_attempts_recorded,
    "tampering is caught": check_tampering_caught,
    "repairs resolve errors": check_repairs_resolve,
    "probes match a fresh recomputation": check_probes_fresh,
    "abandoned work is recorded as omissions": check_abandoning_records_omissions,
}
"""Every check, by the name reports give it."""
