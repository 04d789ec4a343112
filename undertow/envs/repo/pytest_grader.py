"""The host side of a bring-your-own repository's grading: pytest outside the workspace.

Each evaluation runs in a tree the sandbox builds apart from the workspace: the repository as
it was at the start (hard links from the grader's private store), the hidden tests, the
reporter plugin, and over them the agent's changed files — except tests, hidden-test paths,
caches, bytecode, path hooks and special files, which never reach a grader. pytest runs there
as the grading user with the cache provider off, plugin autoloading off and bytecode off;
per-test outcomes come from the reporter (:mod:`undertow.envs.repo.sandboxed.pytest_reporter`) on a
channel of its own, not from an exit code, and each task's expected tests (its hidden files'
``test_*`` functions and ``Test*`` methods, read from their source) must all have run and
passed. The hidden tests still run in the same process as the agent's code, as pytest does:
that process cannot write anywhere the agent can read afterwards, but code written to
subvert pytest from within could still forge its reports (see docs/grading-and-containment.md).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from undertow.envs.sandbox import IsolatedRun, Sandbox, SandboxUnavailable

PLUGIN_FOLDER = ".undertow"
"""Where the reporter sits in an evaluation's tree (agent files there are never copied)."""
PLUGIN_SOURCE = (Path(__file__).parent / "sandboxed" / "pytest_reporter.py").read_text()
DETAIL_CHARACTERS = 1500
"""How much of a failing test's account a report keeps."""
PYTEST_ARGS = (
    "-P",  # the tree's own modules cannot stand in for pytest or its plugins at start-up
    "-B",
    "-m",
    "pytest",
    "-p",
    "no:cacheprovider",
    "-p",
    "pytest_reporter",
    "-q",
    "-o",
    "addopts=",
    "--rootdir=.",
)


def expected_tests(dest: str, source: str) -> list[str]:
    """The node ids (without parameters) pytest collects from a hidden test file."""
    try:
        module = ast.parse(source)
    except SyntaxError as exc:
        raise ValueError(f"hidden test {dest} does not parse: {exc}") from None
    found = []
    for node in module.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test"
        ):
            found.append(f"{dest}::{node.name}")
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            found += [
                f"{dest}::{node.name}::{item.name}"
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                and item.name.startswith("test")
            ]
    return found


@dataclass
class SessionReport:
    """What the reporter said: per node id (parameters stripped), passed or not."""

    passed: dict[str, bool] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    """Per failing node id (parameters stripped): pytest's account of why, as reported."""
    problem: str = ""
    """Why nothing in the report can be trusted (then ``passed`` is empty)."""
    forged: bool = False
    """True when the channel holds what the reporter never writes (the agent's code did)."""

    def ok(self, nodeid: str) -> bool:
        return self.passed.get(nodeid, False)


def read_report(run: IsolatedRun) -> SessionReport:
    """Parse the reporter's channel; a cut, garbled or overflowing channel trusts nothing."""
    if run.overflow:
        return SessionReport(problem="the reporter's channel overflowed", forged=True)
    good: set[str] = set()
    bad: set[str] = set()
    failures: dict[str, str] = {}
    calls: set[str] = set()
    finished = False
    try:
        lines = run.channel.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return SessionReport(problem="the reporter's channel is not UTF-8", forged=True)
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
        except ValueError:
            return SessionReport(
                problem=f"line {number} of the reporter's channel is not JSON", forged=True
            )
        if not isinstance(record, dict):
            return SessionReport(
                problem=f"line {number} of the reporter's channel is no record", forged=True
            )
        if "finished" in record:
            finished = True
            continue
        nodeid, when, outcome = record.get("nodeid"), record.get("when"), record.get("outcome")
        if not isinstance(nodeid, str) or not isinstance(outcome, str):
            return SessionReport(
                problem=f"line {number} of the reporter's channel is no record", forged=True
            )
        base = nodeid.split("[", 1)[0]
        if when == "call":
            if nodeid in calls:
                return SessionReport(problem=f"test {nodeid} was reported twice", forged=True)
            calls.add(nodeid)
        (good if when == "call" and outcome == "passed" else bad).add(base)
        detail = record.get("detail")
        if isinstance(detail, str) and base not in failures:
            failures[base] = detail[-DETAIL_CHARACTERS:]
    if not finished:
        why = "timed out" if run.timed_out else f"ended with exit code {run.exit_code}"
        return SessionReport(problem=f"the test session did not finish (it {why})")
    return SessionReport(
        passed={base: base in good and base not in bad for base in good | bad},
        failures=failures,
    )


def grader_python_path(box: Sandbox) -> str:
    """PYTHONPATH for the grading run: the reporter, and on the local backend the host's
    pytest (the sandbox's users may not reach the interpreter Undertow runs in)."""
    paths = [PLUGIN_FOLDER]
    spec = importlib.util.find_spec("pytest")
    if box.backend == "local" and spec is not None and spec.origin:
        site = os.path.dirname(os.path.dirname(os.path.abspath(spec.origin)))
        if getattr(box, "user", None) is not None and (blocked := closed_to_others(site)):
            raise SandboxUnavailable(
                f"the local sandbox grades as another user, who cannot reach this Python's "
                f"packages in {site}: {blocked}. Make it readable to other users (chmod o+rx), "
                "install Undertow somewhere they can reach, or use the docker backend"
            )
        paths.append(site)
    return os.pathsep.join(paths)


def closed_to_others(path: str) -> str | None:
    """Why a user other than its owner cannot list ``path`` (None: it can)."""
    real = os.path.realpath(path)
    parts = real.split(os.sep)
    for depth in range(2, len(parts) + 1):
        folder = os.sep.join(parts[:depth]) or os.sep
        try:
            mode = os.stat(folder).st_mode
        except OSError as exc:
            return f"{folder} cannot be read ({exc.strerror})"
        needed = stat.S_IXOTH | (stat.S_IROTH if folder == real else 0)
        if mode & needed != needed:
            return f"{folder} has mode {stat.S_IMODE(mode):04o}"
    return None
