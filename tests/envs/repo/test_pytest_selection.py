"""Which test files a change can affect, from a repository tree's import graph."""

from __future__ import annotations

from undertow.envs.repo.pytest_selection import ImportGraph, affected_tests, dotted, file_imports

TREE = {
    "src/lib/__init__.py": "from lib.core import run\n",
    "src/lib/core.py": "from . import util\n",
    "src/lib/util.py": "",
    "src/lib/extra.py": "import json\n",
    "tests/test_core.py": "import lib\n",
    "tests/test_extra.py": "from lib.extra import thing\n",
    "tests/test_alone.py": "import os\n",
}
TESTS = ["tests/test_core.py", "tests/test_extra.py", "tests/test_alone.py"]


def test_dotted_names() -> None:
    assert dotted("src/lib/core.py") == "src.lib.core"
    assert dotted("src/lib/__init__.py") == "src.lib"


def test_relative_imports_resolve_against_the_package() -> None:
    assert file_imports("src/lib/core.py", "from . import util\nfrom .x import y\n") == {
        "src",
        "src.lib",
        "src.lib.util",
        "src.lib.x",
        "src.lib.x.y",
    }
    assert file_imports("a.py", "from ... import far\n") is None


def test_a_change_affects_the_tests_that_reach_it_whatever_the_layout() -> None:
    graph = ImportGraph(TREE)
    assert affected_tests(graph, TESTS, ["src/lib/util.py"]) == {
        "tests/test_core.py",
        "tests/test_extra.py",  # lib.extra imports the package's __init__, which reaches util
    }
    assert affected_tests(graph, TESTS, ["src/lib/extra.py"]) == {"tests/test_extra.py"}
    assert affected_tests(graph, TESTS, ["scratch.py"]) == set()


def test_what_the_graph_cannot_place_runs_everything() -> None:
    graph = ImportGraph(TREE)
    assert affected_tests(graph, TESTS, ["setup.cfg"]) is None
    assert affected_tests(graph, TESTS, ["tests/conftest.py"]) is None
    opened = ImportGraph({**TREE, "src/lib/util.py": "import importlib\n"})
    assert affected_tests(opened, TESTS, ["src/lib/extra.py"]) is None
    broken = ImportGraph({**TREE, "src/lib/core.py": "def (:\n"})
    assert affected_tests(broken, TESTS, ["src/lib/extra.py"]) is None
