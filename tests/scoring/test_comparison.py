"""undertow compare: a real difference is called, no difference is not, too few worlds call
nothing, bad input is named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_undertow
from tests.scoring.runs import FAMILIES, make_run
from undertow.errors import UndertowError
from undertow.scoring.comparison import compare_runs, write_comparison
from undertow.scoring.paired import episode_brier, verdict
from undertow.scoring.view import EpisodeView

SEEDS = "{public: 0-9}"


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Oracle and sloppy, twice, on the same seeds."""
    root = tmp_path_factory.mktemp("cmp")
    agents = "[oracle, {id: sloppy, options: {p: 0.5, seed: 2}}]"
    first = make_run(root / "first", [FAMILIES["orchestra"]], agents, SEEDS).directory
    second = make_run(root / "second", [FAMILIES["orchestra"]], agents, SEEDS).directory
    return first, second


def pair(result: dict, a: str, b: str) -> dict:
    return next(c for c in result["comparisons"] if {c["a"], c["b"]} == {a, b})


def test_oracle_against_sloppy_is_called(two_runs: tuple[Path, Path]) -> None:
    result = compare_runs([two_runs[0]])
    comparison = pair(result, "oracle", "sloppy")
    assert comparison["worlds"] == 10
    success = comparison["metrics"]["success"]
    assert success["called"] and success["value"] > 0 and comparison["a"] == "oracle"
    assert success["p_adjusted"] < 0.05 and success["worlds"] == 10
    assert comparison["metrics"]["errors_per_100_steps"]["called"]
    assert verdict("success", success, "oracle", "sloppy") == "oracle higher (better)"
    assert comparison["mcnemar_p"] < 0.05
    assert result["differences_tested"] > 0
    assert f"{result['differences_tested']} differences tested" in result["note"]


def test_the_same_agent_on_the_same_seeds_twice_shows_no_difference(
    two_runs: tuple[Path, Path],
) -> None:
    result = compare_runs(list(two_runs), agents=["sloppy"])
    assert set(result["contenders"]) == {"sloppy@first", "sloppy@second"}
    (comparison,) = result["comparisons"]
    assert comparison["worlds"] == 10
    assert not any(d["called"] for d in comparison["metrics"].values())
    first, second = (result["contenders"][c]["values"] for c in ("sloppy@first", "sloppy@second"))
    assert first == second, "same episodes, same intervals"


def test_episode_brier_by_hand() -> None:
    view = EpisodeView(
        scenario="s", variant="original", seed=0, agent="a", trial=0, held_out=False,
        status="completed", steps=3, ledger=[], success=False, score=0.5,
        subtasks={"T1": True, "T2": False}, subtask_claims={"T1": 0.8, "T2": 0.6, "T3": 0.9},
    )  # fmt: skip
    assert episode_brier(view) == pytest.approx(((0.8 - 1) ** 2 + 0.6**2) / 2)


def test_too_few_worlds_call_nothing(two_runs: tuple[Path, Path], tmp_path: Path) -> None:
    """The same two agents on three of the worlds: the differences are real, but three worlds
    cannot show it, and the output says so."""
    few = tmp_path / "few"
    few.mkdir()
    lines = (two_runs[0] / "trajectories.jsonl").read_text().splitlines(keepends=True)
    kept = [line for line in lines if json.loads(line.split("\t", 1)[1])["key"]["seed"] < 3]
    (few / "trajectories.jsonl").write_text("".join(kept))
    comparison = pair(compare_runs([few]), "oracle", "sloppy")
    assert comparison["worlds"] == 3
    for metric, difference in comparison["metrics"].items():
        assert not difference["called"], metric
        if difference["value"] is not None:
            assert difference["why_not_called"] == "not enough worlds (3 < 10)"
            assert verdict(metric, difference, "oracle", "sloppy") == "not enough worlds (3 < 10)"


def test_compare_writes_json_and_html(two_runs: tuple[Path, Path], tmp_path: Path) -> None:
    result = compare_runs(list(two_runs))
    json_path, html_path = write_comparison(result, tmp_path / "out")
    assert json_path.is_file() and "sloppy@second" in html_path.read_text()
    assert len(result["comparisons"]) == 6  # four contenders, every pair


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (lambda runs, tmp: [str(tmp)], "not a run directory"),
        (lambda runs, tmp: [str(runs[0]), "--agent", "nobody"], "--agent nobody: not in these"),
        (lambda runs, tmp: [str(runs[0]), "--agent", "oracle"], "at least two agents"),
    ],
)
def test_bad_input_is_named_and_exits_2(
    two_runs: tuple[Path, Path],
    tmp_path: Path,
    make_args,
    message: str,  # type: ignore[no-untyped-def]
) -> None:
    result = run_undertow("compare", *make_args(two_runs, tmp_path), "--out", str(tmp_path / "o"))
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_the_terminal_table_shows_verdicts(two_runs: tuple[Path, Path], tmp_path: Path) -> None:
    result = run_undertow("compare", str(two_runs[0]), "--out", str(tmp_path / "o"))
    assert result.returncode == 0, result.stderr
    assert "oracle higher (better)" in result.stdout and (tmp_path / "o" / "compare.html").is_file()


def test_unknown_directory_raises_for_library_users(tmp_path: Path) -> None:
    with pytest.raises(UndertowError):
        compare_runs([tmp_path])
