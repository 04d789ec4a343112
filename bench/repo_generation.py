"""Hard-tier generation benchmark: how long building one repository world takes.

Generates ``undertow/Repo-v0`` worlds at a difficulty (3 by default) for a range of seeds,
each from a cold cache, and prints per seed the wall and CPU seconds and whether the first
draw of the world succeeded (a failed draw is retried with another). Prints a table, then, as
the very last line, one JSON object. The machine's load moves wall times: CPU seconds are the
steadier figure.

    python bench/repo_generation.py [--seeds 0-19] [--difficulty 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

from rich.console import Console
from rich.table import Table

from undertow.envs.repo import hard_generator


def measure(seed: int, difficulty: int) -> dict[str, float | int | bool]:
    hard_generator.generate_hard.cache_clear()
    attempts = 0
    real = hard_generator._attempt

    def counted(*args: object) -> object:
        nonlocal attempts
        attempts += 1
        return real(*args)  # type: ignore[arg-type]

    hard_generator._attempt = counted  # type: ignore[assignment]
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        world = hard_generator.generate_hard(seed, difficulty, None, False)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        hard_generator._attempt = real
    return {
        "seed": seed,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "attempts": attempts,
        "tickets": len(world.tickets),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="0-19", help="a range such as 0-19")
    parser.add_argument("--difficulty", type=int, default=3)
    args = parser.parse_args()
    first, _, last = args.seeds.partition("-")
    seeds = range(int(first), int(last or first) + 1)
    rows = [measure(seed, args.difficulty) for seed in seeds]
    table = Table(title=f"Repo-v0 difficulty {args.difficulty}: generating one world")
    for column in ("seed", "wall s", "CPU s", "draws", "tickets"):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(*(str(row[k]) for k in ("seed", "wall_s", "cpu_s", "attempts", "tickets")))
    console = Console()
    console.print(table)
    cpu = [float(r["cpu_s"]) for r in rows]
    summary = {
        "difficulty": args.difficulty,
        "seeds": len(rows),
        "cpu_s_median": round(statistics.median(cpu), 2),
        "cpu_s_max": round(max(cpu), 2),
        "wall_s_median": round(statistics.median(float(r["wall_s"]) for r in rows), 2),
        "first_draw_ok": sum(r["attempts"] == 1 for r in rows),
        "load_average": round(os.getloadavg()[0], 2),
        "rows": rows,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
