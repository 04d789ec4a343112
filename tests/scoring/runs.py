"""Small real runs for the report and comparison tests."""

from __future__ import annotations

from pathlib import Path

from undertow.record.store import RunStore
from undertow.scenarios.runner import run_episodes
from undertow.scenarios.suite import expand, parse_suite

FAMILIES = {
    "repo": "{name: repo, env: undertow/Repo-v0, options: {tickets: 2, sandbox: local}}",
    "helpdesk": "{name: helpdesk, env: undertow/Helpdesk-v0, "
    "options: {days: 1, tickets_per_day: 8}}",
    "orchestra": "{name: orchestra, env: undertow/Orchestra-v0}",
}


def make_run(
    directory: Path,
    scenarios: list[str],
    agents: str = "[oracle, {id: sloppy, options: {p: 0.5, seed: 3}}, noop]",
    seeds: str = "{public: 0-3, held_out: [50]}",
    extra: str = "",
) -> RunStore:
    """Run a suite of these scenarios into ``directory`` and return its store."""
    text = (
        "name: report-test\nscenarios:\n"
        + "".join(f"  - {s}\n" for s in scenarios)
        + f"agents: {agents}\nseeds: {seeds}\n{extra}"
    )
    suite = parse_suite(text, "test")
    episodes = expand(suite)
    store = RunStore.create(directory, text, suite.model_dump(mode="json"), len(episodes))
    run_episodes(episodes, store, parallel=2)
    store.mark_finished()
    return store
