"""The host side of a generated repository's hidden tests: the verdict is computed here.

The agent's code runs in an isolated evaluation (:meth:`Sandbox.run_isolated`): a fresh child
of a grading zygote, confined to a grader-private copy of the package's ``.py`` files (never
the workspace, so planted bytecode, ``.pth`` files and modules named like the standard
library's are not loaded), as the grading user, with bytecode off. It receives only the
calls to make and reports what they returned, one line per case, through its result channel.
This module compares those values with the expected ones, which never leave the host; a
channel that is garbled, forged twice over or cut short fails every case it should have
answered. Results are kept per content of the package's sources, so a step that changes no
source costs no evaluation.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from pathlib import Path
from typing import Any

from undertow.envs.repo.generator import Case
from undertow.envs.repo.sandboxed import case_runner
from undertow.envs.sandbox import Manifest, Sandbox
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
        self._cache: OrderedDict[str, tuple[Results, str]] = OrderedDict()

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
        self, cases: list[Case], manifest: Manifest, patches: dict[str, str] | None = None
    ) -> Results:
        """Case id -> (passed, detail) for the workspace as ``manifest`` describes it."""
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
        return results

    def _evaluate(
        self, cases: list[Case], sources: list[str], patches: dict[str, str]
    ) -> tuple[Results, str]:
        self.evaluations += 1
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
