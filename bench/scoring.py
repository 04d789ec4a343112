"""Scoring benchmark: parse and score N synthetic trajectories of S steps each.

The trajectories are shaped like real ones (actions, observations, probes, usage, a ledger
with causal links and omissions, claims, outcomes; the current schema, checked against the
record model), for 4 agents on worlds of three difficulties, original and perturbed, so every
metric family is exercised: the cluster-bootstrap intervals, the fits and the pairwise
comparisons included. Prints a table, then, as the last line, one JSON object.

    python bench/scoring.py [--episodes 10000] [--steps 200]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time

from rich.console import Console
from rich.table import Table

from undertow.record import Trajectory
from undertow.scoring.score import score_views
from undertow.scoring.view import EpisodeView

AGENTS = ("oracle", "sloppy", "overconfident", "noop")
TARGET_SECONDS = 30.0


def synthetic(index: int, steps: int, rng: random.Random) -> str:
    agent = AGENTS[index % len(AGENTS)]
    world = index // len(AGENTS)
    seed, difficulty, perturbed = world // 6, world % 3, world % 6 >= 3
    errors = 0 if agent == "oracle" else rng.randint(0, 5)
    ledger = []
    for number in range(errors):
        parents = [f"E{p + 1}" for p in range(number) if rng.random() < 0.3]
        step = min(steps - 1, 10 * (number + 1) + rng.randint(0, 9))
        resolved = step + rng.randint(1, 20) if rng.random() < 0.3 else None
        ledger.append(
            {
                "id": f"E{number + 1}",
                "step": step,
                "kind": "wrong_fix",
                "role": "wrong_work",
                "severity": "high",
                "object": f"T{number}",
                "caused_by": parents,
                "resolved_at": resolved,
                "exposed_at": None,
                "detail": "",
            }
        )
    if agent == "noop":
        ledger = [
            {"id": f"O{t}", "step": steps - 1, "kind": "unfinished_task", "role": "omission",
             "severity": "medium", "object": f"T{t}", "caused_by": [], "resolved_at": None,
             "exposed_at": None, "detail": ""}
            for t in range(8)
        ]  # fmt: skip
    success = errors == 0 and agent != "noop"
    confidence = 1.0 if agent == "overconfident" else round(rng.uniform(0.5, 0.95), 2)
    tickets = [
        {"id": f"T{t}", "success": t >= errors, "score": float(t >= errors), "detail": ""}
        for t in range(8)
    ]
    record = {
        "schema_version": 2,
        "key": {
            "scenario": "repo",
            "variant": f"d{difficulty}" + ("-perturbed" if perturbed else ""),
            "seed": seed,
            "agent": agent,
            "trial": 0,
        },
        "episode": {
            "env": "undertow/Repo-v0",
            "options": {"difficulty": difficulty, **({"perturb": True} if perturbed else {})},
            "held_out": seed % 10 == 9,
            "perturbed": perturbed,
            "difficulty": difficulty,
        },
        "task": "Fix the sprint.",
        "steps": [
            {
                "index": s,
                "action": {
                    "tool": "read_file",
                    "args": {"path": "pkg/units.py"},
                    "confidence": None,
                    "actor": None,
                },
                "raw_action": None,
                "observation": "def clamp(value, low, high): ..." * 3,
                "observation_fields": {"ok": True},
                "reward": 0.0,
                "terminated": s == steps - 1,
                "truncated": False,
                "probes": {"tickets_passing": s % 8, "open_errors": 0},
                "ledger": [],
                "started_at": 0.0,
                "agent_seconds": 0.01,
                "env_seconds": 0.01,
                "usage": {
                    "prompt_tokens": 900,
                    "completion_tokens": 60,
                    "cost_usd": 0.001,
                    "retries": 0,
                },
                "extra": {},
            }
            for s in range(steps)
        ],
        "ledger": ledger,
        "claims": [
            {
                "step": steps - 1,
                "subject": "episode",
                "kind": "success",
                "value": True,
                "confidence": confidence,
                "text": "",
            }
        ]
        + [
            {
                "step": 5 * t,
                "subject": f"T{t}",
                "kind": "success",
                "value": True,
                "confidence": confidence,
                "text": "",
            }
            for t in range(8)
        ],
        "outcome": {
            "success": success,
            "score": sum(t["score"] for t in tickets) / 8,
            "subtasks": tickets,
            "detail": {},
        },
        "status": "completed",
        "error": None,
        "started_at": 0.0,
        "ended_at": 60.0,
        "metadata": {},
        "artifacts": {},
    }
    return json.dumps(record)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(0)
    console = Console()
    with console.status("generating synthetic trajectories"):
        records = [synthetic(i, args.steps, rng) for i in range(args.episodes)]
    for record in records[: len(AGENTS)]:  # the shape is the record's: validated once per agent
        Trajectory.model_validate_json(record)
    megabytes = sum(map(len, records)) / 1e6
    started, cpu = time.perf_counter(), time.process_time()
    views = [EpisodeView.from_dict(json.loads(record)) for record in records]
    parse_seconds = time.perf_counter() - started
    parse_cpu = time.process_time() - cpu
    started, cpu = time.perf_counter(), time.process_time()
    scores = score_views(views)
    score_seconds = time.perf_counter() - started
    score_cpu = time.process_time() - cpu  # the load of a shared machine moves this less
    total = parse_seconds + score_seconds
    table = Table(
        "measure", "value", title=f"Scoring {args.episodes} x {args.steps}-step trajectories"
    )
    table.add_row("JSON size", f"{megabytes:.0f} MB")
    table.add_row("parse into views", f"{parse_seconds:.2f} s ({parse_cpu:.2f} s CPU)")
    table.add_row(
        "score (all metrics, 6 comparisons)", f"{score_seconds:.2f} s ({score_cpu:.2f} s CPU)"
    )
    table.add_row("load average (1 min)", f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    table.add_row("total", f"{total:.2f} s")
    table.add_row("target", f"< {TARGET_SECONDS:.0f} s ({total / TARGET_SECONDS:.2f} of it)")
    console.print(table)
    assert scores["episodes"] == args.episodes
    print(
        json.dumps(
            {
                "episodes": args.episodes,
                "steps": args.steps,
                "json_mb": round(megabytes, 1),
                "parse_seconds": round(parse_seconds, 3),
                "score_seconds": round(score_seconds, 3),
                "parse_cpu_seconds": round(parse_cpu, 3),
                "score_cpu_seconds": round(score_cpu, 3),
                "load_average": round(os.getloadavg()[0], 2),
                "total_seconds": round(total, 3),
                "target_seconds": TARGET_SECONDS,
                "ratio_to_target": round(total / TARGET_SECONDS, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
