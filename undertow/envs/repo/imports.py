"""Which modules of a flat package a module can reach by import: what a change can affect.

A module's imports are read from its source with :mod:`ast` (``import pkg.x``, ``from pkg
import x``, ``from pkg.x import f``, ``from . import x``, ``from .x import f``). Source that
could reach modules another way — ``importlib``, ``__import__``, ``exec``/``eval``/
``compile``, ``open``, ``sys.modules``, ``globals``/``vars``/``getattr`` on a module, or
source that does not parse — is *open*: it may depend on every module. Every module depends
on the package's ``__init__``, which any import of it runs first.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

INIT = "__init__"
OPEN_NAMES = frozenset(
    {
        "importlib",
        "__import__",
        "exec",
        "eval",
        "compile",
        "open",
        "modules",
        "globals",
        "locals",
        "vars",
        "getattr",
        "__dict__",
        "pkgutil",
        "runpy",
        "__loader__",
        "__spec__",
    }
)


@dataclass(frozen=True)
class ModuleImports:
    """The package modules one module imports directly, or ``open`` when it may reach any."""

    imports: frozenset[str]
    open: bool


def read_imports(source: str, package: str) -> ModuleImports:
    """The package modules ``source`` imports (module names without the package)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return ModuleImports(frozenset(), open=True)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in OPEN_NAMES:
            return ModuleImports(frozenset(), open=True)
        if isinstance(node, ast.Attribute) and node.attr in OPEN_NAMES:
            return ModuleImports(frozenset(), open=True)
        if isinstance(node, ast.Import):
            for alias in node.names:
                head, _, rest = alias.name.partition(".")
                if head in OPEN_NAMES:
                    return ModuleImports(frozenset(), open=True)
                if head == package:
                    found.add(rest.partition(".")[0] or INIT)
        elif isinstance(node, ast.ImportFrom):
            if (node.module or "").partition(".")[0] in OPEN_NAMES or any(
                alias.name in OPEN_NAMES for alias in node.names
            ):
                return ModuleImports(frozenset(), open=True)
            inside = (node.level == 1 and not node.module) or node.module == package
            if inside:  # from pkg import x / from . import x: x may be a module or a name
                found.add(INIT)
                found.update(alias.name for alias in node.names)
            elif node.level == 1 and node.module:
                found.add(node.module.partition(".")[0])
            elif node.module and node.module.partition(".")[0] == package:
                found.add(node.module.split(".")[1])
            elif node.level > 1:
                return ModuleImports(frozenset(), open=True)
    return ModuleImports(frozenset(found), open=False)


def reach(graph: dict[str, ModuleImports], module: str) -> set[str] | None:
    """Every module ``module`` reaches by import (itself and ``__init__`` included), or None
    when an open module on the way may reach any."""
    seen: set[str] = set()
    todo = [module, INIT]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        imports = graph.get(name)
        if imports is None:
            continue  # a name that is no module of the package, or a module not there
        if imports.open:
            return None
        todo += imports.imports
    return seen
