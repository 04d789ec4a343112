"""The host side of a generated repository's hidden tests: the verdict is computed here.

The agent's code runs in an isolated evaluation (:meth:`Sandbox.run_isolated`): a fresh child
of a grading zygote, confined to a grader-private copy of the package's ``.py`` files (never
the workspace, so planted bytecode, ``.pth`` files and modules named like the standard
library's are not loaded), as the grading user, with bytecode off. It receives only the
calls to make and reports what they returned, one line per case, through its result channel.
This module compares those values with the expected ones, which never leave the host; a
channel that is garbled, forged twice over or cut short fails every case it should have
answered. Results are kept per content of the package's sources, so a step that changes no
source costs no evaluation; after a step that changes some, :meth:`CaseGrader.update` runs
only the cases whose module reaches a changed source by import
(:mod:`undertow.envs.repo.imports`), and :meth:`CaseGrader.results` runs them all.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from pathlib import Path
from typing import Any

from undertow.envs.repo.generator import Case
from undertow.envs.repo.imports import ModuleImports, reach, read_imports
from undertow.envs.repo.sandboxed import case_runner
from undertow.envs.sandbox import Manifest, Sandbox, SandboxError
from undertow.envs.sandbox import zygote as zygote_module

ZYGOTE_SOURCE = Path(zygote_module.__file__).read_text()
RUNNER_SOURCE = Path(case_runner.__file__).read_text()
PRELOAD = (
    "json",
    "copy",
    "signal",
    "importlib",
    "math",
    "cmath",
    "functools",
    "itertools",
    "collections",
    "collections.abc",
    "re",
    "string",
    "decimal",
    "fractions",
    "statistics",
    "datetime",
    "operator",
    "typing",
    "dataclasses",
    "enum",
    "bisect",
    "heapq",
    "numbers",
    "textwrap",
    "unicodedata",
    "random",
)
"""Standard-library modules the agent's code may import in an evaluation (loaded before the
child is confined, where no other module can be found)."""
CACHE_SIZE = 64
Results = dict[str, tuple[bool, str]]


def same(actual: Any, expected: Any) -> bool:
    """Equal as JSON values, floats within a relative 1e-9."""
    if isinstance(expected, float) and isinstance(actual, int | float):
        return abs(actual - expected) <= 1e-9 * max(1.0, abs(expected))
    if isinstance(expected, list) and isinstance(actual, list) and len(actual) == len(expected):
        return all(same(a, e) for a, e in zip(actual, expected, strict=True))
    return bool(actual == expected)


def read_channel(channel: bytes, wanted: set[str]) -> dict[str, tuple[str, Any]] | str:
    """Each case's reported outcome, or why the channel cannot be trusted at all."""
    reported: dict[str, tuple[str, Any]] = {}
    try:
        lines = channel.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return "the result channel is not UTF-8"
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
        except ValueError:
            return f"line {number} of the result channel is not JSON"
        if not isinstance(record, dict) or set(record) != {"id", "status", "value"}:
            return f"line {number} of the result channel is not a case result"
        case_id, status = record["id"], record["status"]
        if case_id not in wanted or status not in ("ok", "error"):
            return f"line {number} of the result channel names no case asked for"
        if case_id in reported:
            return f"case {case_id} was reported twice"
        reported[case_id] = (status, record["value"])
    return reported


class CaseGrader:
    """Runs hidden cases of one generated world against the workspace, isolated."""

    def __init__(self, box: Sandbox, package: str, timeout: float = 120.0) -> None:
        self.box = box
        self.package = package
        self.timeout = timeout
        self.evaluations = 0
        """Isolated evaluations run so far (results served from the cache do not count)."""
        self.counterfactuals = 0
        """Of those, the ones with correct function text patched in."""
        self.forgery = ""
        """Why the last results' channel could not be trusted (the agent's code wrote to it:
        the runner never writes a line twice, garbled or for a case not asked), or empty."""
        self.cases_run = 0
        """Cases run in those evaluations."""
        self._cache: OrderedDict[str, tuple[Results, str]] = OrderedDict()
        self._imports: dict[str, ModuleImports] = {}
        """Per source digest: the package modules it imports."""
        self._last: tuple[dict[str, str], Results, dict[str, str]] | None = None
        """The sources (path -> digest), results and forged cases (id -> why) the last
        update saw."""

    def sources(self, manifest: Manifest) -> list[str]:
        """The package's Python sources in the workspace: what an evaluation copies."""
        prefix = self.package + "/"
        return sorted(
            path
            for path, digest in manifest.items()
            if path.startswith(prefix)
            and path.endswith(".py")
            and "/__pycache__/" not in path
            and len(digest) == 64  # a regular file (links and special files are described)
        )

    def results(
        self,
        cases: list[Case],
        manifest: Manifest,
        patches: dict[str, str] | None = None,
        *,
        baseline: bool = False,
    ) -> Results:
        """Case id -> (passed, detail) for the workspace as ``manifest`` describes it;
        ``baseline``: what the next :meth:`update` starts from."""
        sources = self.sources(manifest)
        key = hashlib.sha256(
            json.dumps(
                [[(p, manifest[p]) for p in sources], patches or {}, [c.id for c in cases]]
            ).encode()
        ).hexdigest()
        if key not in self._cache:
            self._cache[key] = self._evaluate(cases, sources, patches or {})
            if len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        self._cache.move_to_end(key)
        results, self.forgery = self._cache[key]
        if baseline:
            current = {path: manifest[path] for path in sources}
            self._last = (current, results, {c.id: self.forgery for c in cases if self.forgery})
        return results

    def update(self, cases: list[Case], manifest: Manifest) -> Results:
        """Like :meth:`results` without patches, but after a step that changed some sources
        only the cases whose module reaches a changed source by import run again; the other
        results are kept from the last update."""
        sources = self.sources(manifest)
        current = {path: manifest[path] for path in sources}
        wanted = [c.id for c in cases]
        if self._last is None or list(self._last[1]) != wanted:
            return self.results(cases, manifest, baseline=True)
        before, kept, forged = self._last
        changed = {
            self._module(path)
            for path in before.keys() | current.keys()
            if before.get(path) != current.get(path)
        }
        affected = self._affected(cases, current, changed) if changed else []
        results = dict(kept)
        forged = dict(forged)
        if affected:
            fresh, forgery = self._evaluate(affected, sources, {})
            results.update(fresh)
            for case in affected:  # a forgery stands until its cases run clean again
                forged.pop(case.id, None)
                if forgery:
                    forged[case.id] = forgery
        self._last = (current, results, forged)
        self.forgery = next(iter(forged.values()), "")
        return results

    def _module(self, path: str) -> str:
        return path[len(self.package) + 1 : -len(".py")]

    def _affected(
        self, cases: list[Case], current: dict[str, str], changed: set[str]
    ) -> list[Case]:
        """The cases whose module reaches a changed module (every case, where an open module
        may reach any)."""
        graph = {}
        for path, digest in current.items():
            if digest not in self._imports:
                try:
                    source = self.box.read_file(path)
                except (OSError, ValueError, SandboxError):  # unreadable: it may reach any
                    self._imports[digest] = ModuleImports(frozenset(), open=True)
                else:
                    self._imports[digest] = read_imports(source, self.package)
            graph[self._module(path)] = self._imports[digest]
        reached: dict[str, set[str] | None] = {}
        affected = []
        for case in cases:
            if case.module not in reached:
                reached[case.module] = reach(graph, case.module)
            modules = reached[case.module]
            if modules is None or modules & changed:
                affected.append(case)
        return affected

    def _evaluate(
        self, cases: list[Case], sources: list[str], patches: dict[str, str]
    ) -> tuple[Results, str]:
        self.evaluations += 1
        self.cases_run += len(cases)
        self.counterfactuals += bool(patches)
        job = {
            "package": self.package,
            "cases": [
                {"id": c.id, "module": c.module, "function": c.function, "args": c.args}
                for c in cases
            ],
            "patches": patches,
        }
        run = self.box.run_isolated(
            self.timeout,
            mode="python",
            zygote=ZYGOTE_SOURCE,
            runner=RUNNER_SOURCE,
            preload=list(PRELOAD),
            workspace=sources,
            job=job,
        )
        wanted = {c.id for c in cases}
        reported = "it overflowed" if run.overflow else read_channel(run.channel, wanted)
        if isinstance(reported, str):
            why = f"the result channel cannot be trusted: {reported}"
            return {c.id: (False, why) for c in cases}, reported
        missing = (
            f"no result: the evaluation timed out after {self.timeout:g}s"
            if run.timed_out
            else f"no result: the evaluation ended (exit code {run.exit_code}) before this case"
        )
        results: Results = {}
        for case in cases:
            if case.id not in reported:
                results[case.id] = (False, missing)
                continue
            status, value = reported[case.id]
            if status == "error":
                results[case.id] = (False, str(value)[:300])
            elif same(value, case.expected):
                results[case.id] = (True, "")
            else:
                detail = f"returned {value!r}, expected {case.expected!r}"
                results[case.id] = (False, detail[:300])
        return results, ""
