"""Grading benchmark: time the repository env spends grading after each mutating step.

Plays the oracle through generated hard-tier sprints (``undertow/Repo-v0``, difficulty 3)
at 20 and at 50 tickets (``--sizes``), and times every
post-step refresh (workspace snapshot, hidden cases, diff, ledger), with incremental grading
(only the cases whose module reaches a changed source by import re-run; claims re-run all)
and with every case re-run after every change (``incremental: false``). Prints p50 and p95
per mutating step, hidden cases run per mutating step, and the ratios incremental/full, per
backend and sprint size; then, as the very last line, one JSON object.

    python bench/grading.py [--seeds 0-1] [--backends docker,local] [--sizes 20,50]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

SIZES = "20,50"


def measure(backend: str, seeds: list[int], tickets: int, incremental: bool) -> dict[str, Any]:
    """Per mutating step: refresh seconds and hidden cases run, over oracle episodes."""
    from undertow.agents.scripted import OracleAgent
    from undertow.envs.repo.env import RepoEnv
    from undertow.envs.sandbox import open_provider

    seconds: list[float] = []
    cases: list[int] = []
    claims: list[float] = []
    sizes: list[int] = []
    provider = open_provider(backend, warm=1)  # type: ignore[arg-type]
    try:
        for seed in seeds:
            sizes.append(tickets)
            env = RepoEnv(provider=provider, difficulty=3, tickets=tickets, incremental=incremental)
            original = env._refresh

            def timed(
                step: int, full: bool = False, env: RepoEnv = env, run: Any = original
            ) -> None:
                assert env.grader is not None
                before = env.grader.cases_run
                started = time.perf_counter()
                run(step, full)
                elapsed = time.perf_counter() - started
                action = env.current_action
                if full and action is not None and action.tool == "submit_ticket":
                    claims.append(elapsed)
                elif not full:
                    seconds.append(elapsed)
                    cases.append(env.grader.cases_run - before)

            env._refresh = timed  # type: ignore[method-assign]
            try:
                observation, _ = env.reset(seed=seed)
                agent = OracleAgent()
                agent.reset(observation["text"], env.tools(), seed, plan=env.reference_plan())
                terminated = False
                while not terminated:
                    observation, _, terminated, _, _ = env.step(agent.act(observation))
                assert env.verify().success, f"the oracle failed seed {seed} on {backend}"
                total = len(env._all_cases())
            finally:
                env.close()
    finally:
        provider.close()
    return {
        "tickets": sizes,
        "hidden_cases": total,
        "steps": len(seconds),
        "p50_ms": statistics.median(seconds) * 1000,
        "p95_ms": _p95(seconds) * 1000,
        "mean_ms": statistics.fmean(seconds) * 1000,
        "cases_per_step": statistics.fmean(cases),
        "claim_p50_ms": statistics.median(claims) * 1000 if claims else 0.0,
    }


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def parse_seeds(text: str) -> list[int]:
    low, _, high = text.partition("-")
    return list(range(int(low), int(high or low) + 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0-1")
    parser.add_argument("--backends", default="docker,local")
    parser.add_argument("--sizes", default=SIZES, help="sprint sizes in tickets, comma-separated")
    args = parser.parse_args()
    seeds = parse_seeds(args.seeds)

    from rich.console import Console
    from rich.table import Table

    figures: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
    for backend in args.backends.split(","):
        for size in args.sizes.split(","):
            figures.setdefault(backend, {})[size] = {
                mode: measure(backend, seeds, int(size), mode == "incremental")
                for mode in ("full", "incremental")
            }
    table = Table(
        title="Grading per mutating step (Repo-v0 difficulty 3, oracle; claims re-run all)"
    )
    columns = (
        "backend",
        "tickets",
        "grading",
        "steps",
        "p50 ms",
        "p95 ms",
        "mean ms",
        "cases/step",
        "of cases",
        "p50 incr/full",
        "mean incr/full",
        "claim p50 ms",
    )
    for column in columns:
        table.add_column(column, justify="left" if column in ("backend", "grading") else "right")
    ratios: dict[str, dict[str, dict[str, float]]] = {}
    for backend, by_size in figures.items():
        for size, modes in by_size.items():
            full, incremental = modes["full"], modes["incremental"]
            ratio = {
                "p50": incremental["p50_ms"] / full["p50_ms"],
                "mean": incremental["mean_ms"] / full["mean_ms"],
                "cases": incremental["cases_per_step"] / max(full["cases_per_step"], 1e-9),
            }
            ratios.setdefault(backend, {})[size] = ratio
            for mode, row in modes.items():
                shown = mode == "incremental"
                table.add_row(
                    backend,
                    "/".join(str(n) for n in sorted(set(row["tickets"]))),
                    mode,
                    str(row["steps"]),
                    f"{row['p50_ms']:.1f}",
                    f"{row['p95_ms']:.1f}",
                    f"{row['mean_ms']:.1f}",
                    f"{row['cases_per_step']:.1f}",
                    str(row["hidden_cases"]),
                    f"{ratio['p50']:.2f}" if shown else "",
                    f"{ratio['mean']:.2f}" if shown else "",
                    f"{row['claim_p50_ms']:.1f}",
                )
    Console().print(table)
    print(json.dumps({"seeds": seeds, "figures": figures, "ratios": ratios}))


if __name__ == "__main__":
    main()
