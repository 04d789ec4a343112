"""``undertow compare``: agents of one or more runs, metric by metric, with paired differences.

Every agent of every run is one contender, named ``agent`` or, where the same agent id is in
more than one run, ``agent@run``. Per metric each contender gets its value with a 95% interval
(Wilson for success, bootstrap of the mean otherwise); each pair gets the mean paired
difference over episodes matched by scenario, variant, seed and trial, with its 95% paired
bootstrap interval, and a verdict only where that interval excludes zero. Wall time is left
out: two runs of the same agent differ in it by noise alone (it is in ``scores.json``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

from undertow.errors import UndertowError
from undertow.scoring.charts import interval_chart
from undertow.scoring.compounding import error_free_horizon
from undertow.scoring.stats import bootstrap_mean, mcnemar_exact, paired_bootstrap, wilson_interval
from undertow.scoring.view import EpisodeView, read_views


def episode_brier(view: EpisodeView) -> float | None:
    """Mean squared error of the episode's subtask confidences (None without any)."""
    points = [
        (confidence - float(view.subtasks[subtask])) ** 2
        for subtask, confidence in view.subtask_claims.items()
        if confidence is not None and subtask in view.subtasks
    ]
    return sum(points) / len(points) if points else None


Metric = Callable[[EpisodeView], float | None]
METRICS: dict[str, Metric] = {
    "success": lambda v: float(bool(v.success)),
    "score": lambda v: v.score,
    "errors": lambda v: float(len(v.ledger)),
    "error_free_steps": lambda v: float(error_free_horizon(v)),
    "subtask_brier": episode_brier,
    "steps": lambda v: float(v.steps),
    "tokens": lambda v: float(v.tokens),
    "cost_usd": lambda v: v.cost_usd,
}
HIGHER_IS_BETTER = {
    "success": True,
    "score": True,
    "errors": False,
    "error_free_steps": True,
    "subtask_brier": False,
    "tokens": False,
    "cost_usd": False,
}
"""Which way is better, where it is clear (more steps is neither)."""


@dataclass
class Contender:
    label: str
    run: str
    agent: str
    views: list[EpisodeView]

    def by_pair(self) -> dict[tuple[str, str, int, int], EpisodeView]:
        return {v.pair_key: v for v in self.views if v.success is not None and not v.held_out}


def load_contenders(directories: Sequence[Path], agents: Sequence[str] = ()) -> list[Contender]:
    """Every agent of every run (public seeds), named as the module docstring says."""
    found: list[tuple[str, str, list[EpisodeView]]] = []
    names = [Path(d).resolve().name for d in directories]
    for directory, name in zip(directories, names, strict=True):
        records = Path(directory) / "trajectories.jsonl"
        if not records.is_file():
            raise UndertowError(f"{directory} is not a run directory: it has no trajectories.jsonl")
        views, _ = read_views(records)
        run = name if names.count(name) == 1 else str(directory)
        for agent in sorted({v.agent for v in views}):
            found.append((run, agent, [v for v in views if v.agent == agent]))
    repeated = {a for _, a, _ in found if sum(1 for _, b, _ in found if b == a) > 1}
    contenders = [
        Contender(f"{agent}@{run}" if agent in repeated else agent, run, agent, views)
        for run, agent, views in found
    ]
    if agents:
        unknown = sorted(
            set(agents) - {c.label for c in contenders} - {c.agent for c in contenders}
        )
        if unknown:
            known = ", ".join(c.label for c in contenders)
            raise UndertowError(
                f"--agent {', '.join(unknown)}: not in these runs; they have {known}"
            )
        contenders = [c for c in contenders if c.label in agents or c.agent in agents]
    if len(contenders) < 2:
        raise UndertowError(
            "compare needs at least two agents: give runs whose agents differ, or two runs"
        )
    return contenders


def contender_values(contender: Contender) -> dict[str, dict[str, Any] | None]:
    """Each metric's value over the contender's public episodes, with its 95% interval."""
    views = [view for _, view in sorted(contender.by_pair().items())]  # order fixes the bootstrap
    result: dict[str, dict[str, Any] | None] = {}
    for name, metric in METRICS.items():
        values = [x for v in views if (x := metric(v)) is not None]
        if not values:
            result[name] = None
        elif name == "success":
            low, high = wilson_interval(int(sum(values)), len(values))
            result[name] = {"value": sum(values) / len(values), "low": low, "high": high,
                            "n": len(values)}  # fmt: skip
        else:
            mean, low, high = bootstrap_mean(values)  # type: ignore[misc]
            result[name] = {"value": mean, "low": low, "high": high, "n": len(values)}
    return result


def compare_pair(a: Contender, b: Contender) -> dict[str, Any]:
    """Paired differences A - B per metric over the episodes both played."""
    left, right = a.by_pair(), b.by_pair()
    shared = sorted(left.keys() & right.keys())
    metrics: dict[str, Any] = {}
    for name, metric in METRICS.items():
        differences = [
            x - y
            for key in shared
            if (x := metric(left[key])) is not None and (y := metric(right[key])) is not None
        ]
        found = paired_bootstrap(differences)
        metrics[name] = (
            None if found is None else {**found.__dict__, "significant": found.significant}
        )
    only_a = sum(bool(left[k].success) and not right[k].success for k in shared)
    only_b = sum(bool(right[k].success) and not left[k].success for k in shared)
    return {"a": a.label, "b": b.label, "pairs": len(shared), "metrics": metrics,
            "mcnemar_p": mcnemar_exact(only_a, only_b)}  # fmt: skip


def compare_runs(directories: Sequence[Path], agents: Sequence[str] = ()) -> dict[str, Any]:
    """``compare.json``: contenders' values and every pair's differences."""
    contenders = load_contenders(directories, agents)
    comparisons = [compare_pair(a, b) for a, b in combinations(contenders, 2)]
    return {
        "runs": [str(d) for d in directories],
        "contenders": {
            c.label: {"run": c.run, "agent": c.agent, "values": contender_values(c)}
            for c in contenders
        },
        "comparisons": comparisons,
        "metrics_compared": len(METRICS),
        "note": "Differences are A - B over episodes paired by scenario, variant, seed and "
        "trial (public seeds); a verdict only where the 95% paired bootstrap interval excludes "
        f"0. {len(METRICS)} metrics compared per pair: with many comparisons, some intervals "
        "exclude 0 by chance.",
    }


def with_interval(found: dict[str, Any] | None, digits: int = 3) -> str:
    if found is None:
        return "-"
    return f"{found['value']:.{digits}f} [{found['low']:.{digits}f}, {found['high']:.{digits}f}]"


def verdict(metric: str, difference: dict[str, Any] | None, a: str, b: str) -> str:
    """Which is higher (and whether that is better), only where the interval excludes 0."""
    if difference is None or not difference["significant"]:
        return ""
    higher = a if difference["mean"] > 0 else b
    better = HIGHER_IS_BETTER.get(metric)
    if better is None:
        return f"{higher} higher"
    return f"{higher} higher (better)" if better else f"{higher} higher (worse)"


def forest_plots(result: dict[str, Any]) -> list[str]:
    """One chart of every metric's difference per pair (rescaled per metric by its spread)."""
    charts = []
    for comparison in result["comparisons"]:
        rows = []
        for metric, difference in comparison["metrics"].items():
            if difference is None:
                continue
            scale = max(abs(difference["low"]), abs(difference["high"]), 1e-12)
            rows.append(
                (
                    f"{metric} ({difference['mean']:+.3g})",
                    difference["mean"] / scale,
                    difference["low"] / scale,
                    difference["high"] / scale,
                )
            )
        charts.append(interval_chart(f"{comparison['a']} - {comparison['b']} (scaled)", rows))
    return charts


def default_out() -> Path:
    return Path("runs") / f"compare-{time.strftime('%Y%m%d-%H%M%S')}"


def write_comparison(result: dict[str, Any], out: Path) -> tuple[Path, Path]:
    """``compare.json`` and ``compare.html`` in ``out``."""
    from markupsafe import Markup

    from undertow.scoring.html_report import TEMPLATES, environment

    out.mkdir(parents=True, exist_ok=True)
    json_path, html_path = out / "compare.json", out / "compare.html"
    json_path.write_text(json.dumps(result, indent=1))
    rows = [
        (comparison, metric, comparison["metrics"][metric])
        for comparison in result["comparisons"]
        for metric in METRICS
        if comparison["metrics"][metric] is not None
    ]
    html = (
        environment()
        .get_template("compare.html.j2")
        .render(
            result=result,
            rows=rows,
            metrics=list(METRICS),
            interval=with_interval,
            verdict=verdict,
            charts=[Markup(svg) for svg in forest_plots(result)],
            css=Markup((TEMPLATES / "report.css").read_text()),
        )
    )
    html_path.write_text(html, encoding="utf-8")
    return json_path, html_path
