"""`undertow run`, `list` and `show` as a user meets them, and their errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from undertow.cli import main
from undertow.contract import CHECKS
from undertow.record.store import RunStore

TINY = """
name: tiny
scenarios:
  - name: repo
    env: undertow/Repo-v0
    options: {tickets: 2}
    limits: {max_steps: 40}
agents: [oracle, noop]
seeds: {public: 0, held_out: [5]}
"""


def undertow(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the command in-process; return (exit code, stdout, stderr)."""
    os.environ["COLUMNS"] = "250"
    try:
        main(list(args))
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def suite_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


def test_run_show_and_list(
    capsys: pytest.CaptureFixture[str], suite_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    code, stdout, stderr = undertow(
        capsys, "run", str(suite_file), "--out", str(out), "--sandbox", "local"
    )
    assert code == 0, stderr
    assert "sandbox: local" in stdout
    assert "oracle" in stdout and "held-out" in stdout
    assert len(list(RunStore.open(out).trajectories())) == 4
    code, stdout, _ = undertow(capsys, "show", str(out))
    assert code == 0 and "repo/original/0/oracle/0" in stdout
    code, stdout, _ = undertow(capsys, "show", str(out), "repo/original/0/oracle/0")
    assert code == 0 and "submit_ticket" in stdout and "outcome: success" in stdout
    code, stdout, _ = undertow(capsys, "show", str(out), "0", "--json")
    assert code == 0 and '"schema_version": 2' in stdout
    code, stdout, _ = undertow(capsys, "list")
    assert code == 0
    for expected in ("undertow/Repo-v0", "smoke", "test-tamperer"):
        assert expected in stdout


BAD_COMMANDS = [
    (["run", "no-such-suite"], "no suite 'no-such-suite'"),
    (["run"], "name a suite"),
    (["run", "{suite}", "--seeds", "3-1"], "--seeds: seed range '3-1' runs backwards"),
    (["run", "{suite}", "--sandbox", "podman"], "--sandbox must be one of auto, docker, local"),
    (["run", "{suite}", "--parallel", "0"], "--parallel must be at least 1"),
    (["run", "{suite}", "--trials", "0"], "--trials must be at least 1"),
    (["run", "{suite}", "--agent", "genius"], "unknown agent 'genius'"),
    (["run", "{suite}", "--api-base", "http://127.0.0.1:9/v1"], "--api-base applies to --model"),
    (["run", "--resume", "{tmp}/missing"], "no run directory"),
    (["run", "--resume", "{tmp}"], "has no manifest.json"),
    (["run", "{suite}", "--resume", "{tmp}"], "give no suite or overrides with it"),
    (["run", "{suite}", "--out", "{tmp}"], "exists and is not empty"),
    (["run", "{suite}", "--retry-errored"], "--retry-errored plays a run's errored episodes"),
    (["run", "{suite}", "--max-error-rate", "2"], "--max-error-rate is a share of the episodes"),
    (["show", "{tmp}/missing"], "no run directory"),
    (["list", "planets"], "cannot list 'planets'"),
]


@pytest.mark.parametrize(("arguments", "message"), BAD_COMMANDS)
def test_bad_commands_are_explained_with_exit_2(
    capsys: pytest.CaptureFixture[str],
    suite_file: Path,
    tmp_path: Path,
    arguments: list[str],
    message: str,
) -> None:
    args = [a.format(suite=suite_file, tmp=tmp_path) for a in arguments]
    code, stdout, stderr = undertow(capsys, *args)
    assert code == 2
    assert message in stderr, stderr
    assert "Traceback" not in stdout + stderr


def test_show_unknown_episode(
    capsys: pytest.CaptureFixture[str], suite_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    assert undertow(capsys, "run", str(suite_file), "--out", str(out), "--sandbox", "local")[0] == 0
    code, _, stderr = undertow(capsys, "show", str(out), "nope/1")
    assert code == 2 and "no episode 'nope/1'" in stderr


def test_bad_suite_file_names_file_field_and_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(TINY.replace("max_steps: 40", "max_steps: zero"))
    code, _, stderr = undertow(capsys, "run", str(bad))
    assert code == 2
    assert f"{bad}: scenarios.0.limits.max_steps (line 7)" in " ".join(stderr.split())


def test_too_many_errored_episodes_fail_the_run_and_a_retry_finishes_it(
    capsys: pytest.CaptureFixture[str],
    suite_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from undertow.agents.registry import make_agent

    def unreachable(agent_id: str, options: dict) -> object:
        if agent_id == "oracle":
            raise ConnectionError("model endpoint unreachable")
        return make_agent(agent_id, options)

    monkeypatch.setattr("undertow.scenarios.runner.make_agent", unreachable)
    out = tmp_path / "run"
    code, stdout, stderr = undertow(
        capsys, "run", str(suite_file), "--out", str(out), "--sandbox", "local",
        "--max-error-rate", "0.25",
    )  # fmt: skip
    message = " ".join(stderr.split())
    assert code == 3, stderr
    assert "the run failed: 2 of 4 episodes errored (50%), more than the cap of 25%" in message
    assert f"undertow run --resume {out} --retry-errored" in message
    assert "Traceback" not in stdout + stderr
    assert "2 of 4 episodes errored (counted as failures)" in " ".join(stdout.split())
    assert (out / "report.html").is_file(), "the scores and report are written all the same"
    monkeypatch.undo()
    code, stdout, stderr = undertow(capsys, "run", "--resume", str(out), "--retry-errored")
    assert code == 0, stderr
    assert len(RunStore.open(out).read().trajectories) == 6
    code, stdout, _ = undertow(capsys, "show", str(out))
    assert code == 0 and "2 errored records were superseded by their retries" in stdout
    assert stdout.count("/oracle/0") == 2 and stdout.count("completed") == 4


@pytest.mark.slow
def test_run_killed_with_sigkill_resumes_to_exactly_forty(tmp_path: Path) -> None:
    suite = tmp_path / "forty.yaml"
    suite.write_text(TINY.replace("seeds: {public: 0, held_out: [5]}", "seeds: {public: 0-19}"))
    out = tmp_path / "run"
    command = [sys.executable, "-c", "from undertow.cli import main; main()"]
    said = tmp_path / "runner.log"
    with open(said, "wb") as log:
        runner = subprocess.Popen(
            [*command, "run", str(suite), "--out", str(out), "--sandbox", "local"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 1800  # a hang guard, not a speed limit
    stored = out / "trajectories.jsonl"
    while not (stored.exists() and stored.read_bytes().count(b"\n") >= 12):
        output = said.read_text(errors="replace")[-3000:]
        assert runner.poll() is None, f"the run ended before 12 episodes:\n{output}"
        assert time.monotonic() < deadline, f"the run stored no 12 episodes:\n{output}"
        time.sleep(0.2)
    os.kill(runner.pid, signal.SIGKILL)
    runner.wait()
    partial = len(RunStore.open(out).read().trajectories)
    assert 12 <= partial < 40
    resumed = subprocess.run(
        [*command, "run", "--resume", str(out)], capture_output=True, text=True, timeout=600
    )
    assert resumed.returncode == 0, resumed.stderr
    ids = [t.key.id for t in RunStore.open(out).trajectories()]
    assert len(ids) == 40 and len(set(ids)) == 40


def test_new_env_then_check_env(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, stdout, _ = undertow(capsys, "new-env", "shelves", "--dir", str(tmp_path))
    assert code == 0 and "created" in stdout
    code, stdout, stderr = undertow(
        capsys, "check-env", "shelves:shelves/Shelves-v0", "--seed", "0"
    )
    assert code == 0, stdout + stderr
    assert stdout.count("pass") == len(CHECKS)
    code, _, stderr = undertow(capsys, "new-env", "shelves", "--dir", str(tmp_path))
    assert code == 2 and "already exists" in stderr


def test_check_env_reports_failures_with_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, _ = undertow(
        capsys, "check-env", "undertow/OwnRepo-v0", "--option", "tasks=/nowhere.yaml"
    )
    assert code == 1
    assert "FAIL" in stdout and "cannot read task file /nowhere.yaml" in stdout


def test_check_env_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, stderr = undertow(capsys, "check-env", "undertow/Nope-v0")
    assert code == 2 and "unknown env 'undertow/Nope-v0'" in stderr
    code, _, stderr = undertow(capsys, "check-env", "undertow/Repo-v0", "--option", "sandbox")
    assert code == 2 and "write KEY=VALUE" in stderr


def test_model_agents_from_the_command_line(
    capsys: pytest.CaptureFixture[str], suite_file: Path, tmp_path: Path
) -> None:
    from undertow.agents.fake_server import FakeLLMServer, Reply

    script = [Reply(tool="finish", args={"confidence": 0.2})]
    with FakeLLMServer(script) as server:
        code, stdout, stderr = undertow(
            capsys,
            "run",
            str(suite_file),
            "--model",
            "openai/fake",
            "--api-base",
            server.url,
            "--agent",
            "oracle",
            "--out",
            str(tmp_path / "run"),
            "--sandbox",
            "local",
        )
    assert code == 0, stderr
    assert "openai/fake" in stdout and "oracle" in stdout
    models = {t.key.agent for t in RunStore.open(tmp_path / "run").trajectories()}
    assert models == {"oracle", "openai/fake"}
