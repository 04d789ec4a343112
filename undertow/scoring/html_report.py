"""``undertow report DIR``: ``report.html`` (one self-contained file: styles, script, charts and
data inline, nothing fetched) and ``report.json`` beside it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from undertow.scoring.charts import colours, reliability_diagram, success_curves, survival_curves
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
    return env


def chart_svgs(charts: dict[str, Any], agents: list[str]) -> dict[str, list[Markup]]:
    """The report's charts, drawn, each agent in its own colour throughout."""
    palette = colours(agents)
    reliability = [
        Markup(reliability_diagram(agent, palette[agent], series))
        for agent, series in sorted(charts["reliability"].items())
    ]
    curves = []
    if (
        charts["horizon"]
        and len({p["x"] for s in charts["horizon"].values() for p in s["points"]}) > 1
    ):
        curves.append(
            success_curves(
                "Success against horizon (subtasks, log scale)",
                "subtasks in the episode",
                charts["horizon"],
                "fit_log2",
                palette,
                log2_x=True,
            )
        )
    if charts["generalisation"]:
        curves.append(
            success_curves(
                "Success against difficulty",
                "difficulty level",
                charts["generalisation"],
                "fit",
                palette,
            )
        )
    if charts["survival"]:
        curves.append(survival_curves(charts["survival"], palette))
    return {"reliability": reliability, "curves": [Markup(svg) for svg in curves]}


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
