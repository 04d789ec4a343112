"""The run record: the trajectory model, the store format and its one reader.

Everything that writes or reads what an episode did goes through this package:
:mod:`undertow.record.model` (the vocabulary: actions, steps, errors, claims, outcomes,
trajectories) and :mod:`undertow.record.store` (run directories, the checksummed record
format and the reader that checks checksums and schema versions).
"""

from undertow.record.model import (
    CANARY,
    SCHEMA_VERSION,
    Action,
    Claim,
    Confidence,
    EpisodeKey,
    EpisodeSpec,
    EpisodeStatus,
    ErrorEvent,
    ErrorRaised,
    ErrorResolved,
    LedgerEvent,
    Outcome,
    PlanItem,
    Role,
    Severity,
    Step,
    SubtaskOutcome,
    Trajectory,
    TrajectoryFormatError,
    Usage,
)

__all__ = [
    "CANARY",
    "SCHEMA_VERSION",
    "Action",
    "Claim",
    "Confidence",
    "EpisodeKey",
    "EpisodeSpec",
    "EpisodeStatus",
    "ErrorEvent",
    "ErrorRaised",
    "ErrorResolved",
    "LedgerEvent",
    "Outcome",
    "PlanItem",
    "Role",
    "Severity",
    "Step",
    "SubtaskOutcome",
    "Trajectory",
    "TrajectoryFormatError",
    "Usage",
]
