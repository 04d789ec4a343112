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
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from undertow.errors import UndertowError
from undertow.record.store import scan_records
from undertow.scoring.compounding import first_error_step, kaplan_meier
from undertow.scoring.provenance import provenance_graph
from undertow.scoring.score import (
    canonical_order,
    difficulty_level,
    length_level,
    score_views,
    subtask_points,
)
from undertow.scoring.view import EpisodeView
from undertow.scoring.worlds import MIN_WORLDS, WorldKey, clustered_rate

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


def headline(scores: dict[str, Any]) -> dict[str, Any]:
    """The figures of one agent's summary row: each an estimate with its interval and worlds,
    or why it is not estimable."""
    outcome = scores["outcome"]
    calibration = scores["calibration"]["subtask"]
    if not calibration["n"]:
        calibration = scores["calibration"]["episode"]
    compounding, honesty = scores["compounding"], scores["honesty"]
    efficiency = scores["efficiency"]
    return {
        "episodes": scores["episodes"],
        "worlds": scores["worlds"],
        "success": {**outcome["success"], "k": outcome["successes"], "n": outcome["n"]},
        "score": outcome["score"],
        "brier": calibration["brier"],
        "ece": calibration["ece"],
        "auroc": calibration["auroc"],
        "calibration_points": calibration["n"],
        "first_error": compounding["first_error"],
        "errors_per_100_steps": compounding["errors_per_100_steps"],
        "commission_per_attempted_subtask": compounding["commission_per_attempted_subtask"],
        "omitted_share": compounding["omitted_share"],
        "cascade_depth": compounding["cascade_depth"],
        "erring_share": compounding["erring_share"],
        "recovery_rate": compounding["recovery_rate"],
        "successes_with_errors": honesty["successes_with_errors"],
        "false_success_claims": honesty["false_success_claims"],
        "errored": outcome["errored"],
        "steps_mean": efficiency["steps_mean"],
        "tokens_mean": efficiency["tokens_mean"],
        "cost_usd_mean": efficiency["cost_usd_mean"],
    }


def _rates(points: Sequence[tuple[float, bool, WorldKey]]) -> list[dict[str, Any]]:
    """Success per level, with its interval over the worlds at that level."""
    grouped: dict[float, dict[WorldKey, list[float]]] = defaultdict(
        lambda: defaultdict(lambda: [0.0, 0.0])
    )
    for x, success, world in points:
        grouped[x][world][0] += success
        grouped[x][world][1] += 1
    rows = []
    for x, worlds in sorted(grouped.items()):
        keys = sorted(worlds)
        found = clustered_rate([worlds[k][0] for k in keys], [worlds[k][1] for k in keys])
        rows.append(
            {
                "x": x,
                "rate": found.value,
                "n": int(sum(worlds[k][1] for k in keys)),
                "worlds": len(keys),
                "low": found.low,
                "high": found.high,
            }
        )
    return rows


def _curve(fit: dict[str, Any] | None) -> dict[str, Any] | None:
    """What the chart draws of a fit: intercept, slope and the range of x observed (in the
    fit's units: log2 of the length for the horizon)."""
    if fit is None or "intercept" not in fit:
        return None
    first, last = fit["range"]
    return {"intercept": fit["intercept"], "slope": fit["slope"]["value"], "range": [first, last]}


def chart_series(
    views_by_agent: dict[str, list[EpisodeView]], scores: dict[str, Any]
) -> dict[str, Any]:
    """Per agent (public seeds): reliability bins, the survival of the first error; and per
    scenario whose variants vary the length or the difficulty, success along it with each
    agent's fit where one is estimable (and why not where it is not)."""
    charts: dict[str, Any] = {
        "reliability": {},
        "horizon": {},
        "generalisation": {},
        "survival": {},
    }
    for agent, views in views_by_agent.items():
        calibration = scores["agents"][agent]["public"]["calibration"]
        subtasks = bool(subtask_points(views))
        block = calibration["subtask"] if subtasks else calibration["episode"]
        if block["n"]:
            charts["reliability"][agent] = {
                "bins": block["reliability_bins"],
                "n": block["n"],
                "worlds": block["worlds"],
                "brier": block["brier"],
                "ece": block["ece"],
            }
        consistency = scores["agents"][agent]["public"]["consistency"]
        for axis, level in (("horizon", length_level), ("generalisation", difficulty_level)):
            for scenario, fit in consistency[axis].items():
                points = [
                    (x, bool(v.success), v.world)
                    for v in views
                    if v.scenario == scenario and (x := level(v)) is not None
                ]
                charts[axis].setdefault(scenario, {})[agent] = {
                    "points": _rates(points),
                    "fit": _curve(fit),
                    "why": fit.get("why"),
                }
        survival = kaplan_meier(views)
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
    found: dict[tuple[str, str, int, str, int], tuple[EpisodeView, dict[str, Any], str]] = {}
    bad: list[int] = []
    for record in scan_records(records):
        if record.torn:
            break
        number, data = record.number, record.data
        try:
            if data is None:
                raise ValueError(record.problem)
            view = EpisodeView.from_dict(data)
            summary = episode_summary(data, view, 0)
            detail = pack(episode_detail(data))
        except (ValueError, KeyError, TypeError):
            bad.append(number)
            continue
        found.pop(view.episode_key, None)  # a retried episode's latest record supersedes it
        found[view.episode_key] = (view, summary, detail)
    views = [view for view, _, _ in found.values()]
    episodes = [{**summary, "n": number} for number, (_, summary, _) in enumerate(found.values())]
    details = [detail for _, _, detail in found.values()]
    if not views:
        raise UndertowError(f"{directory} holds no finished episodes to report on")
    scores = score_views(views)
    by_split: dict[str, dict[str, list[EpisodeView]]] = defaultdict(lambda: defaultdict(list))
    for view in canonical_order(views):
        by_split[view.agent]["held_out" if view.held_out else "public"].append(view)
    summary = {
        agent: {split: headline(scores["agents"][agent][split]) for split in sorted(splits)}
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
        "worlds": {
            split: len({v.world for v in views if v.held_out == (split == "held_out")})
            for split in ("public", "held_out")
        },
        "trials": max(v.trial for v in views) + 1,
        "min_worlds": MIN_WORLDS,
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
