"""Report benchmark: time to build report.html and report.json from a run directory.

Plays the built-in smoke suite once (real trajectories from every family, local sandbox), then
builds its report; then copies its episodes under new seeds into runs of ~1,000 and ~5,000
episodes and builds theirs. Prints a table (seconds, ms per episode, report size), then, as
the last line, one JSON object.

    python bench/report.py [--sizes 1000,5000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from undertow.envs.sandbox import open_provider
from undertow.record import Trajectory
from undertow.record.store import RunStore
from undertow.scenarios.runner import run_episodes
from undertow.scenarios.suite import expand, load_suite
from undertow.scoring.html_report import REPORT_HTML, write_report


def smoke_run(directory: Path) -> RunStore:
    suite, text = load_suite("smoke")
    episodes = expand(suite)
    store = RunStore.create(directory, text, suite.model_dump(mode="json"), len(episodes))
    provider = open_provider("local")
    try:
        run_episodes(episodes, store, parallel=2, provider=provider)
    finally:
        provider.close()
    return store


def scaled_copy(source: RunStore, directory: Path, episodes: int) -> RunStore:
    """``source``'s episodes again and again, each copy under seeds shifted by 1000."""
    trajectories = list(source.trajectories())
    store = RunStore.create(directory, "scaled", source.manifest()["suite"], episodes)
    for index in range(episodes):
        original: Trajectory = trajectories[index % len(trajectories)]
        shift = 1000 * (index // len(trajectories))
        key = original.key.model_copy(update={"seed": original.key.seed + shift})
        store.append(original.model_copy(update={"key": key}))
    return store


def timed_report(store: RunStore) -> dict[str, float]:
    started = time.perf_counter()
    write_report(store.directory)
    seconds = time.perf_counter() - started
    episodes = len(list(store.trajectories()))
    return {
        "episodes": episodes,
        "seconds": seconds,
        "ms_per_episode": 1000 * seconds / episodes,
        "html_mb": (store.directory / REPORT_HTML).stat().st_size / 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000")
    args = parser.parse_args()
    console = Console()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        with console.status("playing the smoke suite"):
            smoke = smoke_run(Path(scratch) / "smoke")
        rows.append(timed_report(smoke))
        for size in (int(n) for n in args.sizes.split(",")):
            with console.status(f"building a run of {size} episodes"):
                scaled = scaled_copy(smoke, Path(scratch) / f"x{size}", size)
            rows.append(timed_report(scaled))
    table = Table(title="Report build (report.html + report.json)")
    for column in ("episodes", "seconds", "ms/episode", "report.html MB"):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(
            str(row["episodes"]),
            f"{row['seconds']:.2f}",
            f"{row['ms_per_episode']:.2f}",
            f"{row['html_mb']:.1f}",
        )
    console.print(table)
    growth = rows[-1]["ms_per_episode"] / rows[0]["ms_per_episode"]
    console.print(
        f"per-episode cost at {rows[-1]['episodes']} episodes: {growth:.2f}x its cost at "
        f"{rows[0]['episodes']}"
    )
    print(json.dumps({"bench": "report", "rows": rows, "per_episode_growth": round(growth, 3)}))


if __name__ == "__main__":
    main()
