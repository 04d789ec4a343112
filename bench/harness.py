"""Harness benchmark: the runner's cost per step as episodes get long.

A scripted agent loops over cheap actions for exactly N steps (helpdesk; the repository env in
the local sandbox), through the real runner. The harness cost of a step is everything but the
agent's own thinking: the env's step, its probes and ledger, recording the step, the loop
(from one step's start to the next, minus the agent's time). Episode-level costs (reset,
verify, storing the trajectory) are reported apart, per step. The issue's bar: the per-step
cost at 5,000 steps within 1.5x of it at 50 steps, and a few milliseconds. Prints a table, then,
as the last line, one JSON object.

    python bench/harness.py [--lengths 50,500,5000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from undertow.record import Trajectory, Usage
from undertow.record.store import RunStore
from undertow.scenarios.runner import run_episode
from undertow.scenarios.suite import expand, parse_suite

FLATNESS_TARGET = 1.5
LOOPS = {
    "helpdesk": (
        "undertow/Helpdesk-v0",
        {},
        [
            {"tool": "list_queue", "args": {}},
            {"tool": "search_policy", "args": {"query": "refund window"}},
            {"tool": "lookup_customer", "args": {"query": "C0001"}},
            {"tool": "reply", "args": {"ticket_id": "T0001", "message": "We are on it."}},
        ],
    ),
    "repo-local": (
        "undertow/Repo-v0",
        {"sandbox": "local", "tickets": 2},
        [
            {"tool": "list_files", "args": {}},
            {"tool": "read_file", "args": {"path": "README.md"}},
        ],
    ),
}


class LoopingAgent:
    """Repeats a fixed cycle of actions forever; the runner's step limit ends the episode."""

    name = "looping"
    needs_plan = False

    def __init__(self, cycle: list[dict[str, Any]]) -> None:
        self.cycle = cycle
        self.count = 0

    def reset(self, task: str, tools: list, seed: int, plan: Any = None) -> None:
        self.count = 0

    def act(self, observation: dict) -> dict[str, Any]:
        action = self.cycle[self.count % len(self.cycle)]
        self.count += 1
        return action

    def last_usage(self) -> Usage:
        return Usage()


def episode_for(family: str, steps: int) -> Any:
    env_id, options, _ = LOOPS[family]
    text = (
        f"name: harness\nscenarios:\n  - name: {family}\n    env: {env_id}\n"
        f"    options: {json.dumps(options)}\n    limits: {{max_steps: {steps}}}\n"
        "agents: [noop]\nseeds: {public: [0]}\n"
    )
    return expand(parse_suite(text, "bench"))[0]


def loop_costs(trajectory: Trajectory) -> list[float]:
    """Seconds of harness time per step: start to next start, minus the agent's thinking."""
    steps = trajectory.steps
    return [
        steps[i + 1].started_at - steps[i].started_at - steps[i].agent_seconds
        for i in range(len(steps) - 1)
    ]


def measure(family: str, steps: int, directory: Path) -> dict[str, Any]:
    episode = episode_for(family, steps)
    agent = LoopingAgent(LOOPS[family][2])
    started = time.perf_counter()
    trajectory = run_episode(episode, agent)
    wall = time.perf_counter() - started
    assert len(trajectory.steps) == steps, trajectory.error
    store = RunStore.create(directory / f"{family}-{steps}", "bench", {"seeds": {}}, 1)
    appended = time.perf_counter()
    store.append(trajectory)
    store_seconds = time.perf_counter() - appended
    costs = loop_costs(trajectory)
    tenth = max(1, len(costs) // 10)
    agent_seconds = sum(step.agent_seconds for step in trajectory.steps)
    return {
        "family": family,
        "steps": steps,
        "step_ms": 1000 * statistics.fmean(costs),
        "first_tenth_ms": 1000 * statistics.fmean(costs[:tenth]),
        "last_tenth_ms": 1000 * statistics.fmean(costs[-tenth:]),
        "episode_ms_per_step": 1000 * (wall - agent_seconds + store_seconds) / steps,
        "store_ms": 1000 * store_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", default="50,500,5000")
    args = parser.parse_args()
    lengths = [int(n) for n in args.lengths.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for family in LOOPS:
            for steps in lengths:
                rows.append(measure(family, steps, Path(scratch)))
    table = Table(title="Harness cost per step (agent excluded)")
    for column in ("family", "steps", "ms/step", "first 10%", "last 10%", "with episode"):
        table.add_column(column, justify="left" if column == "family" else "right")
    for row in rows:
        table.add_row(
            row["family"],
            str(row["steps"]),
            f"{row['step_ms']:.3f}",
            f"{row['first_tenth_ms']:.3f}",
            f"{row['last_tenth_ms']:.3f}",
            f"{row['episode_ms_per_step']:.3f}",
        )
    console = Console()
    console.print(table)
    ratios = {}
    for family in LOOPS:
        by_length = {r["steps"]: r for r in rows if r["family"] == family}
        longest, shortest = by_length[max(lengths)], by_length[min(lengths)]
        ratio = longest["step_ms"] / shortest["step_ms"]
        ratios[family] = round(ratio, 3)
        console.print(
            f"{family}: {longest['step_ms']:.3f} ms/step at {max(lengths)} steps = {ratio:.2f}x "
            f"its cost at {min(lengths)} (bar: <= {FLATNESS_TARGET}x)"
        )
    print(
        json.dumps({"bench": "harness", "rows": rows, "ratios": ratios, "target": FLATNESS_TARGET})
    )


if __name__ == "__main__":
    main()
