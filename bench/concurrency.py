"""Concurrency benchmark: LLM-agent episodes against the fake model server at 500 ms a reply.

A react agent plays helpdesk episodes of 4 model calls each (~2 s of waiting); the runner plays
them 1, 2, 4, ... 64 at a time, two waves per level. Throughput should grow near-linearly with
parallelism until the CPU (litellm's and the harness's own work, 2 cores here) is the limit.
Prints the curve (steps/s, speed-up, efficiency, CPU use), then, as the last line, one JSON
object.

    python bench/concurrency.py [--levels 1,2,4,8,16,32,64] [--latency 0.5]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from rich.console import Console
from rich.table import Table

from undertow.agents.fake_server import FakeLLMServer, Reply, by_turn
from undertow.record.store import RunStore
from undertow.scenarios.runner import run_episodes
from undertow.scenarios.suite import expand, parse_suite

SCRIPT = [
    Reply(tool="list_queue", args={}),
    Reply(tool="search_policy", args={"query": "refund"}),
    Reply(tool="list_queue", args={}),
    Reply(tool="finish", args={"confidence": 0.5}),
]


def suite_text(api_base: str, episodes: int) -> str:
    return f"""
name: concurrency
scenarios:
  - name: helpdesk
    env: undertow/Helpdesk-v0
    options: {{days: 1, tickets_per_day: 5}}
    limits: {{max_steps: 8}}
agents:
  - {{id: react, options: {{model: openai/fake, api_base: "{api_base}", timeout: 30}}}}
seeds: {{public: 0-{episodes - 1}}}
"""


def level(parallel: int, latency: float, scratch: Path) -> dict[str, float]:
    with FakeLLMServer(by_turn(SCRIPT), latency=latency) as server:  # 4 calls each
        text = suite_text(server.url, 2 * parallel)
        suite = parse_suite(text, "bench")
        episodes = expand(suite)
        store = RunStore.create(scratch / f"p{parallel}", text, suite.model_dump(), len(episodes))
        cpu, wall = time.process_time(), time.perf_counter()
        result = run_episodes(episodes, store, parallel=parallel)
        wall = time.perf_counter() - wall
        cpu = time.process_time() - cpu
    steps = sum(len(t.steps) for t in store.trajectories())
    return {
        "parallel": parallel,
        "episodes": len(episodes),
        "errored": result.errored,
        "steps": steps,
        "seconds": wall,
        "steps_per_s": steps / wall,
        "cpu_share": cpu / wall / (os.cpu_count() or 1),
        "peak_in_flight": server.log.peak_in_flight,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="1,2,4,8,16,32,64")
    parser.add_argument("--latency", type=float, default=0.5)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        level(1, args.latency, Path(scratch) / "warm-up")  # imports and first-call setup
        for parallel in (int(n) for n in args.levels.split(",")):
            rows.append(level(parallel, args.latency, Path(scratch)))
    base = rows[0]["steps_per_s"] / rows[0]["parallel"]
    for row in rows:
        row["speedup"] = row["steps_per_s"] / (base * rows[0]["parallel"])
        row["efficiency"] = row["steps_per_s"] / (base * row["parallel"])
    table = Table(title=f"Throughput against a {args.latency * 1000:.0f} ms model")
    for column in (
        "parallel",
        "episodes",
        "errored",
        "steps/s",
        "speed-up",
        "efficiency",
        "CPU",
        "peak in flight",
    ):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(
            str(row["parallel"]),
            str(row["episodes"]),
            str(row["errored"]),
            f"{row['steps_per_s']:.1f}",
            f"{row['speedup']:.1f}x",
            f"{row['efficiency']:.0%}",
            f"{row['cpu_share']:.0%}",
            str(row["peak_in_flight"]),
        )
    Console().print(table)
    print(json.dumps({"bench": "concurrency", "latency_s": args.latency, "rows": rows}))


if __name__ == "__main__":
    main()
