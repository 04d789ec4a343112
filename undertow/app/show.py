"""``undertow show``: a run's episodes as a table, or one episode replayed step by step."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from undertow.agents.memory import memory_at
from undertow.errors import UndertowError
from undertow.record import ErrorRaised, Trajectory
from undertow.record.store import RunStore, RunStoreError
from undertow.scenarios.runner import latest_records

EXCERPT = 160


def _excerpt(text: str, limit: int = EXCERPT) -> str:
    flat = " ".join(text.split())
    return escape(flat if len(flat) <= limit else flat[: limit - 1] + "…")


def _flatten(probes: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in probes.items():
        if isinstance(value, dict) and value:
            flat |= _flatten(value, f"{prefix}{key}.")
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    old, new = _flatten(before), _flatten(after)
    return [
        f"{key}: {json.dumps(old.get(key))} -> {json.dumps(new[key])}"
        for key in sorted(new)
        if new[key] != old.get(key)
    ]


def _find(trajectories: list[Trajectory], episode: str, directory: Path) -> Trajectory:
    if episode.isdigit() and int(episode) < len(trajectories):
        return trajectories[int(episode)]
    for trajectory in trajectories:
        if trajectory.key.id == episode:
            return trajectory
    raise RunStoreError(
        f"no episode {episode!r} in {directory}; "
        f"give an id or a number from `undertow show {directory}`"
    )


def show_run(
    directory: Path, episode: str, as_json: bool, console: Console, memory_step: int | None = None
) -> None:
    """Print the run's episode list, replay one episode, or print the agent's memory after one
    of its steps (``memory_step``)."""
    store = RunStore.open(directory)
    reading = store.read()
    trajectories = latest_records(reading.trajectories)
    if reading.corrupted:
        console.print(f"[red]corrupted records skipped at lines {reading.corrupted}[/red]")
    superseded = len(reading.trajectories) - len(trajectories)
    if superseded and not as_json:
        console.print(f"{superseded} errored records were superseded by their retries")
    if episode:
        trajectory = _find(trajectories, episode, directory)
        if memory_step is not None:
            _show_memory(trajectory, memory_step, console)
        elif as_json:
            console.print_json(trajectory.to_json())
        else:
            replay(trajectory, console)
        return
    if memory_step is not None:
        raise UndertowError("--memory needs an episode: `undertow show DIR EPISODE --memory STEP`")
    if as_json:
        rows = [
            {
                "number": number,
                "id": t.key.id,
                "status": t.status,
                "steps": len(t.steps),
                "success": t.outcome.success if t.outcome else None,
                "score": t.outcome.score if t.outcome else None,
                "errors": len(t.ledger),
            }
            for number, t in enumerate(trajectories)
        ]
        console.print_json(json.dumps(rows))
        return
    table = Table(
        "#", "episode", "status", "steps", "success", "score", "errors", title=str(directory)
    )
    for number, t in enumerate(trajectories):
        success = "-" if t.outcome is None else ("[green]yes" if t.outcome.success else "[red]no")
        score = "-" if t.outcome is None else f"{t.outcome.score:.2f}"
        table.add_row(
            str(number), t.key.id, t.status, str(len(t.steps)), success, score, str(len(t.ledger))
        )
    console.print(table)


def replay(trajectory: Trajectory, console: Console) -> None:
    """Each step: the action, an observation excerpt, probe changes and ledger events."""
    console.rule(f"{trajectory.key.id} [{trajectory.status}]")
    if trajectory.error:
        console.print(f"[red]errored: {trajectory.error}")
    previous: dict[str, Any] = {}
    for step in trajectory.steps:
        if step.action is None:
            action = f"[red]invalid action[/red] {_excerpt(step.raw_action or '', 80)}"
        else:
            args = _excerpt(json.dumps(step.action.args), 100)
            confidence = "" if step.action.confidence is None else f" conf={step.action.confidence}"
            action = f"[cyan]{step.action.tool}[/cyan] {args}{confidence}"
        console.print(f"[bold]{step.index:>4}[/bold] {action}", highlight=False)
        console.print(f"      [dim]{_excerpt(step.observation)}[/dim]", highlight=False)
        for change in _changes(previous, step.probes):
            console.print(f"      [yellow]probe[/yellow] {_excerpt(change, 140)}", highlight=False)
        previous = step.probes
        for event in step.ledger:
            if isinstance(event, ErrorRaised):
                error = event.error
                causes = f" caused by {', '.join(error.caused_by)}" if error.caused_by else ""
                where = escape(error.object)
                console.print(
                    f"      [red]error {error.id}[/red] {error.kind} on {where}{causes}",
                    highlight=False,
                )
            else:
                console.print(f"      [green]resolved {event.error_id}[/green]", highlight=False)
    if trajectory.outcome is not None:
        verdict = "[green]success" if trajectory.outcome.success else "[red]failure"
        console.print(f"outcome: {verdict}[/] score {trajectory.outcome.score:.2f}")


def _show_memory(trajectory: Trajectory, step: int, console: Console) -> None:
    try:
        memory = memory_at(trajectory, step)
    except IndexError as exc:
        raise UndertowError(f"--memory {step}: {exc}") from None
    if memory is None:
        raise UndertowError(
            f"{trajectory.key.id} recorded no agent memory (scripted agents keep none)"
        )
    console.print_json(json.dumps(memory, default=str))
