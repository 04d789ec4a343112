"""`undertow score` as a user meets it: n in worlds, no verdict from one pair of episodes."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import run_undertow

ONE_WORLD = """
name: one-pair
scenarios:
  - name: desk
    env: undertow/Helpdesk-v0
    options: {days: 1, tickets_per_day: 4}
agents: [oracle, noop]
seeds: {public: 0}
"""


def test_a_run_of_one_pair_calls_no_difference(tmp_path: Path) -> None:
    """Oracle against noop in one world: every paired figure is +1 or -1 with nothing behind
    it. The old output called it ("+1.00 [+1.00, +1.00]"); now it says why it cannot."""
    suite = tmp_path / "one.yaml"
    suite.write_text(ONE_WORLD)
    out = tmp_path / "run"
    ran = run_undertow("run", str(suite), "--out", str(out))
    assert ran.returncode == 0, ran.stderr
    scored = run_undertow("score", str(out))
    assert scored.returncode == 0, scored.stderr
    assert "not enough worlds (1 < 10)" in scored.stdout
    assert "higher" not in scored.stdout
    assert "0 differences tested" in " ".join(scored.stdout.split())
    scores = json.loads((out / "scores.json").read_text())
    (comparison,) = scores["comparisons"]
    assert comparison["worlds"] == 1
    for metric, difference in comparison["metrics"].items():
        assert not difference["called"], metric
        assert difference["low"] is None and difference["high"] is None, metric
    success = comparison["metrics"]["success"]
    assert comparison["a"] == "noop" and success["value"] == -1.0
    oracle = scores["agents"]["oracle"]["public"]
    assert oracle["worlds"] == 1 and oracle["outcome"]["worlds"] == 1


def test_the_agent_table_gives_worlds_and_says_not_estimable(tmp_path: Path) -> None:
    suite = tmp_path / "one.yaml"
    suite.write_text(ONE_WORLD.replace("seeds: {public: 0}", "seeds: {public: 0-2}"))
    out = tmp_path / "run"
    assert run_undertow("run", str(suite), "--out", str(out)).returncode == 0
    scored = run_undertow("score", str(out))
    rows = {
        line.split()[0]: line
        for line in scored.stdout.splitlines()
        if line[:5] in ("oracl", "noop ") and " public " in line
    }
    assert rows["oracle"].split()[1:3] == ["public", "3"]  # three independent worlds
    assert "not estimable" in rows["oracle"]  # it never erred: no first-error median
    assert "not estimable" in rows["noop"]  # it attempted nothing: no cascade depth
