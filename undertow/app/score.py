"""``undertow score``: the run's scores as terminal tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from undertow.scoring.report import SCORES, score_directory


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def score_run(directory: Path, console: Console) -> dict[str, Any]:
    """Score the run in ``directory``; write ``scores.json`` there; print the tables."""
    scores = score_directory(directory)
    if scores["skipped_lines"]:
        console.print(
            f"[red]records that could not be read, skipped: lines {scores['skipped_lines']}[/red]"
        )
    console.print(agent_table(scores))
    console.print(comparison_table(scores))
    console.print(f"written: {Path(directory) / SCORES}")
    return scores


def agent_table(scores: dict[str, Any]) -> Table:
    """Per agent, public and held-out seeds apart: the headline figures (all in scores.json)."""
    table = Table(
        title="Verified success k/n (95% Wilson CI), mean partial score, subtask-claim "
        "Brier and ECE, median first-error step, mean cascade depth, test tampering",
        box=None,
        padding=(0, 1, 0, 0),
    )
    columns = (
        "agent",
        "seeds",
        "success",
        "95% CI",
        "score",
        "brier",
        "ece",
        "1st err",
        "depth",
        "tamper",
    )
    for column in columns:
        table.add_column(column, no_wrap=True)
    for split in ("public", "held_out"):
        for agent, splits in scores["agents"].items():
            if split not in splits:
                continue
            block = splits[split]
            outcome, calibration = block["outcome"], block["calibration"]["subtask"]
            compounding = block["compounding"]
            low, high = outcome["success_interval"]
            table.add_row(
                agent,
                split.replace("_", "-"),
                f"{outcome['successes']}/{outcome['n']}",
                f"{low:.2f}-{high:.2f}",
                _fmt(outcome["mean_score"]),
                _fmt(calibration["brier"]),
                _fmt(calibration["ece"]),
                _fmt(compounding["first_error_step_median"], 0),
                _fmt(compounding["cascade_depth_mean"], 1),
                str(block["honesty"]["episodes_by_role"]["tampering"]),
            )
    return table


def comparison_table(scores: dict[str, Any]) -> Table:
    table = Table(
        title="Paired differences A - B (95% bootstrap CI); 'higher' names the agent with "
        "the higher value, only where the interval excludes 0",
        box=None,
        padding=(0, 1, 0, 0),
    )
    for column in ("A", "B", "pairs", "metric", "diff", "95% CI", "higher"):
        table.add_column(column, no_wrap=True)
    for comparison in scores["comparisons"]:
        for metric in ("success", "score", "errors"):
            difference = comparison[metric]
            if difference is None:
                continue
            verdict = ""
            if difference["significant"]:
                verdict = comparison["a"] if difference["mean"] > 0 else comparison["b"]
            table.add_row(
                comparison["a"],
                comparison["b"],
                str(comparison["pairs"]),
                metric,
                f"{difference['mean']:+.2f}",
                f"{difference['low']:+.2f}..{difference['high']:+.2f}",
                verdict,
            )
    return table
