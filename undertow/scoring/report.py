"""Scores of a run directory: compute them, and write ``scores.json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from undertow.errors import UndertowError
from undertow.scoring.score import score_views
from undertow.scoring.view import read_views

SCORES = "scores.json"


def score_directory(directory: Path) -> dict[str, Any]:
    """Score the run in ``directory`` and write ``scores.json`` there; ``skipped_lines`` lists
    records that could not be read."""
    records = Path(directory) / "trajectories.jsonl"
    if not records.is_file():
        raise UndertowError(f"{directory} is not a run directory: it has no trajectories.jsonl")
    views, bad = read_views(records)
    if not views:
        raise UndertowError(f"{directory} holds no finished episodes to score")
    scores = score_views(views)
    scores["skipped_lines"] = bad
    write_scores(Path(directory), scores)
    return scores


def write_scores(directory: Path, scores: dict[str, Any]) -> None:
    (directory / SCORES).write_text(json.dumps(scores, indent=2))
