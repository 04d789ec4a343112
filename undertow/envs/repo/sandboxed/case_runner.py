"""The hidden-case runner: runs beside the agent's code, knowing only the calls to make.

Standard library only. In an evaluation it is the trusted runner of a grading zygote
(:mod:`undertow.envs.sandbox.zygote`): :func:`main` imports the package from the grader's
private copy, executes the optional patches (module -> source, to swap functions for their
correct versions in a counterfactual), calls each case's function on fresh module state and
writes one JSON line per case to the result channel: ``{"id", "status", "value"}``, status
``ok`` with the returned value or ``error`` with what went wrong. It never sees an expected
value: the grader compares on the host. The generator uses :func:`call_cases` in-process on
the correct project to compute the expected values.
"""

from __future__ import annotations

import copy
import importlib
import json
import pickle
import signal
from collections.abc import Callable
from typing import Any

CASE_SECONDS = 2


class CaseTimeout(Exception):
    pass


def _on_alarm(signum: int, frame: Any) -> None:
    raise CaseTimeout


_encode = json.JSONEncoder(default=repr).encode
PLAIN = (str, int, float, bool, type(None))


def normalise(value: Any) -> Any:
    """The value as JSON would carry it (unknown objects by their repr)."""
    if type(value) in PLAIN:
        return value
    return json.loads(_encode(value))


def _fresh(value: Any) -> Any:
    """A copy of a case's arguments that the call may change freely (pickle: the fastest
    deep copy of plain data)."""
    return pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


def call_cases(
    modules: dict[str, Any],
    cases: list[dict[str, Any]],
    timeout: bool = True,
    emit: Callable[[str, str, Any], None] | None = None,
) -> dict[str, tuple[str, Any]]:
    """Call each case's function on fresh module state: id -> ("ok", value) or ("error", text).
    ``emit`` (if given) receives each outcome as soon as it is known."""
    saved = {
        name: {
            key: copy.deepcopy(value)
            for key, value in vars(module).items()
            if isinstance(value, dict | list | set) and not key.startswith("__")
        }
        for name, module in modules.items()
    }
    if timeout:
        signal.signal(signal.SIGALRM, _on_alarm)
    outcomes: dict[str, tuple[str, Any]] = {}
    for case in cases:
        module = modules[case["module"]]
        _restore(module, saved[case["module"]])
        if timeout:
            signal.alarm(CASE_SECONDS)
        try:
            function = getattr(module, case["function"])
            outcome = ("ok", normalise(function(*_fresh(case["args"]))))
        except CaseTimeout:
            outcome = ("error", f"did not return within {CASE_SECONDS}s")
        except BaseException as exc:
            outcome = ("error", f"raised {type(exc).__name__}: {exc}"[:300])
        finally:
            if timeout:
                signal.alarm(0)
        outcomes[case["id"]] = outcome
        if emit is not None:
            emit(case["id"], *outcome)
    for name, module in modules.items():
        _restore(module, saved[name])  # leave the modules as they were found
    return outcomes


def _restore(module: Any, saved: dict[str, Any]) -> None:
    """Put the module's tables back as saved (those equal to it are left: copying every
    table before every case was most of the cost of a case). Hygiene for honest code that
    changes a table, not containment: code can keep state between calls anyway (a counter,
    a table whose ``__eq__`` lies), and state gains it nothing, since a case passes only by
    returning the value the generator computed, which no call can read."""
    for key, value in saved.items():
        current = vars(module).get(key)
        if type(current) is type(value) and current == value:
            continue
        if isinstance(current, list):
            current[:] = copy.deepcopy(value)
        elif isinstance(current, dict | set):
            current.clear()
            current.update(copy.deepcopy(value))


def main(job: dict[str, Any], channel: Any) -> None:
    """Import the package, apply patches, run the cases, report each on ``channel``."""

    def emit(case_id: str, status: str, value: Any) -> None:
        channel.write(json.dumps({"id": case_id, "status": status, "value": value}) + "\n")
        channel.flush()

    package = job["package"]
    modules: dict[str, Any] = {}
    failures: dict[str, str] = {}
    for name in sorted({case["module"] for case in job["cases"]} | set(job.get("patches", {}))):
        try:
            modules[name] = importlib.import_module(f"{package}.{name}")
        except BaseException as exc:  # a broken edit: every case of the module fails
            failures[name] = f"import failed: {type(exc).__name__}: {exc}"[:300]
    for name, source in job.get("patches", {}).items():
        if name in modules:
            exec(compile(source, f"<patch {name}>", "exec"), modules[name].__dict__)
    for case in job["cases"]:
        if case["module"] in failures:
            emit(case["id"], "error", failures[case["module"]])
    runnable = [case for case in job["cases"] if case["module"] not in failures]
    call_cases(modules, runnable, emit=emit)
