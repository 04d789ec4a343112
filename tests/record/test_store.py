"""The run store: checksummed records, torn tails cut, corruption reported, manifest."""

from __future__ import annotations

from pathlib import Path

import pytest

from undertow.record import CANARY, EpisodeKey, Trajectory
from undertow.record.store import RunStore, RunStoreError, read_records


def trajectory(seed: int) -> Trajectory:
    return Trajectory(
        key=EpisodeKey(scenario="s", seed=seed, agent="a"), metadata={"canary": CANARY}
    )


def new_store(tmp_path: Path) -> RunStore:
    return RunStore.create(tmp_path / "run", "name: x", {"seeds": {"public": [0]}}, 3)


def test_records_round_trip_with_manifest(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    for seed in range(3):
        store.append(trajectory(seed))
    reading = store.read()
    assert [t.key.seed for t in reading.trajectories] == [0, 1, 2]
    assert reading.corrupted == [] and not reading.torn_tail
    manifest = store.manifest()
    assert manifest["canary"] == CANARY
    assert manifest["episodes"] == 3 and manifest["ended_at"] is None
    store.mark_finished()
    assert store.manifest()["ended_at"] is not None


def test_torn_last_line_is_ignored_then_cut_before_appending(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    store.append(trajectory(0))
    with open(store.trajectories_path, "ab") as handle:
        handle.write(b'deadbeef\t{"schema_version": 1, "key"')  # killed mid-write
    reading = store.read()
    assert reading.torn_tail and len(reading.trajectories) == 1
    assert store.prepare_append() == {"s/original/0/a/0"}
    store.append(trajectory(1))
    reading = store.read()
    assert [t.key.seed for t in reading.trajectories] == [0, 1]
    assert not reading.torn_tail and reading.corrupted == []


def test_corrupted_record_is_reported_and_others_stay_readable(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    for seed in range(3):
        store.append(trajectory(seed))
    lines = store.trajectories_path.read_bytes().splitlines(keepends=True)
    lines[1] = lines[1].replace(b'"seed":1', b'"seed":7')
    store.trajectories_path.write_bytes(b"".join(lines))
    reading = read_records(store.trajectories_path)
    assert reading.corrupted == [2]
    assert [t.key.seed for t in reading.trajectories] == [0, 2]


def test_create_refuses_an_existing_run(tmp_path: Path) -> None:
    new_store(tmp_path)
    with pytest.raises(RunStoreError, match="already holds a run; resume it with --resume"):
        new_store(tmp_path)


def test_open_explains_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(RunStoreError, match="no run directory"):
        RunStore.open(tmp_path / "nothing")
    with pytest.raises(RunStoreError, match=r"has no manifest\.json"):
        RunStore.open(tmp_path)
