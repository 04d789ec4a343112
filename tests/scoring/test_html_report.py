"""report.html: self-contained, safe with hostile text, and working in a real Chromium."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import run_undertow
from tests.scoring.runs import FAMILIES, make_run
from undertow.scoring.html_report import script_json, write_report


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One small run per env family."""
    root = tmp_path_factory.mktemp("runs")
    return {
        family: make_run(root / family, [scenario]).directory
        for family, scenario in FAMILIES.items()
    }


def test_report_is_one_file_that_fetches_nothing(runs: dict[str, Path]) -> None:
    html_path, json_path, data = write_report(runs["helpdesk"])
    html = html_path.read_text()
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=|url\((?!#)|@import", html)
    addresses = set(re.findall(r"https?://[^\s\"')<]*", html))
    assert addresses <= {"http://www.w3.org/2000/svg"}, "the SVG namespace is a name, not a fetch"
    report = json.loads(json_path.read_text())
    assert set(report) >= {"run", "summary", "charts", "episodes", "scores"}
    assert len(report["episodes"]) == len(data.details) == 15


def test_script_data_cannot_close_its_script_block() -> None:
    text = script_json([{"id": "</script><script>alert(1)</script>"}])
    assert "</script>" not in text and "<" not in text
    assert json.loads(text) == [{"id": "</script><script>alert(1)</script>"}]


def test_report_command_writes_both_files_and_bad_input_exits_2(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    result = run_undertow("report", str(runs["orchestra"]))
    assert result.returncode == 0, result.stderr
    assert (runs["orchestra"] / "report.html").is_file()
    result = run_undertow("report", str(tmp_path))
    assert result.returncode == 2 and "not a run directory" in result.stderr
    assert "Traceback" not in result.stderr


def open_report(browser: Any, path: Path) -> tuple[Any, list[tuple[str, str]]]:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    problems: list[tuple[str, str]] = []
    page.on(
        "console",
        lambda m: problems.append((m.type, m.text)) if m.type in ("error", "warning") else None,
    )
    page.on("pageerror", lambda e: problems.append(("pageerror", str(e))))
    page.goto(path.as_uri())
    page.wait_for_selector("#episode-list tbody tr")
    return page, problems


@pytest.mark.parametrize("family", list(FAMILIES))
def test_report_renders_in_chromium(
    browser: Any, runs: dict[str, Path], artifacts: Path, family: str
) -> None:
    html_path, _, data = write_report(runs[family])
    page, problems = open_report(browser, html_path)
    assert page.locator("table.summary[data-split=public] tbody tr").count() == 3
    assert page.locator("table.summary[data-split=held_out] tbody tr").count() == 3
    # n is independent worlds: four public seeds of one scenario, one held-out
    assert page.locator("table.summary[data-split=public] td.worlds").all_inner_texts() == ["4"] * 3
    assert (
        page.locator("table.summary[data-split=held_out] td.worlds").all_inner_texts() == ["1"] * 3
    )
    verdicts = page.locator("table.differences td.verdict").all_inner_texts()
    assert verdicts and all(v in ("not enough worlds (4 < 10)", "") or "not estimable" in v
                            for v in verdicts), verdicts  # fmt: skip
    assert page.locator("#charts svg.chart").count() >= 4  # 3 reliability diagrams + curves
    assert page.locator("#episode-list tbody tr").count() == 15
    page.check("#f-failures")
    failures = sum(e["success"] is False or e["status"] == "errored" for e in data.episodes)
    assert page.locator("#episode-list tbody tr").count() == failures > 0
    page.select_option("#f-agent", "sloppy")
    page.locator("#episode-list tbody tr").first.click()
    page.wait_for_selector("#episode table.timeline tr td")
    opened = data.episodes[
        int(page.locator("#episode-list tbody tr").first.get_attribute("data-n"))
    ]
    assert page.locator("#episode table.timeline tr").count() == 1 + min(200, opened["steps"])
    assert page.locator("#episode table.ledger tr").count() == 1 + opened["errors"]
    assert (page.locator("#episode .graph svg").count() >= 2) == (family == "orchestra")
    page.screenshot(path=str(artifacts / f"report-{family}.png"), full_page=True)
    assert problems == []
    page.close()


@pytest.mark.slow
def test_a_thousand_episode_report_pages_and_opens_lazily(
    browser: Any, tmp_path: Path, artifacts: Path
) -> None:
    store = make_run(
        tmp_path / "big",
        ["{name: research, env: undertow/Orchestra-v0, options: {difficulty: 1}}"],
        agents="[oracle, {id: sloppy, options: {p: 0.5, seed: 1}}]",
        seeds="{public: 0-499}",
    )
    html_path, _, data = write_report(store.directory)
    assert len(data.episodes) == 1000
    page, problems = open_report(browser, html_path)
    assert page.locator("#episode-list tbody tr").count() == 50
    assert "page 1 of 20" in page.inner_text("#page")
    assert page.evaluate("document.querySelectorAll('table.timeline').length") == 0, (
        "no page open yet"
    )
    for _ in range(19):
        page.click("#next")
    assert "page 20 of 20" in page.inner_text("#page")
    page.locator("#episode-list tbody tr").last.click()
    page.wait_for_selector("#episode table.timeline tr td")
    page.screenshot(path=str(artifacts / "report-1000.png"))
    assert problems == []
    page.close()


def test_compare_page_renders_in_chromium(
    browser: Any, runs: dict[str, Path], tmp_path: Path, artifacts: Path
) -> None:
    result = run_undertow("compare", str(runs["orchestra"]), "--out", str(tmp_path / "cmp"))
    assert result.returncode == 0, result.stderr
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto((tmp_path / "cmp" / "compare.html").as_uri())
    assert page.locator("table.contenders tbody tr").count() == 3
    assert page.locator("table.differences tbody tr").count() > 0
    assert page.locator("svg.chart").count() == 3  # one chart per pair
    page.screenshot(path=str(artifacts / "compare.png"), full_page=True)
    assert problems == []
    page.close()


@pytest.mark.slow
def test_the_smoke_suites_report_reads_correctly_at_its_n(
    browser: Any, tmp_path: Path, artifacts: Path
) -> None:
    """The built-in smoke suite: 12 public and 6 held-out worlds per agent, one trial each.
    The page says so, calls what twelve worlds can show and no more, and says "not
    estimable" where a figure has no support."""
    out = tmp_path / "smoke"
    ran = run_undertow("run", "smoke", "--sandbox", "local", "--out", str(out), timeout=900)
    assert ran.returncode == 0, ran.stderr
    page, problems = open_report(browser, out / "report.html")
    note = page.inner_text("#unit-note")
    assert "12 public and 6 held-out worlds, 1 trial each" in note
    public = "table.summary[data-split=public]"
    assert page.locator(f"{public} td.worlds").all_inner_texts() == ["12"] * 4
    held_out = "table.summary[data-split=held_out]"
    assert page.locator(f"{held_out} td.worlds").all_inner_texts() == ["6"] * 4
    rows = {
        row.locator("td").first.inner_text(): row
        for row in page.locator(f"{public} tbody tr").all()
    }
    assert rows["oracle"].locator("td.success").inner_text() == "12/12 = 1.00 [0.76, 1.00]"
    errors = {
        row.locator("td").first.inner_text(): row
        for row in page.locator("table.errors[data-split=public] tbody tr").all()
    }
    assert errors["oracle"].locator("td.first-error").inner_text() == "not estimable"
    assert errors["noop"].locator("td.first-error").inner_text() == "0 [0, 0]"
    assert errors["noop"].locator("td").nth(4).inner_text() == "not estimable"
    differences = {
        (cells[0], cells[1], cells[3]): cells
        for cells in (
            row.locator("td").all_inner_texts()
            for row in page.locator("table.differences tbody tr").all()
        )
    }
    # four of twelve worlds differ: McNemar's p = 0.125, no verdict (the p was 1.2e-7)
    noop_sloppy = differences[("noop", "sloppy", "success")]
    assert noop_sloppy[2] == "12" and noop_sloppy[-1].startswith("too few worlds differ")
    assert differences[("noop", "oracle", "success")][-1] == "oracle higher (better)"
    assert differences[("noop", "oracle", "commission_per_attempted_subtask")][4] == (
        "not estimable"
    )
    assert "No scenario of this run varies its length or difficulty" in page.inner_text("#charts")
    page.screenshot(path=str(artifacts / "report-smoke.png"), full_page=True)
    assert problems == []
    page.close()
