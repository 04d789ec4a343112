"""Every benchmark in one command: runs each bench script in its own process, gathers the JSON
line each prints last, and prints one table of headline figures with their reference and the
ratio between them, then, as the last line, one JSON object with everything.

    python bench/all.py [--quick]

``--quick`` runs each bench with fewer repetitions (a minute or two instead of several).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

HERE = Path(__file__).parent
BENCHES: dict[str, tuple[list[str], list[str]]] = {
    # name: (full arguments, --quick arguments)
    "envs": ([], ["--seeds", "2"]),
    "harness": ([], ["--lengths", "50,5000"]),
    "sandbox": ([], ["--repeats", "50", "--acquires", "5"]),
    "concurrency": ([], ["--levels", "1,8,64"]),
    "scoring": ([], ["--episodes", "2000"]),
    "report": ([], ["--sizes", "1000"]),
}
Row = tuple[str, str, float | None, str, float | None]
"""benchmark, figure, value, reference, ratio of value to reference."""


def run_bench(name: str, arguments: list[str]) -> tuple[dict[str, Any] | None, float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(HERE / f"{name}.py"), *arguments], capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return None, seconds, (done.stderr.strip().splitlines() or ["no output"])[-1]
    return json.loads(lines[-1]), seconds, ""


def envs_rows(result: dict[str, Any]) -> list[Row]:
    target = result["helpdesk_target_ms"]
    rows: list[Row] = []
    for r in result["rows"]:
        helpdesk = r["family"].startswith("helpdesk")
        rows.append(
            (
                "envs",
                f"{r['family']} ({r['agent']}) ms/step",
                r["step_ms_median"],
                f"{target} ms target" if helpdesk else "",
                r["step_ms_median"] / target if helpdesk else None,
            )
        )
    return rows


def harness_rows(result: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for family, ratio in result["ratios"].items():
        lengths = sorted(r["steps"] for r in result["rows"] if r["family"] == family)
        longest = next(
            r for r in result["rows"] if r["family"] == family and r["steps"] == lengths[-1]
        )
        rows.append(
            (
                "harness",
                f"{family} ms/step at {lengths[-1]} steps",
                longest["step_ms"],
                f"at {lengths[0]} steps (bar {result['target']}x)",
                ratio,
            )
        )
    return rows


def sandbox_rows(result: dict[str, Any]) -> list[Row]:
    figures = result["results"]
    pairs = [
        ("docker exec (command server)", "docker exec (CLI reference)"),
        ("docker acquire (warm pool)", "docker acquire (cold)"),
        ("local exec", None),
        ("local acquire", None),
    ]
    rows: list[Row] = []
    for name, reference in pairs:
        if name not in figures:
            continue
        value = figures[name]["p50_ms"]
        if reference in figures:
            rows.append(
                (
                    "sandbox",
                    f"{name} p50 ms",
                    value,
                    reference,
                    value / figures[reference]["p50_ms"],
                )
            )
        else:
            rows.append(("sandbox", f"{name} p50 ms", value, "", None))
    return rows


def concurrency_rows(result: dict[str, Any]) -> list[Row]:
    return [
        (
            "concurrency",
            f"steps/s at {r['parallel']} parallel ({r['errored']} errored)",
            r["steps_per_s"],
            f"{r['parallel']}x one at a time",
            r["efficiency"],
        )
        for r in result["rows"]
    ]


def scoring_rows(result: dict[str, Any]) -> list[Row]:
    return [
        (
            "scoring",
            f"seconds for {result['episodes']} x {result['steps']} steps",
            result["total_seconds"],
            f"{result['target_seconds']:.0f} s target (10,000 episodes)",
            result["ratio_to_target"],
        )
    ]


def report_rows(result: dict[str, Any]) -> list[Row]:
    first = result["rows"][0]
    return [
        (
            "report",
            f"seconds for {r['episodes']} episodes",
            r["seconds"],
            f"ms/episode vs at {first['episodes']}",
            r["ms_per_episode"] / first["ms_per_episode"],
        )
        for r in result["rows"]
    ]


HEADLINES: dict[str, Callable[[dict[str, Any]], list[Row]]] = {
    "envs": envs_rows,
    "harness": harness_rows,
    "sandbox": sandbox_rows,
    "concurrency": concurrency_rows,
    "scoring": scoring_rows,
    "report": report_rows,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions everywhere")
    args = parser.parse_args()
    console = Console()
    results: dict[str, Any] = {}
    rows: list[Row] = []
    for name, (full, quick) in BENCHES.items():
        with console.status(f"bench/{name}.py"):
            result, seconds, problem = run_bench(name, quick if args.quick else full)
        console.print(f"bench/{name}.py: {seconds:.0f} s" + (f" [red]{problem}" if problem else ""))
        results[name] = result if result is not None else {"failed": problem}
        if result is not None:
            rows.extend(HEADLINES[name](result))
    table = Table(title="Undertow benchmarks")
    for column in ("bench", "figure", "value", "reference", "ratio"):
        table.add_column(column, justify="right" if column in ("value", "ratio") else "left")
    for bench, figure, value, reference, ratio in rows:
        table.add_row(
            bench,
            figure,
            "-" if value is None else f"{value:.3g}",
            reference,
            "-" if ratio is None else f"{ratio:.2f}",
        )
    console.print(table)
    print(json.dumps({"bench": "all", "quick": args.quick, "results": results}))


if __name__ == "__main__":
    main()
