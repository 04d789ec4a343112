"""Environment benchmark: env time per step and per reset, per family, with scripted agents.

Only the env's own time is counted (``env.step`` and ``env.reset``, as the rollout records
them), not the agent's. The
repository env runs in the local sandbox here (the sandbox benchmark covers Docker). Prints a
table, then, as the last line, one JSON object.

    python bench/envs.py [--seeds 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
from typing import Any

from rich.console import Console
from rich.table import Table

import undertow.envs  # noqa: F401
from undertow.agents.registry import make_agent
from undertow.envs.base import BehaviourEnv
from undertow.envs.helpdesk.env import HelpdeskEnv
from undertow.envs.orchestra.env import OrchestraEnv
from undertow.envs.repo.env import RepoEnv
from undertow.record import EpisodeKey
from undertow.rollout import Limits, rollout

HELPDESK_TARGET_MS = 1.0


def measure(env: BehaviourEnv, agent_id: str, seed: int) -> dict[str, float]:
    """One episode through the rollout: reset seconds, steps, and env milliseconds per step."""
    agent = make_agent(agent_id, {"p": 0.3, "seed": seed} if agent_id == "sloppy" else {})
    key = EpisodeKey(scenario="bench", seed=seed, agent=agent_id)
    trajectory = rollout(env, agent, key, limits=Limits(max_steps=100_000, wall_seconds=3600))
    steps = len(trajectory.steps)
    spent = sum(step.env_seconds for step in trajectory.steps)
    reset = float(trajectory.metadata["reset_seconds"])
    return {"reset_s": reset, "steps": steps, "step_ms": 1000 * spent / steps}


def run(seeds: int) -> list[dict[str, Any]]:
    cases: list[tuple[str, BehaviourEnv, str]] = [
        ("helpdesk-100", HelpdeskEnv(), "oracle"),
        ("helpdesk-100", HelpdeskEnv(), "sloppy"),
        ("helpdesk-hard", HelpdeskEnv(difficulty=3), "oracle"),
        ("helpdesk-hard", HelpdeskEnv(difficulty=3), "sloppy"),
        ("helpdesk-hard", HelpdeskEnv(difficulty=3), "surface"),
        ("orchestra", OrchestraEnv(difficulty=3), "oracle"),
        ("orchestra", OrchestraEnv(difficulty=3), "sloppy"),
        ("repo-local", RepoEnv(sandbox="local"), "oracle"),
    ]
    rows = []
    for family, env, agent_id in cases:
        runs = [measure(env, agent_id, seed) for seed in range(seeds)]
        env.close()
        rows.append(
            {
                "family": family,
                "agent": agent_id,
                "episodes": seeds,
                "steps_mean": statistics.fmean(r["steps"] for r in runs),
                "step_ms_median": statistics.median(r["step_ms"] for r in runs),
                "steps_per_s": 1000 / statistics.median(r["step_ms"] for r in runs),
                "reset_s_median": statistics.median(r["reset_s"] for r in runs),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    rows = run(args.seeds)
    table = Table(title="Env time per step (scripted agents)")
    for column in ("family", "agent", "episodes", "steps", "ms/step", "steps/s", "reset s"):
        table.add_column(column, justify="left" if column in ("family", "agent") else "right")
    for row in rows:
        table.add_row(
            row["family"],
            row["agent"],
            str(row["episodes"]),
            f"{row['steps_mean']:.0f}",
            f"{row['step_ms_median']:.3f}",
            f"{row['steps_per_s']:.0f}",
            f"{row['reset_s_median']:.3f}",
        )
    console = Console()
    console.print(table)
    helpdesk = max(r["step_ms_median"] for r in rows if r["family"].startswith("helpdesk"))
    console.print(
        f"helpdesk env time per step {helpdesk:.3f} ms: "
        f"{helpdesk / HELPDESK_TARGET_MS:.2f} of the {HELPDESK_TARGET_MS} ms target"
    )
    print(json.dumps({"bench": "envs", "rows": rows, "helpdesk_target_ms": HELPDESK_TARGET_MS}))


if __name__ == "__main__":
    main()
