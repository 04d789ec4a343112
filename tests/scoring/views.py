"""Hand-built episode views for the scorers' known-answer tests."""

from __future__ import annotations

from typing import Any

from undertow.scoring.view import EpisodeView, ErrorView


def error(
    id: str, step: int, role: str = "wrong_work", caused_by: tuple[str, ...] = ()
) -> ErrorView:
    return ErrorView(id, step, "kind", role, id, caused_by, None)


def view(
    agent: str = "a",
    seed: int = 0,
    trial: int = 0,
    success: bool | None = True,
    *,
    scenario: str = "s",
    variant: str = "original",
    steps: int = 10,
    status: str = "completed",
    ledger: list[ErrorView] | None = None,
    subtasks: int = 4,
    **fields: Any,
) -> EpisodeView:
    """One episode; ``success=None`` with ``status="errored"`` for an episode that crashed."""
    return EpisodeView(
        scenario=scenario,
        variant=variant,
        seed=seed,
        agent=agent,
        trial=trial,
        held_out=False,
        status=status,
        steps=steps,
        ledger=list(ledger or []),
        success=success,
        score=None if success is None else float(success),
        subtasks={f"T{i}": bool(success) for i in range(subtasks)} if success is not None else {},
        **fields,
    )


def errored(agent: str = "a", seed: int = 0, trial: int = 0, **fields: Any) -> EpisodeView:
    return view(agent, seed, trial, None, status="errored", steps=3, **fields)
