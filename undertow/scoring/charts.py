"""Charts as inline SVG (no libraries, no network): reliability diagrams, success curves with
their logistic fits, survival of the first error, and intervals of differences."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
"""Okabe-Ito: tells colours apart for most colour-blind readers."""
WIDTH, HEIGHT = 360, 240
MARGIN = {"left": 48, "right": 12, "top": 28, "bottom": 40}
LEGEND_WIDTH = 130


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def colours(agents: Sequence[str]) -> dict[str, str]:
    """One colour per agent, the same in every chart of a report."""
    return {agent: colour(index) for index, agent in enumerate(sorted(agents))}


@dataclass
class Plot:
    """One chart: data ranges mapped onto a fixed canvas, drawn into SVG elements."""

    title: str
    x_range: tuple[float, float]
    y_range: tuple[float, float] = (0.0, 1.0)
    x_label: str = ""
    y_label: str = ""
    width: int = WIDTH
    height: int = HEIGHT
    legend_width: int = 0
    """Room on the right for the legend, outside the plotting area."""
    parts: list[str] = field(default_factory=list)

    @property
    def right(self) -> float:
        return self.width - MARGIN["right"] - self.legend_width

    def x(self, value: float) -> float:
        low, high = self.x_range
        span = (high - low) or 1.0
        return MARGIN["left"] + (value - low) / span * (self.right - MARGIN["left"])

    def y(self, value: float) -> float:
        low, high = self.y_range
        span = (high - low) or 1.0
        inner = self.height - MARGIN["top"] - MARGIN["bottom"]
        return self.height - MARGIN["bottom"] - (value - low) / span * inner

    def axes(
        self, x_ticks: Sequence[tuple[float, str]], y_ticks: Sequence[tuple[float, str]]
    ) -> None:
        left, bottom = MARGIN["left"], self.height - MARGIN["bottom"]
        right, top = self.right, MARGIN["top"]
        self.parts.append(f'<path d="M{left},{top}V{bottom}H{right}" fill="none" stroke="#888"/>')
        for value, label in x_ticks:
            x = self.x(value)
            self.parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{bottom}" y2="{bottom + 4}" stroke="#888"/>'
            )
            self.parts.append(_text(x, bottom + 15, label, anchor="middle"))
        for value, label in y_ticks:
            y = self.y(value)
            self.parts.append(
                f'<line x1="{left - 4}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>'
            )
            self.parts.append(_text(left - 6, y + 4, label, anchor="end"))
        self.parts.append(_text((left + right) / 2, self.height - 6, self.x_label, anchor="middle"))
        self.parts.append(
            f'<text transform="translate(12,{(top + bottom) / 2:.0f}) rotate(-90)" '
            f'text-anchor="middle" class="axis">{escape(self.y_label)}</text>'
        )

    def line(self, points: Sequence[tuple[float, float]], stroke: str, dash: bool = False) -> None:
        if len(points) < 2:
            return
        path = "M" + "L".join(f"{self.x(a):.1f},{self.y(b):.1f}" for a, b in points)
        style = ' stroke-dasharray="4 3"' if dash else ""
        self.parts.append(
            f'<path d="{path}" fill="none" stroke="{stroke}" stroke-width="1.6"{style}/>'
        )

    def step_line(self, points: Sequence[tuple[float, float]], stroke: str) -> None:
        if not points:
            return
        path = f"M{self.x(points[0][0]):.1f},{self.y(1.0):.1f}"
        for a, b in points:
            path += f"H{self.x(a):.1f}V{self.y(b):.1f}"
        self.parts.append(f'<path d="{path}" fill="none" stroke="{stroke}" stroke-width="1.6"/>')

    def point(self, a: float, b: float, fill: str, radius: float = 3.5, title: str = "") -> None:
        tip = f"<title>{escape(title)}</title>" if title else ""
        centre = f'cx="{self.x(a):.1f}" cy="{self.y(b):.1f}"'
        self.parts.append(f'<circle {centre} r="{radius:.1f}" fill="{fill}">{tip}</circle>')

    def error_bar(self, a: float, low: float, high: float, stroke: str) -> None:
        x = self.x(a)
        self.parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{self.y(low):.1f}" y2="{self.y(high):.1f}" '
            f'stroke="{stroke}" stroke-width="1" opacity="0.6"/>'
        )

    def legend(self, palette: dict[str, str]) -> None:
        for index, (name, fill) in enumerate(palette.items()):
            y = MARGIN["top"] + 4 + 13 * index
            x = self.right + 10
            self.parts.append(f'<rect x="{x:.0f}" y="{y - 8}" width="9" height="9" fill="{fill}"/>')
            self.parts.append(_text(x + 13, y, name[:20]))

    def svg(self) -> str:
        return (
            f'<svg class="chart" viewBox="0 0 {self.width} {self.height}" width="{self.width}" '
            f'height="{self.height}" role="img" aria-label="{escape(self.title)}">'
            f'<text x="{self.width / 2:.0f}" y="16" text-anchor="middle" class="title">'
            f"{escape(self.title)}</text>{''.join(self.parts)}</svg>"
        )


def _text(x: float, y: float, text: str, anchor: str = "start") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" class="axis">{escape(text)}</text>'
    )


PROBABILITY_TICKS = [(v / 4, f"{v / 4:g}") for v in range(5)]


def reliability_title(agent: str, series: dict[str, Any]) -> str:
    """``agent: ECE 0.10 [0.04, 0.21]``."""
    ece = series["ece"]
    if ece["value"] is None:
        return f"{agent}: ECE not estimable"
    if ece["low"] is None or ece["high"] is None:
        return f"{agent}: ECE {ece['value']:.2f} (no interval)"
    return f"{agent}: ECE {ece['value']:.2f} [{ece['low']:.2f}, {ece['high']:.2f}]"


def reliability_diagram(agent: str, fill: str, series: dict[str, Any]) -> str:
    """Observed success against stated confidence per bin, with the diagonal of perfect
    calibration; point area grows with the bin's count."""
    plot = Plot(
        reliability_title(agent, series),
        (0.0, 1.0),
        x_label=f"stated confidence (n={series['n']} in {series['worlds']} worlds)",
        y_label="verified success",
    )
    plot.axes(PROBABILITY_TICKS, PROBABILITY_TICKS)
    plot.line([(0.0, 0.0), (1.0, 1.0)], "#999", dash=True)
    largest = max((b["n"] for b in series["bins"]), default=1)
    for b in series["bins"]:
        radius = 2.5 + 6 * math.sqrt(b["n"] / largest)
        plot.point(
            b["confidence"],
            b["accuracy"],
            fill,
            radius,
            f"confidence {b['confidence']:.2f}, success {b['accuracy']:.2f}, n={b['n']}",
        )
    return plot.svg()


def _sigmoid(value: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, value))))


def success_curves(
    title: str,
    x_label: str,
    series: dict[str, dict[str, Any]],
    fit_key: str,
    palette: dict[str, str],
    log2_x: bool = False,
) -> str:
    """Success rate per level with its interval, and each agent's fitted logistic curve, drawn
    only over the levels that agent was observed at (a fit is never extrapolated)."""
    xs = [p["x"] for s in series.values() for p in s["points"]]
    low, high = min(xs), max(xs)
    if log2_x:
        low, high = math.log2(max(low, 1)), math.log2(max(high, 1))
    pad = (high - low) * 0.05 or 0.5
    plot = Plot(
        title,
        (low - pad, high + pad),
        x_label=x_label,
        y_label="verified success",
        width=WIDTH + LEGEND_WIDTH,
        legend_width=LEGEND_WIDTH,
    )
    ticks = sorted(set(xs))
    shown = ticks if len(ticks) <= 8 else ticks[:: math.ceil(len(ticks) / 8)]
    plot.axes([(math.log2(t) if log2_x else t, f"{t:g}") for t in shown], PROBABILITY_TICKS)
    for agent, data in series.items():
        for p in data["points"]:
            x = math.log2(p["x"]) if log2_x else p["x"]
            plot.error_bar(x, p["low"], p["high"], palette[agent])
            plot.point(x, p["rate"], palette[agent], title=f"{agent}: {p['rate']:.2f} of {p['n']}")
        fit = data.get(fit_key)
        if fit:
            first, last = fit["range"]
            samples = [first + (last - first) * i / 40 for i in range(41)]
            curve = [(x, _sigmoid(fit["intercept"] + fit["slope"] * x)) for x in samples]
            plot.line(curve, palette[agent])
    plot.legend({agent: palette[agent] for agent in series})
    return plot.svg()


def survival_curves(series: dict[str, list[list[float]]], palette: dict[str, str]) -> str:
    """Kaplan-Meier survival of the first error against the step, per agent."""
    last = max((p[0] for points in series.values() for p in points), default=1)
    plot = Plot(
        "Still error-free (Kaplan-Meier)",
        (0.0, float(last)),
        x_label="step",
        y_label="survival",
        width=WIDTH + LEGEND_WIDTH,
        legend_width=LEGEND_WIDTH,
    )
    ticks = [(last * i / 4, f"{last * i / 4:.0f}") for i in range(5)]
    plot.axes(ticks, PROBABILITY_TICKS)
    for agent, points in series.items():
        plot.step_line([(float(a), float(b)) for a, b in points], palette[agent])
    plot.legend({agent: palette[agent] for agent in series})
    return plot.svg()


def interval_chart(title: str, rows: Sequence[tuple[str, float, float, float, bool]]) -> str:
    """Horizontal intervals around zero (a forest plot): one row per (label, mean, low, high,
    called); a called difference is drawn solid and coloured, the others grey."""
    if not rows:
        return ""
    extent = max(max(abs(low), abs(high)) for _, _, low, high, _ in rows) or 1.0
    height = MARGIN["top"] + MARGIN["bottom"] + 18 * len(rows)
    plot = Plot(title, (-extent * 1.1, extent * 1.1), (0, len(rows)), x_label="difference A - B",
                width=560, height=height)  # fmt: skip
    plot.axes([(-extent, f"{-extent:.2g}"), (0, "0"), (extent, f"{extent:.2g}")], [])
    plot.line([(0.0, 0.0), (0.0, float(len(rows)))], "#999", dash=True)
    for index, (label, mean, low, high, called) in enumerate(rows):
        y = len(rows) - index - 0.5
        stroke = colour(1) if called else "#999"
        plot.parts.append(
            f'<line x1="{plot.x(low):.1f}" x2="{plot.x(high):.1f}" y1="{plot.y(y):.1f}" '
            f'y2="{plot.y(y):.1f}" stroke="{stroke}" stroke-width="2"/>'
        )
        plot.point(mean, y, stroke, 3.5, f"{label}: {mean:+.3f} [{low:+.3f}, {high:+.3f}]")
        plot.parts.append(_text(plot.x(-extent * 1.1) + 2, plot.y(y) - 5, label))
    return plot.svg()
