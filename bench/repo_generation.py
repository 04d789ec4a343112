"""Hard-tier generation benchmark: how long building one repository world takes.

Generates ``undertow/Repo-v0`` worlds at a difficulty (3 by default) and sprint size (the
difficulty's default, or ``--tickets``) for a range of seeds, each from a cold cache, and
prints per seed the wall and CPU seconds, the draws tried (a draw whose tables cannot fill
the sprint is retried with another) and the plans tried (a bug or mistaken report no command
of the world shows is left out and the draw planned again), or why no world was made. Prints
a table, then, as the very last line, one JSON object. The machine's load moves wall times:
CPU seconds are the steadier figure.

    python bench/repo_generation.py [--seeds 0-19] [--difficulty 3] [--tickets 50]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from typing import Any

from rich.console import Console
from rich.progress import track
from rich.table import Table

from undertow.envs.repo import hard_generator


def measure(seed: int, difficulty: int, tickets: int | None) -> dict[str, Any]:
    hard_generator.generate_hard.cache_clear()
    counts = {"draws": 0, "plans": 0}
    real_attempt, real_maker = hard_generator._attempt, hard_generator.TicketMaker

    def attempt(*args: Any) -> Any:
        counts["draws"] += 1
        return real_attempt(*args)

    def maker(*args: Any) -> Any:
        counts["plans"] += 1
        return real_maker(*args)

    hard_generator._attempt = attempt  # type: ignore[assignment]
    hard_generator.TicketMaker = maker  # type: ignore[assignment,misc]
    made, problem = 0, ""
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        made = len(hard_generator.generate_hard(seed, difficulty, tickets, False).tickets)
    except RuntimeError as exc:
        problem = str(exc)[:120]
    finally:
        hard_generator._attempt = real_attempt
        hard_generator.TicketMaker = real_maker  # type: ignore[misc]
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "seed": seed,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        **counts,
        "tickets": made,
        "problem": problem,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="0-19", help="a range such as 0-19")
    parser.add_argument("--difficulty", type=int, default=3)
    parser.add_argument(
        "--tickets", type=int, default=None, help="sprint size (default: the tier's)"
    )
    args = parser.parse_args()
    first, _, last = args.seeds.partition("-")
    seeds = range(int(first), int(last or first) + 1)
    rows = [
        measure(seed, args.difficulty, args.tickets)
        for seed in track(seeds, description="generating", transient=True)
    ]
    size = args.tickets or hard_generator.DEFAULT_TICKETS.get(args.difficulty, 20)
    table = Table(title=f"Repo-v0 difficulty {args.difficulty}, {size} tickets: one world")
    columns = ("seed", "wall_s", "cpu_s", "draws", "plans", "tickets", "problem")
    for column in columns:
        table.add_column(
            column.replace("_s", " s"), justify="left" if column == "problem" else "right"
        )
    for row in rows:
        table.add_row(*(str(row[k]) for k in columns))
    console = Console()
    console.print(table)
    made = [r for r in rows if not r["problem"]]
    cpu = [float(r["cpu_s"]) for r in made] or [0.0]
    summary = {
        "difficulty": args.difficulty,
        "tickets": size,
        "seeds": len(rows),
        "generated": len(made),
        "cpu_s_median": round(statistics.median(cpu), 2),
        "cpu_s_max": round(max(cpu), 2),
        "wall_s_median": round(statistics.median(float(r["wall_s"]) for r in rows), 2),
        "first_plan_ok": sum(r["plans"] == 1 for r in made),
        "load_average": round(os.getloadavg()[0], 2),
        "rows": rows,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
