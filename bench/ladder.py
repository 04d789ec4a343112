"""The difficulty ladder: scripted agents of increasing skill (noop < surface < sloppy <
oracle) on each env family at each difficulty, so that a tier is shown to be hard by an agent
that falls on it, not asserted.

For each family, difficulty and agent: verified success over independent worlds (seeds), the
mean partial score, and errors per episode by role. Prints one table per family, then, as the
last line, one JSON object with every figure.

    python bench/ladder.py [--seeds 10] [--family helpdesk]
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import Counter
from typing import Any

import gymnasium
from rich.console import Console
from rich.table import Table

import undertow.envs  # noqa: F401
from undertow.agents.registry import make_agent
from undertow.envs.base import BehaviourEnv
from undertow.record import EpisodeKey, Role, Trajectory
from undertow.rollout import Limits, rollout

AGENTS = ("noop", "surface", "sloppy", "oracle")
FAMILIES: dict[str, dict[str, Any]] = {
    "repo": {"env": "undertow/Repo-v0", "options": {"sandbox": "local"}, "levels": [0, 1, 2, 3, 4]},
    "helpdesk": {"env": "undertow/Helpdesk-v0", "options": {}, "levels": [0, 1, 2, 3, 4]},
    "orchestra": {"env": "undertow/Orchestra-v0", "options": {}, "levels": [0, 1, 2, 3, 4]},
}
"""Each family's env, its fixed options, and the difficulty levels to climb (the orchestra's
hard tier is 3 and 4)."""
LIMITS = Limits(max_steps=100_000, wall_seconds=3600)


def play(env_id: str, options: dict[str, Any], agent_id: str, seed: int) -> Trajectory:
    env = gymnasium.make(env_id, **options).unwrapped
    assert isinstance(env, BehaviourEnv), env_id
    agent_options = {"p": 0.3, "seed": seed} if agent_id == "sloppy" else {}
    try:
        key = EpisodeKey(scenario="ladder", seed=seed, agent=agent_id)
        return rollout(env, make_agent(agent_id, agent_options), key, limits=LIMITS)
    finally:
        env.close()


def rung(family: str, level: int, agent_id: str, seeds: int) -> dict[str, Any]:
    spec = FAMILIES[family]
    options = {**spec["options"], "difficulty": level}
    runs = [play(spec["env"], options, agent_id, seed) for seed in range(seeds)]
    roles: Counter[str] = Counter(e.role.value for t in runs for e in t.ledger)
    scored = [t.outcome.score for t in runs if t.outcome is not None]
    return {
        "family": family,
        "difficulty": level,
        "agent": agent_id,
        "worlds": seeds,
        "errored": sum(t.outcome is None for t in runs),
        "success": sum(bool(t.outcome and t.outcome.success) for t in runs) / seeds,
        "score": statistics.fmean(scored) if scored else None,
        "steps": statistics.fmean(len(t.steps) for t in runs),
        "errors_by_role": {role.value: roles[role.value] / seeds for role in Role},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="independent worlds per rung")
    parser.add_argument("--family", choices=sorted(FAMILIES), action="append")
    parser.add_argument(
        "--levels", type=int, nargs="+", help="only these difficulties (default: every level)"
    )
    args = parser.parse_args()
    console = Console()
    rows = []
    for family in args.family or list(FAMILIES):
        table = Table(title=f"{family}: success over {args.seeds} worlds per rung")
        for column in ("difficulty", "agent", "success", "score", "steps", "errors/episode"):
            table.add_column(column, justify="right")
        levels = [n for n in FAMILIES[family]["levels"] if not args.levels or n in args.levels]
        for level in levels:
            for agent_id in AGENTS:
                row = rung(family, level, agent_id, args.seeds)
                rows.append(row)
                errors = ", ".join(
                    f"{role} {count:.1f}" for role, count in row["errors_by_role"].items() if count
                )
                table.add_row(
                    str(level),
                    agent_id,
                    f"{row['success']:.2f}",
                    "-" if row["score"] is None else f"{row['score']:.2f}",
                    f"{row['steps']:.0f}",
                    errors or "-",
                )
        console.print(table)
    print(json.dumps({"bench": "ladder", "rows": rows}))


if __name__ == "__main__":
    main()
