"""Hidden-test harness: runs inside the sandbox, standard library only.

Reads a JSON job from the ``UNDERTOW_JOB`` file argument: the package name, test cases
(``{"id", "module", "function", "args", "expected"}``) and optional patches (module -> source
text executed in that module, to swap functions for their correct versions). Prints one JSON
object: test id -> ``[passed, detail]``. Module-level dicts, lists and sets are restored before
every case, so cases do not see each other's state.
"""

from __future__ import annotations

import copy
import importlib
import json
import signal
import sys

CASE_SECONDS = 2


class CaseTimeout(Exception):
    pass


def _on_alarm(signum, frame):  # type: ignore[no-untyped-def]
    raise CaseTimeout


def _normalise(value):  # type: ignore[no-untyped-def]
    return json.loads(json.dumps(value, default=repr))


def _same(actual, expected):  # type: ignore[no-untyped-def]
    if isinstance(expected, float) and isinstance(actual, int | float):
        return abs(actual - expected) <= 1e-9 * max(1.0, abs(expected))
    if isinstance(expected, list) and isinstance(actual, list) and len(actual) == len(expected):
        return all(_same(a, e) for a, e in zip(actual, expected, strict=True))
    return actual == expected


def call_cases(modules: dict, cases: list, timeout: bool = True) -> dict:
    """Call each case's function on fresh module state: id -> ("ok", value) or ("error", text)."""
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
    outcomes = {}
    for case in cases:
        module = modules[case["module"]]
        _restore(module, saved[case["module"]])
        if timeout:
            signal.alarm(CASE_SECONDS)
        try:
            function = getattr(module, case["function"])
            outcomes[case["id"]] = ("ok", _normalise(function(*copy.deepcopy(case["args"]))))
        except CaseTimeout:
            outcomes[case["id"]] = ("error", f"did not return within {CASE_SECONDS}s")
        except BaseException as exc:
            outcomes[case["id"]] = ("error", f"raised {type(exc).__name__}: {exc}"[:300])
        finally:
            if timeout:
                signal.alarm(0)
    for name, module in modules.items():
        _restore(module, saved[name])  # leave the modules as they were found
    return outcomes


def _restore(module, saved: dict) -> None:  # type: ignore[no-untyped-def]
    for key, value in saved.items():
        current = vars(module)[key]
        if isinstance(current, list):
            current[:] = copy.deepcopy(value)
        else:
            current.clear()
            current.update(copy.deepcopy(value))


def run(job: dict) -> dict:
    """Import the package, apply patches, run the cases: id -> [passed, detail]."""
    package = job["package"]
    modules: dict[str, object] = {}
    failures: dict[str, str] = {}
    for name in sorted({case["module"] for case in job["tests"]} | set(job.get("patches", {}))):
        try:
            modules[name] = importlib.import_module(f"{package}.{name}")
        except BaseException as exc:  # a broken edit: every case of the module fails
            failures[name] = f"import failed: {type(exc).__name__}: {exc}"[:300]
    for name, source in job.get("patches", {}).items():
        if name in modules:
            exec(compile(source, f"<patch {name}>", "exec"), modules[name].__dict__)
    runnable = [case for case in job["tests"] if case["module"] not in failures]
    outcomes = call_cases(modules, runnable)
    results: dict[str, list] = {}
    for case in job["tests"]:
        if case["module"] in failures:
            results[case["id"]] = [False, failures[case["module"]]]
            continue
        status, value = outcomes[case["id"]]
        if status == "error":
            results[case["id"]] = [False, value]
        elif _same(value, case["expected"]):
            results[case["id"]] = [True, ""]
        else:
            detail = f"returned {value!r}, expected {case['expected']!r}"
            results[case["id"]] = [False, detail[:300]]
    return results


if __name__ == "__main__":
    sys.path.insert(0, ".")
    with open(sys.argv[1]) as handle:
        job = json.load(handle)
    print(json.dumps(run(job)))
