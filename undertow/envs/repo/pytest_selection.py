"""Which test files of a repository a change can affect: the Python import graph of its tree.

Each ``.py`` file's imports are read with :mod:`ast` (absolute, and relative ones resolved
against the file's package). A dotted name stands for every file whose dotted path ends
with it (``isodate.duration`` is ``src/isodate/duration.py`` whatever the layout), and
importing a module imports its packages' ``__init__`` files too: an over-approximation, so
a test file is never wrongly left out. A test file is affected when it reaches a changed
file. Changes the graph cannot place answer None (run everything): any file that is not a
``.py`` module (data, configuration), a ``conftest.py``, a file whose source could reach
modules another way (see :data:`undertow.envs.repo.imports.OPEN_NAMES`) or does not parse.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping

from undertow.envs.repo.imports import OPEN_NAMES


def dotted(path: str) -> str:
    """``src/pkg/mod.py`` -> ``src.pkg.mod``; ``pkg/__init__.py`` -> ``pkg``."""
    parts = path[: -len(".py")].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def file_imports(path: str, source: str) -> set[str] | None:
    """The dotted names a file imports (each with its parents), or None when it is open."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    package = path.split("/")[:-1]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in OPEN_NAMES:
            return None
        if isinstance(node, ast.Attribute) and node.attr in OPEN_NAMES:
            return None
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                if node.level - 1 > len(package):
                    return None
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    if any(name.split(".")[0] in OPEN_NAMES for name in names):
        return None
    found: set[str] = set()
    for name in names:
        parts = name.split(".")
        found.update(".".join(parts[: i + 1]) for i in range(len(parts)) if parts[0])
    return found


class ImportGraph:
    """The import graph of a tree's Python files (path -> source)."""

    def __init__(self, sources: Mapping[str, str]) -> None:
        self.by_name: dict[str, set[str]] = {}
        for path in sources:
            parts = dotted(path).split(".")
            for start in range(len(parts)):
                self.by_name.setdefault(".".join(parts[start:]), set()).add(path)
        self.edges: dict[str, set[str] | None] = {}
        for path, source in sources.items():
            imported = file_imports(path, source)
            self.edges[path] = (
                None
                if imported is None
                else {target for name in imported for target in self.by_name.get(name, ())}
            )

    def reach(self, path: str) -> set[str] | None:
        """Every file ``path`` reaches by import (itself included), or None when an open
        file on the way may reach any."""
        seen: set[str] = set()
        todo = [path]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            edges = self.edges.get(current, set())
            if edges is None:
                return None
            todo += edges
        return seen


def affected_tests(
    graph: ImportGraph, tests: Iterable[str], changed: Iterable[str]
) -> set[str] | None:
    """The test files a change to ``changed`` can affect, or None: run them all."""
    changed = set(changed)
    if any(not p.endswith(".py") or p.rsplit("/", 1)[-1] == "conftest.py" for p in changed):
        return None
    affected = set()
    for test in tests:
        reached = graph.reach(test)
        if reached is None:
            return None
        if reached & changed:
            affected.add(test)
    return affected
