"""The report's data, checked by hand against the trajectories it comes from."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path

import pytest

from tests.scoring.runs import FAMILIES, make_run
from undertow.errors import UndertowError
from undertow.scoring.report_data import build_report_data, cascade_layout, pack
from undertow.scoring.stats import wilson_interval


@pytest.fixture(scope="module")
def orchestra(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = make_run(tmp_path_factory.mktemp("r") / "run", [FAMILIES["orchestra"]])
    return store.directory


def unpack(blob: str) -> dict:
    return json.loads(gzip.decompress(base64.b64decode(blob)))


def test_every_episode_has_a_row_and_a_page(orchestra: Path) -> None:
    data = build_report_data(orchestra)
    assert len(data.episodes) == len(data.details) == 3 * 5
    assert [e["n"] for e in data.episodes] == list(range(15))
    assert {e["split"] for e in data.episodes} == {"public", "held-out"}
    for summary, blob in zip(data.episodes, data.details, strict=True):
        detail = unpack(blob)
        assert len(detail["timeline"]) == summary["steps"]
        assert len(detail["ledger"]) == summary["errors"]
        assert detail["provenance"]["nodes"], "orchestra episodes carry their provenance"


def test_the_timeline_counts_open_errors_as_the_ledger_does(orchestra: Path) -> None:
    data = build_report_data(orchestra)
    for summary, blob in zip(data.episodes, data.details, strict=True):
        detail = unpack(blob)
        for row in detail["timeline"]:
            expected = sum(
                1
                for e in detail["ledger"]
                if e["step"] <= row["i"]
                and (e["resolved_at"] is None or e["resolved_at"] > row["i"])
            )
            assert row["open"] == expected, (summary["id"], row["i"])
        raised = [ev[1] for row in detail["timeline"] for ev in row["events"] if ev[0] == "raised"]
        assert raised == [e["id"] for e in detail["ledger"]]


def test_headline_intervals_are_wilson_and_splits_are_apart(orchestra: Path) -> None:
    data = build_report_data(orchestra)
    oracle = data.summary["oracle"]
    assert set(oracle) == {"public", "held_out"}
    success = oracle["public"]["success"]
    assert (success["k"], success["n"]) == (4, 4)
    assert (success["low"], success["high"]) == pytest.approx(wilson_interval(4, 4))
    assert oracle["held_out"]["success"]["n"] == 1
    assert data.summary["noop"]["public"]["score"] == {
        "value": 0.0,
        "low": 0.0,
        "high": 0.0,
        "worlds": 4,
        "why": None,
    }
    assert oracle["public"]["worlds"] == 4 and oracle["held_out"]["worlds"] == 1
    assert data.json()["run"]["episodes"] == 15
    assert data.run["worlds"] == {"public": 4, "held_out": 1}
    assert data.run["trials"] == 1 and data.run["min_worlds"] == 10


def copy_run(source: Path, target: Path, lines: list[bytes]) -> Path:
    target.mkdir()
    (target / "manifest.json").write_bytes((source / "manifest.json").read_bytes())
    (target / "trajectories.jsonl").write_bytes(b"".join(lines))
    return target


def test_reversing_the_records_changes_no_figure_of_the_report(
    orchestra: Path, tmp_path: Path
) -> None:
    lines = (orchestra / "trajectories.jsonl").read_bytes().splitlines(keepends=True)
    forward = build_report_data(orchestra)
    backward = build_report_data(copy_run(orchestra, tmp_path / "reversed", lines[::-1]))
    assert backward.scores == forward.scores
    assert backward.summary == forward.summary
    assert backward.charts == forward.charts
    assert sorted(e["id"] for e in backward.episodes) == sorted(e["id"] for e in forward.episodes)


def test_a_retried_episode_supersedes_its_errored_record(orchestra: Path, tmp_path: Path) -> None:
    """The store is append-only: an episode played again (`--retry-errored`) is appended, and
    every reader keeps the latest record of the episode."""
    from undertow.record import EpisodeStatus, Trajectory
    from undertow.record.store import encode_record
    from undertow.scoring.view import read_views

    lines = (orchestra / "trajectories.jsonl").read_bytes().splitlines(keepends=True)
    good = Trajectory.from_json(lines[0].split(b"\t", 1)[1].decode())
    crashed = good.model_copy(
        update={"status": EpisodeStatus.ERRORED, "outcome": None, "error": "boom"}
    )
    run = copy_run(orchestra, tmp_path / "retried", [encode_record(crashed), *lines])
    views, bad = read_views(run / "trajectories.jsonl")
    assert not bad and len(views) == 15
    mine = [v for v in views if v.episode_key == (good.key.scenario, good.key.variant,
                                                   good.key.seed, good.key.agent, 0)]  # fmt: skip
    assert len(mine) == 1 and mine[0].status == "completed"
    data = build_report_data(run)
    assert len(data.episodes) == len(data.details) == 15
    assert data.scores == build_report_data(orchestra).scores
    assert [e["n"] for e in data.episodes] == list(range(15))


def test_cascade_layout_puts_each_error_at_its_depth() -> None:
    ledger = [
        {"id": "E1", "step": 1, "kind": "a", "object": "x", "caused_by": [], "resolved_at": None},
        {"id": "E2", "step": 2, "kind": "b", "object": "y", "caused_by": ["E1"], "resolved_at": 5},
        {"id": "E3", "step": 3, "kind": "c", "object": "z", "caused_by": ["E2", "E1"]},
        {"id": "E4", "step": 4, "kind": "d", "object": "w", "caused_by": []},
    ]
    layout = cascade_layout(ledger)
    columns = {n["id"]: n["column"] for n in layout["nodes"]}
    assert columns == {"E1": 0, "E2": 1, "E3": 2, "E4": 0}
    assert sorted(map(tuple, layout["edges"])) == [("E1", "E2"), ("E1", "E3"), ("E2", "E3")]
    assert [n["resolved"] for n in layout["nodes"]] == [False, True, False, False]


def test_pages_are_gzip_and_base64(orchestra: Path) -> None:
    detail = {"task": "t", "timeline": [{"obs": "</script><b>x</b>"}]}
    assert unpack(pack(detail)) == detail
    assert set(pack(detail)) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
    )


def test_a_corrupt_record_is_skipped_and_named(orchestra: Path, tmp_path: Path) -> None:
    copy = tmp_path / "run"
    copy.mkdir()
    lines = (orchestra / "trajectories.jsonl").read_bytes().splitlines(keepends=True)
    (copy / "trajectories.jsonl").write_bytes(lines[0] + b"garbage\tnot json\n" + lines[1])
    data = build_report_data(copy)
    assert data.skipped_lines == [2] and len(data.episodes) == 2


def test_not_a_run_directory_says_so(tmp_path: Path) -> None:
    with pytest.raises(UndertowError, match="not a run directory"):
        build_report_data(tmp_path)
