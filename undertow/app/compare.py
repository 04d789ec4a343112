"""``undertow compare``: agents across runs as a terminal table."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from undertow.scoring.comparison import METRICS, signed, with_interval
from undertow.scoring.paired import verdict


def comparison_table(result: dict[str, Any]) -> Table:
    """The terminal table: per pair and metric, both values, the difference, the verdict."""
    table = Table(
        title="Agents compared over the worlds both played (95% intervals over worlds); "
        f"{result['note']}",
        box=None,
        padding=(0, 1, 0, 0),
    )
    for column in ("A", "B", "worlds", "metric", "A value", "B value", "A - B", "verdict"):
        table.add_column(column, no_wrap=True)
    contenders = result["contenders"]
    for comparison in result["comparisons"]:
        a, b = comparison["a"], comparison["b"]
        for metric in METRICS:
            difference = comparison["metrics"][metric]
            table.add_row(
                a,
                b,
                str(difference["worlds"]),
                metric,
                with_interval(contenders[a]["values"][metric]),
                with_interval(contenders[b]["values"][metric]),
                signed(difference),
                verdict(metric, difference, a, b),
            )
    return table
