"""Records of older schema versions are upgraded on reading; golden records keep the format
honest: a change to the model that breaks them needs a migration (and a new golden file)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from undertow.record import Role, Trajectory
from undertow.record.migrations import upgrade
from undertow.record.store import encode_record, read_records, scan_records
from undertow.scoring.view import read_views

GOLDEN = Path(__file__).parent / "golden"


def test_version_1_records_written_by_the_earlier_release_are_upgraded() -> None:
    reading = read_records(GOLDEN / "v1.jsonl")
    assert reading.corrupted == [] and len(reading.trajectories) == 3
    by_env = {t.episode.env: t for t in reading.trajectories}
    assert set(by_env) == {"undertow/Repo-v0", "undertow/Helpdesk-v0", "undertow/Orchestra-v0"}
    repo, orchestra = by_env["undertow/Repo-v0"], by_env["undertow/Orchestra-v0"]
    assert repo.episode.held_out and repo.episode.difficulty == 1 and not repo.episode.perturbed
    assert orchestra.episode.perturbed and not orchestra.episode.held_out
    assert "env" not in repo.metadata and "held_out" not in repo.metadata
    (error,) = repo.ledger
    assert error.role is Role.WRONG_WORK  # a wrong_fix of version 1
    raised = [e.error for s in repo.steps for e in s.ledger if e.type == "raised"]
    assert [e.role for e in raised] == [Role.WRONG_WORK]
    assert "provenance" in orchestra.artifacts


def test_every_v1_kind_gets_its_role() -> None:
    record = {
        "schema_version": 1,
        "key": {"scenario": "s", "seed": 0, "agent": "a"},
        "ledger": [
            {"id": f"E{i}", "step": 0, "kind": kind, "object": "o"}
            for i, kind in enumerate(["test_tampering", "secret_leak", "lost_work", "odd"])
        ],
    }
    roles = [e["role"] for e in upgrade(record)["ledger"]]
    assert roles == ["tampering", "leak", "omission", "wrong_work"]


def test_current_version_golden_records_read_and_write_back_byte_for_byte() -> None:
    lines = (GOLDEN / "v2.jsonl").read_bytes().splitlines(keepends=True)
    assert len(lines) >= 3
    records = list(scan_records(GOLDEN / "v2.jsonl"))
    assert [r.problem for r in records] == [None] * len(lines)
    for line, record in zip(lines, records, strict=True):
        trajectory = Trajectory.model_validate(record.data)
        assert encode_record(trajectory) == line
    roles = {e["role"] for r in records if r.data for e in r.data["ledger"]}
    assert {"wrong_work", "omission"} <= roles


def test_the_reader_and_the_scorers_refuse_the_same_records(tmp_path: Path) -> None:

    good = (GOLDEN / "v2.jsonl").read_bytes().splitlines(keepends=True)[0]
    payload = good.rstrip(b"\n").partition(b"\t")[2]
    future = json.loads(payload)
    future["schema_version"] = 99
    future_payload = json.dumps(future).encode()
    path = tmp_path / "trajectories.jsonl"
    wrong_checksum = b"0" * 64 + b"\t" + payload + b"\n"
    future_line = hashlib.sha256(future_payload).hexdigest().encode() + b"\t" + future_payload
    path.write_bytes(good + wrong_checksum + future_line + b"\n" + good[:40])  # torn tail
    reading = read_records(path)
    views, bad = read_views(path)
    assert reading.corrupted == bad == [2, 3]
    assert len(reading.trajectories) == len(views) == 1 and reading.torn_tail
    problems = [r.problem for r in scan_records(path)]
    assert problems[1] == "checksum mismatch" and "schema_version 99" in problems[2]
