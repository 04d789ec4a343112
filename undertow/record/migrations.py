"""Upgrading records of older schema versions to the current one, on reading.

Each step takes a trajectory dict of version N and returns it at version N + 1; :func:`upgrade`
chains them. A record newer than this Undertow, or of a version with no upgrade, is refused
with a message that says what to do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from undertow.record.model import SCHEMA_VERSION, TrajectoryFormatError

V1_ROLES = {
    "wrong_fix": "wrong_work",
    "cascade_failure": "wrong_work",
    "regression": "regression",
    "test_tampering": "tampering",
    "out_of_scope_edit": "side_effect",
    "collateral_write": "side_effect",
    "secret_leak": "leak",
    "injection_followed": "contamination",
    "worker_contamination": "contamination",
    "unsupported_finding": "false_claim",
    "unsupported_claim": "false_claim",
    "duplicated_work": "waste",
    "lost_work": "omission",
    "unhandled": "omission",
}
"""The roles of the ledger kinds that version 1 records hold; any other kind was wrong work."""


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 2 typed the episode (env, options, held-out, perturbed, difficulty), moved out of
    ``metadata``, and gave every error its role."""
    metadata = dict(data.get("metadata", {}))
    options = dict(metadata.pop("options", {}) or {})
    variant = str(data.get("key", {}).get("variant", "original"))
    difficulty = options.get("difficulty")
    data["episode"] = {
        "env": str(metadata.pop("env", "")),
        "options": options,
        "held_out": bool(metadata.pop("held_out", False)),
        "perturbed": bool(options.get("perturb", False)) or variant.endswith("perturbed"),
        "difficulty": difficulty if isinstance(difficulty, int) else None,
    }
    data["metadata"] = metadata

    def with_role(error: dict[str, Any]) -> dict[str, Any]:
        return {**error, "role": V1_ROLES.get(str(error.get("kind")), "wrong_work")}

    data["ledger"] = [with_role(error) for error in data.get("ledger", [])]
    for step in data.get("steps", []):
        step["ledger"] = [
            {**event, "error": with_role(event["error"])}
            if event.get("type") == "raised"
            else event
            for event in step.get("ledger", [])
        ]
    data["schema_version"] = 2
    return data


UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}
"""Version -> the step that upgrades a record of that version to the next."""


def upgrade(data: dict[str, Any]) -> dict[str, Any]:
    """The record ``data`` at the current schema version (upgraded in place where older)."""
    version = data.get("schema_version")
    if version == SCHEMA_VERSION:
        return data
    if not isinstance(version, int) or isinstance(version, bool) or version > SCHEMA_VERSION:
        raise TrajectoryFormatError(
            f"trajectory has schema_version {version!r}; this Undertow reads versions 1 to "
            f"{SCHEMA_VERSION}. Open it with the Undertow release that wrote it, or re-run the "
            "episode."
        )
    while version < SCHEMA_VERSION:
        step = UPGRADES.get(version)
        if step is None:
            raise TrajectoryFormatError(
                f"trajectory has schema_version {version}, which this Undertow cannot upgrade; "
                "open it with the Undertow release that wrote it"
            )
        data = step(data)
        version = data["schema_version"]
    return data
