"""The package import graph that decides which hidden cases a change can affect."""

from __future__ import annotations

import pytest

from undertow.envs.repo.imports import INIT, ModuleImports, reach, read_imports


@pytest.mark.parametrize(
    ("source", "imports"),
    [
        ("from pkg import money, days\n", {INIT, "money", "days"}),
        ("import pkg.money\nimport pkg.tax as t\n", {"money", "tax"}),
        ("from pkg.money import cents\n", {"money"}),
        ("from . import money\nfrom .tax import rate\n", {INIT, "money", "tax"}),
        ("import json\nfrom decimal import Decimal\n", set()),
        ("def f():\n    from pkg import late\n    return late.x\n", {INIT, "late"}),
    ],
)
def test_imports_are_read_from_the_source(source: str, imports: set[str]) -> None:
    assert read_imports(source, "pkg") == ModuleImports(frozenset(imports), open=False)


@pytest.mark.parametrize(
    "source",
    [
        "import importlib\nm = importlib.import_module('pkg.' + 'tax')\n",
        "m = __import__('pkg.tax')\n",
        "exec(open('pkg/tax.py').read())\n",
        "import sys\nm = sys.modules['pkg.tax']\n",
        "import pkg\nf = getattr(pkg, 'tax')\n",
        "def broken(:\n",
        "from .. import elsewhere\n",
    ],
)
def test_source_that_can_reach_any_module_is_open(source: str) -> None:
    assert read_imports(source, "pkg").open


def test_reach_follows_imports_through_init_and_stops_at_nothing_open() -> None:
    graph = {
        INIT: ModuleImports(frozenset(), open=False),
        "invoices": read_imports("from pkg import money, tax\n", "pkg"),
        "tax": read_imports("from pkg import money\n", "pkg"),
        "money": read_imports("", "pkg"),
        "days": read_imports("", "pkg"),
    }
    assert reach(graph, "invoices") == {INIT, "invoices", "money", "tax"}
    assert reach(graph, "days") == {INIT, "days"}
    graph["money"] = read_imports("import importlib\n", "pkg")
    assert reach(graph, "invoices") is None  # an open module on the way: it may reach any
    assert reach(graph, "days") == {INIT, "days"}


@pytest.mark.parametrize(
    "source",
    ["from importlib import import_module\n", "import runpy\n", "from sys import modules\n"],
)
def test_importing_a_way_around_imports_is_open(source: str) -> None:
    assert read_imports(source, "pkg").open
