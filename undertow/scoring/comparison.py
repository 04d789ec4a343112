"""``undertow compare``: agents of one or more runs, metric by metric, with paired differences.

Every agent of every run is one contender, named ``agent`` or, where the same agent id is in
more than one run, ``agent@run``. Per metric each contender gets its value over its public
episodes with a 95% interval that resamples worlds (Wilson's at the effective number of
episodes for success); each pair gets the paired difference over the worlds both played
(:mod:`undertow.scoring.paired`): its interval, and a verdict only where it rests on enough
worlds and survives the Benjamini-Hochberg adjustment over every difference of the comparison.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

from undertow.errors import UndertowError
from undertow.scoring.charts import interval_chart
from undertow.scoring.paired import (
    PAIRED_METRICS,
    adjust,
    compare_means,
    family_note,
    metric_means,
    verdict,
)
from undertow.scoring.score import canonical_order, outcome_block, world_ratio
from undertow.scoring.view import EpisodeView, read_views

METRICS = list(PAIRED_METRICS)


@dataclass
class Contender:
    label: str
    run: str
    agent: str
    views: list[EpisodeView]

    def public(self) -> list[EpisodeView]:
        return [v for v in canonical_order(self.views) if not v.held_out]


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


def contender_values(contender: Contender) -> dict[str, dict[str, Any]]:
    """Each metric's value over the contender's public episodes, with its 95% interval."""
    views = contender.public()
    result = {"success": outcome_block(views)["success"]}
    for name, metric in PAIRED_METRICS.items():
        if name != "success":
            result[name] = world_ratio(views, metric.value, empty="no episode has it").json()
    return result


def compare_runs(directories: Sequence[Path], agents: Sequence[str] = ()) -> dict[str, Any]:
    """``compare.json``: contenders' values and every pair's differences."""
    contenders = load_contenders(directories, agents)
    means = {c.label: metric_means(c.public()) for c in contenders}
    comparisons = [
        {
            "a": a.label,
            "b": b.label,
            **compare_means(means[a.label], means[b.label], (a.label, b.label)),
        }
        for a, b in combinations(contenders, 2)
    ]
    tested = adjust(comparisons)
    return {
        "runs": [str(d) for d in directories],
        "contenders": {
            c.label: {"run": c.run, "agent": c.agent, "values": contender_values(c)}
            for c in contenders
        },
        "comparisons": comparisons,
        "differences_tested": tested,
        "note": family_note(tested),
    }


def with_interval(found: dict[str, Any] | None, digits: int = 3) -> str:
    """``value [low, high]``, ``not estimable``, or an open bound shown as ``?``."""
    if found is None or found["value"] is None:
        return "not estimable"
    bound = lambda x: "?" if x is None else f"{x:.{digits}f}"  # noqa: E731
    if found["low"] is None and found["high"] is None:
        return f"{found['value']:.{digits}f}"
    return f"{found['value']:.{digits}f} [{bound(found['low'])}, {bound(found['high'])}]"


def signed(found: dict[str, Any], digits: int = 3) -> str:
    """A difference with its interval, signed."""
    if found["value"] is None:
        return "not estimable"
    if found["low"] is None or found["high"] is None:
        return f"{found['value']:+.{digits}f} [no interval]"
    return f"{found['value']:+.{digits}f} [{found['low']:+.{digits}f}, {found['high']:+.{digits}f}]"


def forest_plots(result: dict[str, Any]) -> list[str]:
    """One chart of every metric's difference per pair (rescaled per metric by its spread);
    a difference is drawn solid only where it is called."""
    charts = []
    for comparison in result["comparisons"]:
        rows = []
        for metric, difference in comparison["metrics"].items():
            if difference["low"] is None or difference["high"] is None:
                continue
            scale = max(abs(difference["low"]), abs(difference["high"]), 1e-12)
            rows.append(
                (
                    f"{metric} ({difference['value']:+.3g})",
                    difference["value"] / scale,
                    difference["low"] / scale,
                    difference["high"] / scale,
                    difference["called"],
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
    ]
    html = (
        environment()
        .get_template("compare.html.j2")
        .render(
            result=result,
            rows=rows,
            metrics=list(METRICS),
            interval=with_interval,
            signed=signed,
            verdict=verdict,
            charts=[Markup(svg) for svg in forest_plots(result)],
            css=Markup((TEMPLATES / "report.css").read_text()),
        )
    )
    html_path.write_text(html, encoding="utf-8")
    return json_path, html_path
