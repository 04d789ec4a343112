"""The trajectory vocabulary: construction rules and the versioned JSON round trip."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from undertow.record import (
    SCHEMA_VERSION,
    Action,
    Claim,
    EpisodeKey,
    EpisodeSpec,
    EpisodeStatus,
    ErrorEvent,
    ErrorRaised,
    ErrorResolved,
    Outcome,
    Role,
    Severity,
    Step,
    SubtaskOutcome,
    Trajectory,
    TrajectoryFormatError,
    Usage,
)


def sample_trajectory() -> Trajectory:
    root = ErrorEvent(
        id="e1", step=1, kind="wrong_fix", role=Role.WRONG_WORK, object="src/a.py", resolved_at=3
    )
    child = ErrorEvent(
        id="e2",
        step=2,
        kind="regression",
        role=Role.REGRESSION,
        severity=Severity.HIGH,
        object="T-2",
        caused_by=["e1"],
        exposed_at=3,
    )
    return Trajectory(
        key=EpisodeKey(scenario="repo-small", variant="perturbed", seed=7, agent="sloppy", trial=1),
        episode=EpisodeSpec(
            env="undertow/Repo-v0", options={"perturb": True}, perturbed=True, difficulty=1
        ),
        task="Fix the sprint's tickets.",
        steps=[
            Step(
                index=0,
                action=Action(tool="read_file", args={"path": "src/a.py"}),
                observation="def f(): ...",
                probes={"hidden_pass": {"T-1": 0}},
                usage=Usage(prompt_tokens=120, completion_tokens=30, cost_usd=0.0004, retries=1),
            ),
            Step(
                index=1,
                action=Action(tool="write_file", args={"path": "src/a.py", "content": "x"}),
                observation="wrote 1 byte",
                ledger=[ErrorRaised(error=root)],
            ),
            Step(
                index=2,
                action=None,
                raw_action='{"tool": "run_tests",',
                observation="invalid action: not valid JSON",
                ledger=[ErrorRaised(error=child)],
            ),
            Step(
                index=3,
                action=Action(tool="submit_ticket", args={"id": "T-1"}, confidence=0.9),
                observation="submitted",
                terminated=True,
                reward=1.0,
                ledger=[ErrorResolved(error_id="e1")],
            ),
        ],
        ledger=[root, child],
        claims=[Claim(step=3, subject="T-1", confidence=0.9, text="fixed the off-by-one")],
        outcome=Outcome(
            success=False,
            score=0.5,
            subtasks=[
                SubtaskOutcome(id="T-1", success=True, score=1.0),
                SubtaskOutcome(id="T-2", success=False, score=0.0, detail="2 hidden tests fail"),
            ],
        ),
        status=EpisodeStatus.COMPLETED,
        metadata={"canary": "undertow-canary"},
    )


def test_json_round_trip_is_lossless() -> None:
    original = sample_trajectory()
    text = original.to_json()
    assert "\n" not in text  # one record per line in the run store
    restored = Trajectory.from_json(text)
    assert restored == original
    assert restored.to_json() == text
    assert isinstance(restored.steps[1].ledger[0], ErrorRaised)
    assert isinstance(restored.steps[3].ledger[0], ErrorResolved)
    assert restored.ledger[1].severity is Severity.HIGH


def test_json_carries_the_schema_version() -> None:
    data = json.loads(sample_trajectory().to_json())
    assert data["schema_version"] == SCHEMA_VERSION


def test_other_schema_version_is_refused_with_advice() -> None:
    data = json.loads(sample_trajectory().to_json())
    data["schema_version"] = SCHEMA_VERSION + 1
    with pytest.raises(TrajectoryFormatError, match=r"schema_version 3.*reads versions 1 to 2"):
        Trajectory.from_json(json.dumps(data))
    data["schema_version"] = "2"
    with pytest.raises(TrajectoryFormatError, match=r"schema_version '2'"):
        Trajectory.from_json(json.dumps(data))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"schema_version": 2}', "does not match the schema"),
    ],
)
def test_malformed_records_are_refused(text: str, message: str) -> None:
    with pytest.raises(TrajectoryFormatError, match=message):
        Trajectory.from_json(text)


def test_episode_key_id_is_stable_and_hashable() -> None:
    key = EpisodeKey(scenario="helpdesk", seed=3, agent="oracle")
    assert key.id == "helpdesk/original/3/oracle/0"
    assert {key: 1}[EpisodeKey(scenario="helpdesk", seed=3, agent="oracle")] == 1


def test_confidence_must_be_a_probability() -> None:
    with pytest.raises(ValidationError):
        Action(tool="finish", confidence=1.5)
    with pytest.raises(ValidationError):
        Claim(step=0, subject="episode", confidence=-0.1)


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError):
        Action.model_validate({"tool": "x", "argz": {}})


def test_error_cannot_be_resolved_before_it_happened() -> None:
    with pytest.raises(ValidationError, match="resolved at step 1, before it happened at step 4"):
        ErrorEvent(id="e", step=4, kind="k", role=Role.OMISSION, object="o", resolved_at=1)
    with pytest.raises(ValidationError, match="exposed at step 2, before it happened at step 4"):
        ErrorEvent(id="e", step=4, kind="k", role=Role.OMISSION, object="o", exposed_at=2)


def test_error_cannot_cause_itself() -> None:
    with pytest.raises(ValidationError, match="lists itself"):
        ErrorEvent(id="e", step=4, kind="k", role=Role.WASTE, object="o", caused_by=["e"])


def test_ledger_links_must_point_to_earlier_errors() -> None:
    key = EpisodeKey(scenario="s", seed=0, agent="a")
    early = ErrorEvent(id="e1", step=5, kind="k", role=Role.LEAK, object="o", caused_by=["e2"])
    late = ErrorEvent(id="e2", step=6, kind="k", role=Role.LEAK, object="o")
    with pytest.raises(ValidationError, match="caused_by 'e2', which is not an earlier error"):
        Trajectory(key=key, ledger=[early, late])
    with pytest.raises(ValidationError, match="twice"):
        Trajectory(key=key, ledger=[late, late])


def test_errored_episode_keeps_partial_steps_and_cause() -> None:
    key = EpisodeKey(scenario="s", seed=0, agent="a")
    trajectory = Trajectory(
        key=key,
        steps=[Step(index=0, action=Action(tool="run"), observation="ok")],
        status=EpisodeStatus.ERRORED,
        error="SandboxUnavailable: container stopped answering",
    )
    restored = Trajectory.from_json(trajectory.to_json())
    assert restored.status is EpisodeStatus.ERRORED
    assert len(restored.steps) == 1
    assert restored.outcome is None


def test_every_error_needs_its_role() -> None:
    with pytest.raises(ValidationError, match="role"):
        ErrorEvent(id="e", step=0, kind="wrong_fix", object="o")
    with pytest.raises(ValidationError, match="role"):
        ErrorEvent(id="e", step=0, kind="wrong_fix", role="whatever", object="o")
