"""``undertow report DIR``: ``report.html`` (one self-contained file: styles, script, charts and
data inline, nothing fetched) and ``report.json`` beside it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from undertow.scoring.charts import colours, reliability_diagram, success_curves, survival_curves
from undertow.scoring.paired import verdict
from undertow.scoring.report_data import ReportData, build_report_data

REPORT_HTML = "report.html"
REPORT_JSON = "report.json"
TEMPLATES = Path(__file__).parent / "templates"


def fmt(value: Any, digits: int = 2) -> str:
    """A figure for a table: ``-`` when missing."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def estimate(found: dict[str, Any] | None, digits: int = 2, signed: bool = False) -> Markup:
    """An estimate for a table cell: its value and interval; "not estimable" (the reason on
    hover) where there is no value; an open bound as "?"; "no interval" where there is none."""
    if found is None or found.get("value") is None:
        why = (found or {}).get("why") or "not estimable"
        return Markup('<span class="na" title="{}">not estimable</span>').format(why)
    form = f"{{:{'+' if signed else ''}.{digits}f}}"
    value = form.format(found["value"])
    low, high = found.get("low"), found.get("high")
    if low is None and high is None:
        return Markup('{} <span class="ci" title="{}">(no interval)</span>').format(
            value, found.get("why") or ""
        )
    shown = ["?" if b is None else form.format(b) for b in (low, high)]
    return Markup('{} <span class="ci" title="{}">[{}, {}]</span>').format(
        value, found.get("why") or "95% interval, worlds resampled", *shown
    )


def plain(value: float | None, why: str, digits: int = 2) -> Markup | str:
    """A figure without an interval, or "not estimable" (``why`` on hover)."""
    if value is None:
        return Markup('<span class="na" title="{}">not estimable</span>').format(why)
    return fmt(value, digits)


def script_json(data: Any) -> Markup:
    """JSON safe inside a ``<script>`` block (no ``</script>`` can end it early)."""
    text = json.dumps(data, separators=(",", ":"), default=str)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("undertow.scoring", "templates"),
        autoescape=select_autoescape(["j2", "html"]),
    )
    env.globals["fmt"] = fmt
    env.globals["estimate"] = estimate
    env.globals["plain"] = plain
    return env


def chart_svgs(charts: dict[str, Any], agents: list[str]) -> dict[str, list[Markup]]:
    """The report's charts, drawn, each agent in its own colour throughout: reliability
    diagrams; per scenario whose variants vary it, success against length and against
    difficulty with the fits that are estimable; the survival of the first error."""
    palette = colours(agents)
    reliability = [
        Markup(reliability_diagram(agent, palette[agent], series))
        for agent, series in sorted(charts["reliability"].items())
    ]
    curves = []
    for axis, title, x_label, log2_x in (
        ("horizon", "success against length", "subtasks (log scale)", True),
        ("generalisation", "success against difficulty", "difficulty level", False),
    ):
        for scenario, series in sorted(charts[axis].items()):
            drawn = {agent: data for agent, data in series.items() if data["points"]}
            if drawn:
                curves.append(
                    success_curves(f"{scenario}: {title}", x_label, drawn, "fit", palette, log2_x)
                )
    if charts["survival"]:
        curves.append(survival_curves(charts["survival"], palette))
    return {"reliability": reliability, "curves": [Markup(svg) for svg in curves]}


def fit_notes(charts: dict[str, Any]) -> list[str]:
    """Why each fit that is not drawn is not estimable."""
    return [
        f"{scenario}, {agent}: {'horizon' if axis == 'horizon' else 'difficulty'} fit {data['why']}"
        for axis in ("horizon", "generalisation")
        for scenario, series in sorted(charts[axis].items())
        for agent, data in sorted(series.items())
        if data.get("why")
    ]


def render_report(data: ReportData) -> str:
    """The report page."""
    template = environment().get_template("report.html.j2")
    rows = {
        split: [(agent, splits[split]) for agent, splits in data.summary.items() if split in splits]
        for split in ("public", "held_out")
    }
    return template.render(
        run=data.run,
        rows=rows,
        skipped=data.skipped_lines,
        charts=chart_svgs(data.charts, data.run["agents"]),
        fit_notes=fit_notes(data.charts),
        varied=bool(data.charts["horizon"] or data.charts["generalisation"]),
        scores=data.scores,
        verdict=verdict,
        episodes_json=script_json(data.episodes),
        details=data.details,
        css=Markup((TEMPLATES / "report.css").read_text()),
        js=Markup((TEMPLATES / "report.js").read_text()),
    )


def write_report(directory: Path) -> tuple[Path, Path, ReportData]:
    """Build the report of the run in ``directory``; write ``report.html`` and ``report.json``."""
    data = build_report_data(Path(directory))
    html_path = Path(directory) / REPORT_HTML
    json_path = Path(directory) / REPORT_JSON
    html_path.write_text(render_report(data), encoding="utf-8")
    json_path.write_text(json.dumps(data.json(), indent=1, default=str))
    return html_path, json_path, data
