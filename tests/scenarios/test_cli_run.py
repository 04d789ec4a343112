"""`undertow run`, `list` and `show` as a user meets them, and their errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import docker
import pytest

from tests.conftest import BUGGY, git
from undertow.cli import main
from undertow.contract import CHECKS
from undertow.envs.sandbox.docker_backend import DEFAULT_IMAGE
from undertow.envs.sandbox.project_image import ImageSpec, ensure_image
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


def test_check_env_refuses_a_missing_task_file_before_checking(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, stderr = undertow(
        capsys, "check-env", "undertow/OwnRepo-v0", "--option", "tasks=/nowhere.yaml"
    )
    assert code == 2 and "Traceback" not in stderr
    assert "options.tasks: no file '/nowhere.yaml'" in " ".join(stderr.split())


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


OWN_SUITE = """
name: own
scenarios:
  - name: calc
    env: undertow/OwnRepo-v0
    options: {{tasks: {tasks}, sandbox: local}}
    limits: {{max_steps: 40}}
agents: [oracle]
seeds: {{public: 0}}
"""


def test_suite_paths_resolve_against_the_suite_file(
    capsys: pytest.CaptureFixture[str],
    task_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    suites = tmp_path / "suites"
    suites.mkdir()
    suite = suites / "own.yaml"
    suite.write_text(OWN_SUITE.format(tasks=f"../{task_file.name}"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, _, stderr = undertow(
        capsys, "run", str(suite), "--out", str(tmp_path / "run"), "--sandbox", "local"
    )
    assert code == 0, stderr
    (trajectory,) = RunStore.open(tmp_path / "run").trajectories()
    assert trajectory.outcome is not None and trajectory.outcome.success
    assert trajectory.episode.options["tasks"] == str(task_file.resolve())


@pytest.mark.parametrize("missing", ["task file", "repository", "hidden test"])
def test_a_missing_path_is_refused_before_the_run_naming_it(
    capsys: pytest.CaptureFixture[str], task_file: Path, tmp_path: Path, missing: str
) -> None:
    suite = tmp_path / "own.yaml"
    named = task_file.name
    if missing == "task file":
        named = "no-such-tasks.yaml"
        expected = [str(suite), "no file 'no-such-tasks.yaml'", str(tmp_path / named)]
    elif missing == "repository":
        text = task_file.read_text().replace("repository: calc", "repository: ../gone")
        task_file.write_text(text)
        expected = [
            str(task_file),
            "repository '../gone': no folder",
            str(tmp_path.parent / "gone"),
        ]
    else:
        task_file.write_text(task_file.read_text().replace("hidden/double.py", "hidden/dbl.py"))
        expected = [str(task_file), "no file 'hidden/dbl.py'", str(tmp_path / "hidden" / "dbl.py")]
    suite.write_text(OWN_SUITE.format(tasks=named))
    out = tmp_path / "run"
    code, stdout, stderr = undertow(capsys, "run", str(suite), "--out", str(out))
    assert code == 2
    assert "Traceback" not in stderr + stdout
    flat = " ".join(stderr.split())
    for text in expected:
        assert text in flat, (text, stderr)
    assert not out.exists()  # refused before the run started


def test_check_env_says_why_the_oracle_fails(
    capsys: pytest.CaptureFixture[str], task_file: Path
) -> None:
    repo = task_file.parent / "calc"
    git(repo, "checkout", "-qb", "wrong")
    (repo / "calc.py").write_text(BUGGY.replace("a - b", "a * b"))
    git(repo, "commit", "-qam", "a wrong fix")
    git(repo, "checkout", "-q", "main")
    task_file.write_text(task_file.read_text().replace("solution_ref: fix", "solution_ref: wrong"))
    code, stdout, _ = undertow(
        capsys,
        "check-env",
        "undertow/OwnRepo-v0",
        "--seed",
        "0",
        "--option",
        f"tasks={task_file}",
        "--option",
        "sandbox=local",
    )
    assert code == 1
    text = " ".join(stdout.replace("│", " ").split())
    assert "the oracle plan fails" in text
    assert "subtask fix-add: not passing: hidden_add.py::test_add" in text
    assert "-m pytest -p no:cacheprovider -p pytest_reporter" in text  # the failing command
    assert "assert 6 == 5" in text  # and what it said


@pytest.mark.docker
@pytest.mark.slow
def test_the_suites_image_and_the_image_option_choose_the_sandbox_image(
    capsys: pytest.CaptureFixture[str],
    task_file: Path,
    tmp_path: Path,
    docker_client: docker.DockerClient,
    offline_wheels: Path,
) -> None:
    repo = task_file.parent / "calc"
    for branch in ("main", "fix"):
        git(repo, "checkout", "-q", branch)
        (repo / "calc.py").write_text("import six  # noqa: F401\n" + (repo / "calc.py").read_text())
        git(repo, "commit", "-qam", "use six")
    git(repo, "checkout", "-q", "main")
    tag = ensure_image(docker_client, ImageSpec(packages=["six==1.16.0"]), tmp_path, DEFAULT_IMAGE)
    try:
        suite = tmp_path / "own.yaml"
        text = OWN_SUITE.format(tasks=task_file.name).replace("sandbox: local", "sandbox: docker")
        suite.write_text(text + f"image: {tag}\n")
        out = tmp_path / "run"
        code, _, stderr = undertow(capsys, "run", str(suite), "--out", str(out))
        assert code == 0, stderr
        (trajectory,) = RunStore.open(out).trajectories()
        assert trajectory.outcome is not None and trajectory.outcome.success
        code, _, stderr = undertow(
            capsys, "run", str(suite), "--out", str(tmp_path / "r2"), "--image", "undertow-nope:1"
        )
        assert code == 2 and "image 'undertow-nope:1' is missing" in " ".join(stderr.split())
    finally:
        docker_client.images.remove(tag, force=True)
