"""``undertow compare``: agents across runs as a terminal table."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from undertow.scoring.comparison import METRICS, verdict, with_interval


def comparison_table(result: dict[str, Any]) -> Table:
    """The terminal table: per pair and metric, both values, the difference, the verdict."""
    table = Table(title="Agents compared (95% intervals; verdict only where the difference's "
                  "interval excludes 0)", box=None, padding=(0, 1, 0, 0))  # fmt: skip
    for column in ("A", "B", "pairs", "metric", "A value", "B value", "A - B", "verdict"):
        table.add_column(column, no_wrap=True)
    contenders = result["contenders"]
    for comparison in result["comparisons"]:
        a, b = comparison["a"], comparison["b"]
        for metric in METRICS:
            difference = comparison["metrics"][metric]
            if difference is None:
                continue
            table.add_row(
                a,
                b,
                str(comparison["pairs"]),
                metric,
                with_interval(contenders[a]["values"][metric]),
                with_interval(contenders[b]["values"][metric]),
                f"{difference['mean']:+.3f} [{difference['low']:+.3f}, {difference['high']:+.3f}]",
                verdict(metric, difference, a, b),
            )
    return table
