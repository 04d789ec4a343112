"""``undertow score``: the run's scores as terminal tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from undertow.scoring.paired import verdict
from undertow.scoring.report import SCORES, score_directory


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def estimate(found: dict[str, Any] | None, digits: int = 2) -> str:
    """``0.85 [0.70, 0.93]``; ``not estimable`` where there is no value; ``?`` for an open bound."""
    if found is None or found["value"] is None:
        return "not estimable"
    value = f"{found['value']:.{digits}f}"
    if found["low"] is None and found["high"] is None:
        return value
    bound = lambda x: "?" if x is None else f"{x:.{digits}f}"  # noqa: E731
    return f"{value} [{bound(found['low'])}, {bound(found['high'])}]"


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
        title="n = independent worlds (scenario, variant, seed); errored episodes count as "
        "failures. Verified success k/n (95% CI), mean partial score, subtask-claim Brier and "
        "ECE, Kaplan-Meier median first-error step, errors per 100 steps, mean cascade depth "
        "over erring episodes, test tampering",
        box=None,
        padding=(0, 1, 0, 0),
    )
    columns = (
        "agent",
        "seeds",
        "worlds",
        "errored",
        "success",
        "95% CI",
        "score",
        "brier",
        "ece",
        "1st err",
        "err/100 steps",
        "depth",
        "tamper",
    )
    for column in columns:
        table.add_column(column, no_wrap=column in ("agent", "seeds", "success", "95% CI"))
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
                str(outcome["worlds"]),
                str(outcome["errored"]),
                f"{outcome['successes']}/{outcome['n']}",
                f"{low:.2f}-{high:.2f}",
                _fmt(outcome["score"]["value"]),
                _fmt(calibration["brier"]["value"]),
                estimate(calibration["ece"]),
                estimate(compounding["first_error"], 0),
                estimate(compounding["errors_per_100_steps"], 1),
                estimate(compounding["cascade_depth"], 1),
                str(block["honesty"]["episodes_by_role"]["tampering"]),
            )
    return table


SHOWN = (
    "success",
    "score",
    "errors_per_100_steps",
    "commission_per_attempted_subtask",
    "omitted_share",
)
"""The paired metrics the terminal shows (every one is in scores.json)."""


def comparison_table(scores: dict[str, Any]) -> Table:
    table = Table(
        title="Paired differences A - B over the worlds both played (95% CI); a verdict only "
        f"with at least {scores['min_worlds']} worlds and a Benjamini-Hochberg adjusted p "
        f"below 0.05 ({scores['differences_tested']} differences tested)",
        box=None,
        padding=(0, 1, 0, 0),
    )
    for column in ("A", "B", "worlds", "metric", "diff", "95% CI", "adj. p", "verdict"):
        table.add_column(column, no_wrap=column != "verdict")
    for comparison in scores["comparisons"]:
        for metric in SHOWN:
            d = comparison["metrics"][metric]
            interval = "no interval" if d["low"] is None else f"{d['low']:+.2f}..{d['high']:+.2f}"
            table.add_row(
                comparison["a"],
                comparison["b"],
                str(d["worlds"]),
                metric,
                "not estimable" if d["value"] is None else f"{d['value']:+.2f}",
                "" if d["value"] is None else interval,
                _fmt(d["p_adjusted"]),
                verdict(metric, d, comparison["a"], comparison["b"]),
            )
    return table
