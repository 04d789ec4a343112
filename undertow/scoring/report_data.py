"""What a run's report shows, as data: headline figures per agent with intervals, the series
behind its charts, and every episode (a summary for the list, a compact timeline for its page).

Built in one pass over the run store, one record at a time, so a run of thousands of long
episodes is never in memory at once: each episode's timeline is compressed as soon as it is
made (gzip, base64) and opened by the page only when asked for.
"""

from __future__ import annotations

import base64
import gzip
import json
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from undertow.errors import UndertowError
from undertow.record.store import scan_records
from undertow.scoring.compounding import first_error_step, kaplan_meier
from undertow.scoring.consistency import logistic_fit
from undertow.scoring.provenance import provenance_graph
from undertow.scoring.score import episode_points, score_views, subtask_points
from undertow.scoring.stats import bootstrap_mean, wilson_interval
from undertow.scoring.view import EpisodeView

TASK_SHOWN = 2000
OBSERVATION_SHOWN = 400
ARGS_SHOWN = 300
PROBE_CHANGE_SHOWN = 200
LEDGER_FIELDS = ("id", "step", "kind", "object", "caused_by", "resolved_at", "detail")
PROVENANCE_COLUMNS = {"document": 0, "actor": 1, "message": 2, "claim": 3, "question": 4}


@dataclass
class ReportData:
    """Everything a report shows. ``details`` are the compressed episode timelines, in the
    order of ``episodes``."""

    run: dict[str, Any]
    scores: dict[str, Any]
    summary: dict[str, dict[str, dict[str, Any]]]
    charts: dict[str, Any]
    episodes: list[dict[str, Any]] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    skipped_lines: list[int] = field(default_factory=list)

    def json(self) -> dict[str, Any]:
        """``report.json``: everything but the timelines."""
        return {
            "run": self.run,
            "summary": self.summary,
            "charts": self.charts,
            "episodes": self.episodes,
            "scores": self.scores,
            "skipped_lines": self.skipped_lines,
        }


# ---- episodes ---------------------------------------------------------------------------------


def episode_summary(data: dict[str, Any], view: EpisodeView, number: int) -> dict[str, Any]:
    """One row of the episode list."""
    key = data["key"]
    return {
        "n": number,
        "id": f"{key['scenario']}/{key.get('variant', 'original')}/{key['seed']}/"
        f"{key['agent']}/{key.get('trial', 0)}",
        "scenario": view.scenario,
        "variant": view.variant,
        "seed": view.seed,
        "agent": view.agent,
        "trial": view.trial,
        "split": "held-out" if view.held_out else "public",
        "status": view.status,
        "success": view.success,
        "score": view.score,
        "steps": view.steps,
        "errors": len(view.ledger),
        "first_error": first_error_step(view.ledger),
        "tokens": view.tokens,
        "cost_usd": round(view.cost_usd, 6),
        "env": data.get("metadata", {}).get("env", ""),
    }


def _short(value: Any, limit: int) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _probe_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, str]:
    return {
        key: _short(value, PROBE_CHANGE_SHOWN)
        for key, value in after.items()
        if before.get(key) != value
    }


def _timeline(steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each step: actor, tool and arguments (or the raw output), an observation excerpt, the
    world's open errors after it (its health), ledger events, probe changes, usage."""
    rows = []
    open_errors: set[str] = set()
    probes: dict[str, Any] = {}
    for step in steps:
        action = step.get("action")
        events = []
        for event in step.get("ledger", []):
            if event.get("type") == "raised":
                error = event["error"]
                open_errors.add(error["id"])
                events.append(["raised", error["id"], error["kind"], error["object"]])
            else:
                open_errors.discard(event["error_id"])
                events.append(["resolved", event["error_id"]])
        usage = step.get("usage") or {}
        fields = step.get("observation_fields") or {}
        rows.append(
            {
                "i": step["index"],
                "actor": (action or {}).get("actor"),
                "tool": (action or {}).get("tool"),
                "args": _short((action or {}).get("args", {}), ARGS_SHOWN) if action else "",
                "confidence": (action or {}).get("confidence"),
                "raw": _short(step.get("raw_action") or "", ARGS_SHOWN) if not action else "",
                "ok": fields.get("ok", action is not None) is not False,
                "obs": _short(step.get("observation", ""), OBSERVATION_SHOWN),
                "open": len(open_errors),
                "events": events,
                "probes": _probe_changes(probes, step.get("probes") or {}),
                "tokens": usage.get("prompt_tokens", 0) + usage.get("completion_tokens", 0),
                "cost": usage.get("cost_usd", 0.0),
                "retries": usage.get("retries", 0),
            }
        )
        probes = step.get("probes") or {}
    return rows


def cascade_layout(ledger: list[dict[str, Any]]) -> dict[str, Any]:
    """The ledger's causal DAG, each error in the column of its depth (roots first)."""
    graph: nx.DiGraph[str] = nx.DiGraph()
    for error in ledger:
        graph.add_node(error["id"])
        graph.add_edges_from((parent, error["id"]) for parent in error.get("caused_by", []))
    depth: dict[str, int] = {}
    for node in nx.topological_sort(graph):
        depth[node] = max((depth[p] + 1 for p in graph.predecessors(node)), default=0)
    by_id = {e["id"]: e for e in ledger}
    return {
        "nodes": [
            {
                "id": node,
                "label": f"{node} {by_id[node]['kind']}",
                "title": f"step {by_id[node]['step']}: {by_id[node]['object']}",
                "column": depth[node],
                "resolved": by_id[node].get("resolved_at") is not None,
            }
            for node in graph
        ],
        "edges": [[a, b] for a, b in graph.edges],
    }


def provenance_layout(graph: nx.DiGraph) -> dict[str, Any]:
    """The provenance graph in columns by kind (documents read, actors, messages, claims,
    questions); documents nobody read are left out."""
    shown = [
        node
        for node, kind in graph.nodes(data="kind")
        if kind != "document" or any(True for _ in graph.successors(node))
    ]
    nodes = []
    for node in shown:
        data = graph.nodes[node]
        kind = data["kind"]
        label = node.split(":", 1)[1]
        if kind == "claim":
            label = f"{data['question']}={data['value']}" + (" (final)" if data["final"] else "")
        nodes.append(
            {
                "id": node,
                "label": _short(label, 28),
                "column": PROVENANCE_COLUMNS.get(kind, 4),
                "kind": kind,
                "flag": bool(
                    data.get("hazard") or data.get("injected") or data.get("correct") is False
                ),
            }
        )
    keep = set(shown)
    edges = [
        [a, b, str(data.get("kind"))]
        for a, b, data in graph.edges(data=True)
        if a in keep and b in keep
    ]
    return {"nodes": nodes, "edges": edges}


def episode_detail(data: dict[str, Any]) -> dict[str, Any]:
    """What the episode's page shows."""
    outcome = data.get("outcome") or {}
    graph = provenance_graph(data)
    ledger = data.get("ledger", [])
    steps = data.get("steps", [])
    return {
        "task": _short(data.get("task", ""), TASK_SHOWN),
        "status": data.get("status"),
        "error": data.get("error"),
        "outcome": {
            "success": outcome.get("success"),
            "score": outcome.get("score"),
            "subtasks": [
                [s["id"], s["success"], s["score"], s.get("detail", "")]
                for s in outcome.get("subtasks", [])
            ],
            "detail": _short(outcome.get("detail", {}), 2000),
        },
        "claims": [
            [c["step"], c["subject"], c.get("kind", "success"), c.get("value"), c.get("confidence")]
            for c in data.get("claims", [])
        ],
        "timeline": _timeline(steps),
        "final_probes": _short((steps[-1].get("probes") if steps else {}) or {}, 4000),
        "ledger": [{key: error.get(key) for key in LEDGER_FIELDS} for error in ledger],
        "cascade": cascade_layout(ledger),
        "provenance": None if graph is None else provenance_layout(graph),
    }


def pack(detail: dict[str, Any]) -> str:
    """An episode's page data as gzip + base64 (opened in the browser by DecompressionStream)."""
    raw = json.dumps(detail, separators=(",", ":"), default=str).encode()
    return base64.b64encode(gzip.compress(raw, compresslevel=6, mtime=0)).decode("ascii")


# ---- per agent ----------------------------------------------------------------------------------


def _interval(found: tuple[float, float, float] | None) -> dict[str, float] | None:
    return None if found is None else {"value": found[0], "low": found[1], "high": found[2]}


def headline(views: Sequence[EpisodeView], scores: dict[str, Any]) -> dict[str, Any]:
    """The figures of one agent's summary row, each with its n or interval."""
    outcome = scores["outcome"]
    calibration = scores["calibration"]["subtask"]
    if not calibration["n"]:
        calibration = scores["calibration"]["episode"]
    compounding, honesty = scores["compounding"], scores["honesty"]
    efficiency = scores["efficiency"]
    scored = [v for v in views if v.score is not None]
    return {
        "episodes": len(views),
        "success": {
            "value": outcome["success_rate"],
            "low": outcome["success_interval"][0],
            "high": outcome["success_interval"][1],
            "k": outcome["successes"],
            "n": outcome["n"],
        },
        "score": _interval(bootstrap_mean([v.score for v in scored])),  # type: ignore[misc]
        "brier": calibration["brier"],
        "ece": calibration["ece"],
        "auroc": calibration["auroc"],
        "calibration_points": calibration["n"],
        "first_error_median": compounding["first_error_step_median"],
        "errors_per_episode": compounding["errors_per_episode"],
        "cascade_depth_mean": compounding["cascade_depth_mean"],
        "recovery_rate": compounding["recovery_rate"],
        "successes_with_errors": honesty["successes_with_errors"],
        "false_success_claims": honesty["false_success_claims"],
        "errored": outcome["errored"],
        "steps_mean": efficiency["steps_mean"],
        "tokens_mean": efficiency["tokens_mean"],
        "cost_usd_mean": efficiency["cost_usd_mean"],
    }


def _rates(points: Sequence[tuple[float, bool]]) -> list[dict[str, float]]:
    grouped: dict[float, list[bool]] = defaultdict(list)
    for x, success in points:
        grouped[x].append(success)
    rows = []
    for x, outcomes in sorted(grouped.items()):
        low, high = wilson_interval(sum(outcomes), len(outcomes))
        rows.append(
            {
                "x": x,
                "rate": sum(outcomes) / len(outcomes),
                "n": len(outcomes),
                "low": low,
                "high": high,
            }
        )
    return rows


def _fit(points: list[tuple[float, bool]]) -> dict[str, float] | None:
    if len({x for x, _ in points}) < 2:
        return None
    fit = logistic_fit([x for x, _ in points], [s for _, s in points])
    return None if fit is None else {"intercept": fit.intercept, "slope": fit.slope}


def chart_series(
    views_by_agent: dict[str, list[EpisodeView]], scores: dict[str, Any]
) -> dict[str, Any]:
    """Per agent (public seeds): reliability bins, success against length (log2 of subtasks)
    and against difficulty with their logistic fits, and the survival of the first error."""
    charts: dict[str, Any] = {
        "reliability": {},
        "horizon": {},
        "generalisation": {},
        "survival": {},
    }
    for agent, views in views_by_agent.items():
        scored = [v for v in views if v.success is not None]
        calibration = scores["agents"][agent]["public"]["calibration"]
        points = subtask_points(scored) or episode_points(scored)
        block = calibration["subtask"] if subtask_points(scored) else calibration["episode"]
        if points:
            charts["reliability"][agent] = {
                "bins": block["reliability_bins"],
                "n": block["n"],
                "brier": block["brier"],
                "ece": block["ece"],
            }
        lengths = [(len(v.subtasks), bool(v.success)) for v in scored if v.subtasks]
        if lengths:
            logged = [(math.log2(n), s) for n, s in lengths]
            charts["horizon"][agent] = {"points": _rates(lengths), "fit_log2": _fit(logged)}
        levels = [
            (float(v.difficulty), bool(v.success)) for v in scored if v.difficulty is not None
        ]
        if len({x for x, _ in levels}) > 1:
            charts["generalisation"][agent] = {"points": _rates(levels), "fit": _fit(levels)}
        survival = kaplan_meier([v for v in views if v.status != "errored"])
        if survival:
            charts["survival"][agent] = [[p.step, p.survival] for p in survival]
    return charts


# ---- the run ---------------------------------------------------------------------------------


def build_report_data(directory: Path) -> ReportData:
    """Read a run directory once and make everything its report shows."""
    records = Path(directory) / "trajectories.jsonl"
    if not records.is_file():
        raise UndertowError(f"{directory} is not a run directory: it has no trajectories.jsonl")
    manifest_path = Path(directory) / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    views: list[EpisodeView] = []
    episodes: list[dict[str, Any]] = []
    details: list[str] = []
    bad: list[int] = []
    for record in scan_records(records):
        if record.torn:
            break
        number, data = record.number, record.data
        try:
            if data is None:
                raise ValueError(record.problem)
            view = EpisodeView.from_dict(data)
            summary = episode_summary(data, view, len(episodes))
            detail = pack(episode_detail(data))
        except (ValueError, KeyError, TypeError):
            bad.append(number)
            continue
        views.append(view)
        episodes.append(summary)
        details.append(detail)
    if not views:
        raise UndertowError(f"{directory} holds no finished episodes to report on")
    scores = score_views(views)
    by_split: dict[str, dict[str, list[EpisodeView]]] = defaultdict(lambda: defaultdict(list))
    for view in views:
        by_split[view.agent]["held_out" if view.held_out else "public"].append(view)
    summary = {
        agent: {
            split: headline(group, scores["agents"][agent][split])
            for split, group in sorted(splits.items())
        }
        for agent, splits in sorted(by_split.items())
    }
    public = {a: s["public"] for a, s in by_split.items() if "public" in s}
    suite = manifest.get("suite", {})
    run = {
        "directory": str(directory),
        "name": Path(directory).name,
        "suite": suite.get("name", ""),
        "description": suite.get("description", ""),
        "undertow": manifest.get("undertow_version"),
        "git": manifest.get("git_revision"),
        "started_at": manifest.get("started_at"),
        "ended_at": manifest.get("ended_at"),
        "episodes": len(episodes),
        "agents": sorted(by_split),
        "scenarios": sorted({v.scenario for v in views}),
    }
    return ReportData(
        run=run,
        scores=scores,
        summary=summary,
        charts=chart_series(public, scores),
        episodes=episodes,
        details=details,
        skipped_lines=bad,
    )
