"""The hidden-case runner: every case on fresh arguments and fresh module tables."""

from __future__ import annotations

import types
from typing import Any

from undertow.envs.repo.sandboxed.case_runner import call_cases, normalise

SOURCE = """
RATES = {"north": 5}
SEEN = []
TAGS = {"a"}

def spend(lines):
    lines.append(["extra", 1])
    RATES["north"] = 99
    SEEN.append(len(lines))
    TAGS.add("b")
    return [RATES["north"], len(lines), sorted(TAGS), len(SEEN)]

def rate():
    return [RATES["north"], list(SEEN), sorted(TAGS)]

def pair():
    return (1, {"k": (2, 3)}, object)

def forever():
    while True:
        pass
"""


def module() -> types.ModuleType:
    made = types.ModuleType("shop")
    exec(SOURCE, made.__dict__)
    return made


def case(id: str, function: str, *args: Any) -> dict[str, Any]:
    return {"id": id, "module": "shop", "function": function, "args": list(args)}


def test_a_case_that_changes_its_arguments_or_the_tables_leaves_the_next_case_untouched() -> None:
    shop = module()
    lines = [["A1", 2]]
    outcomes = call_cases(
        {"shop": shop},
        [case("1", "spend", lines), case("2", "spend", lines), case("3", "rate")],
    )
    assert outcomes["1"] == ("ok", [99, 2, ["a", "b"], 1])
    assert outcomes["2"] == outcomes["1"]  # fresh arguments and tables: the same again
    assert outcomes["3"] == ("ok", [5, [], ["a"]])
    assert lines == [["A1", 2]]  # the job's own arguments are never changed
    tables = {name: vars(shop)[name] for name in ("RATES", "SEEN", "TAGS")}
    assert tables == {"RATES": {"north": 5}, "SEEN": [], "TAGS": {"a"}}


def test_outcomes_are_what_json_would_carry() -> None:
    outcomes = call_cases({"shop": module()}, [case("1", "pair")])
    assert outcomes["1"] == ("ok", [1, {"k": [2, 3]}, "<class 'object'>"])
    assert [normalise(v) for v in ("x", 3, 2.5, True, None)] == ["x", 3, 2.5, True, None]


def test_a_case_that_never_returns_times_out_and_the_next_one_runs() -> None:
    outcomes = call_cases({"shop": module()}, [case("1", "forever"), case("2", "rate")])
    assert outcomes["1"] == ("error", "did not return within 2s")
    assert outcomes["2"] == ("ok", [5, [], ["a"]])
