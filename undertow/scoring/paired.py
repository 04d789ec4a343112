"""Agent against agent: paired differences over the worlds both played, and when to call one.

Two agents are paired by world (scenario, variant, seed), never by trial: a trial number
means nothing across agents. Per metric, each agent's value in a world is the mean over its
trials there, and the difference is averaged over the shared worlds, with a cluster-bootstrap
interval and the p-value of the paired sign-flip test on the per-world differences (McNemar's
exact test for success; :func:`undertow.scoring.worlds.mean_difference`). A difference is
called only where it rests on at least :data:`MIN_WORLDS` worlds and that p-value, adjusted by
Benjamini-Hochberg over every difference of the comparison (all pairs, all metrics), is below
0.05; the number of differences so adjusted is stated with them. Errored episodes count as
failures (success 0, score 0); metrics read from the ledger leave them out (theirs is partial).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from undertow.scoring.stats import ALPHA, benjamini_hochberg, mcnemar_exact
from undertow.scoring.view import EpisodeView
from undertow.scoring.worlds import MIN_WORLDS, mean_difference


def episode_brier(view: EpisodeView) -> float | None:
    """Mean squared error of the episode's subtask confidences (None without any)."""
    points = [
        (confidence - float(view.subtasks[subtask])) ** 2
        for subtask, confidence in view.subtask_claims.items()
        if confidence is not None and subtask in view.subtasks
    ]
    return sum(points) / len(points) if points else None


def errors_per_100_steps(view: EpisodeView) -> float | None:
    """Every ledger error (omissions included, so doing nothing is not error-free) per 100
    steps."""
    return None if view.errored or not view.steps else 100 * len(view.ledger) / view.steps


def commission_per_attempted(view: EpisodeView) -> float | None:
    """Errors of what the agent did per subtask it attempted; None when it attempted none."""
    if view.errored or not view.attempted_subtasks:
        return None
    return view.commission_errors / view.attempted_subtasks


def omitted_share(view: EpisodeView) -> float | None:
    """The share of the episode's subtasks left undone (its omissions)."""
    return None if view.errored or not view.subtasks else view.omissions / len(view.subtasks)


@dataclass(frozen=True)
class PairedMetric:
    value: Callable[[EpisodeView], float | None]
    higher_is_better: bool | None
    """Which way is better, where it is clear (more steps is neither)."""
    absent: str = ""
    """When an episode has no value, in words (for the reason a difference is not estimable)."""


LEDGER_ABSENT = "ended errored (its ledger is partial)"
PAIRED_METRICS: dict[str, PairedMetric] = {
    "success": PairedMetric(lambda v: float(bool(v.success)), True),
    "score": PairedMetric(lambda v: v.score or 0.0, True),
    "errors_per_100_steps": PairedMetric(errors_per_100_steps, False, LEDGER_ABSENT),
    "commission_per_attempted_subtask": PairedMetric(
        commission_per_attempted, False, "attempted no subtask, or ended errored"
    ),
    "omitted_share": PairedMetric(omitted_share, False, "has no subtasks, or ended errored"),
    "subtask_brier": PairedMetric(episode_brier, False, "stated no confidence for a subtask"),
    "steps": PairedMetric(lambda v: float(v.steps), None),
    "tokens": PairedMetric(lambda v: float(v.tokens), False),
    "cost_usd": PairedMetric(lambda v: v.cost_usd, False),
}
"""What two agents are compared on. Wall time is left out: two runs of one agent differ in it by
noise alone (it is in ``scores.json``)."""


def world_means(
    views: Sequence[EpisodeView],
    value: Callable[[EpisodeView], float | None],
    key: Callable[[EpisodeView], Hashable] = lambda v: v.world,
) -> dict[Any, float]:
    """Per world (or per ``key``), the mean of ``value`` over the trials that have one."""
    found: dict[Any, list[float]] = defaultdict(list)
    for view in views:
        x = value(view)
        if x is not None:
            found[key(view)].append(x)
    return {world: sum(xs) / len(xs) for world, xs in found.items()}


MetricMeans = dict[str, dict[Any, float]]
"""Per paired metric, an agent's mean in each world it played."""


def metric_means(views: Sequence[EpisodeView]) -> MetricMeans:
    return {name: world_means(views, metric.value) for name, metric in PAIRED_METRICS.items()}


def compare_pair(
    a: Sequence[EpisodeView], b: Sequence[EpisodeView], names: tuple[str, str] = ("A", "B")
) -> dict[str, Any]:
    """Per metric, the mean difference A - B over the worlds both played, with its interval and
    unadjusted p-value; McNemar's exact test on per-world success (the sign test where worlds
    have several trials). :func:`adjust` then decides what is called."""
    return compare_means(metric_means(a), metric_means(b), names)


def compare_means(a: MetricMeans, b: MetricMeans, names: tuple[str, str]) -> dict[str, Any]:
    """:func:`compare_pair` from the agents' per-world means."""
    metrics: dict[str, Any] = {}
    played = a["steps"].keys() & b["steps"].keys()  # every episode has a number of steps
    for name, metric in PAIRED_METRICS.items():
        left, right = a[name], b[name]
        shared = sorted(left.keys() & right.keys())
        found = mean_difference([left[w] - right[w] for w in shared])
        metrics[name] = {**found.estimate.json(), "p": found.p, "p_floor": found.floor}
        if played and not shared:
            sides = zip(names, (left, right), strict=True)
            lacking = " and ".join(name for name, m in sides if not m)
            metrics[name]["why"] = (
                f"not estimable: in every world both played, {lacking or 'one of them'} "
                f"{metric.absent}"
            )
    success_a, success_b = a["success"], b["success"]
    shared = sorted(success_a.keys() & success_b.keys())
    better_a = sum(success_a[w] > success_b[w] for w in shared)
    better_b = sum(success_b[w] > success_a[w] for w in shared)
    return {
        "worlds": len(shared),
        "metrics": metrics,
        "discordant_worlds": [better_a, better_b],
        "mcnemar_p": mcnemar_exact(better_a, better_b),
    }


def adjust(comparisons: Sequence[dict[str, Any]]) -> int:
    """Call the differences that deserve it, in place. A difference is tested where it rests on
    at least MIN_WORLDS worlds and its test could reach p < 0.05 at all (a difference that is 0
    in nearly every world cannot: Tarone's argument keeps it out of the family). The tested
    p-values are adjusted together (Benjamini-Hochberg), and a difference is called where its
    adjusted p is below 0.05. Each difference gets ``p_adjusted``, ``called`` and, where not
    called, ``why_not_called``. Returns how many were tested."""
    tested = []
    for comparison in comparisons:
        for difference in comparison["metrics"].values():
            difference.update(called=False, p_adjusted=None)
            if difference["value"] is None:
                difference["why_not_called"] = difference["why"]
            elif difference["worlds"] < MIN_WORLDS:
                difference["why_not_called"] = (
                    f"not enough worlds ({difference['worlds']} < {MIN_WORLDS})"
                )
            elif difference["p_floor"] >= ALPHA:
                difference["why_not_called"] = (
                    "no difference in any world"
                    if difference["p_floor"] >= 1
                    else "too few worlds differ for any test to reach p < 0.05"
                )
            else:
                tested.append(difference)
    for difference, adjusted in zip(
        tested, benjamini_hochberg([d["p"] for d in tested]), strict=True
    ):
        difference["p_adjusted"] = adjusted
        difference["called"] = adjusted < ALPHA
        difference["why_not_called"] = (
            None if difference["called"] else f"adjusted p = {adjusted:.2g} (not below {ALPHA})"
        )
    return len(tested)


def verdict(metric: str, difference: dict[str, Any] | None, a: str, b: str) -> str:
    """Which is higher and whether that is better, where the difference is called; otherwise
    why not ("not enough worlds (3 < 10)"), or nothing when it was tested and not called (its
    adjusted p says how far it was)."""
    if difference is None:
        return ""
    if not difference["called"]:
        reason = difference.get("why_not_called") or ""
        return "" if reason.startswith("adjusted p") else reason
    higher = a if difference["value"] > 0 else b
    better = PAIRED_METRICS[metric].higher_is_better if metric in PAIRED_METRICS else None
    if better is None:
        return f"{higher} higher"
    return f"{higher} higher (better)" if better else f"{higher} higher (worse)"


def family_note(tested: int) -> str:
    """What a reader must know to read the differences."""
    return (
        "Differences are A - B over the worlds both agents played (scenario, variant, seed; "
        "each agent's trials in a world averaged), with 95% cluster-bootstrap intervals. A "
        f"difference is called only with at least {MIN_WORLDS} worlds and a paired sign-flip "
        f"test (McNemar's for success) below {ALPHA} after the Benjamini-Hochberg adjustment "
        f"over the {tested} differences tested here; an interval that excludes 0 is not "
        "enough on its own."
    )
