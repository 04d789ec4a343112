"""The sandbox contract: every backend must pass these tests unchanged."""

from __future__ import annotations

import os

import pytest

from undertow.envs.sandbox import (
    Sandbox,
    SandboxError,
    SandboxFileNotFound,
    SandboxPathError,
    SandboxRequestError,
    SandboxUnavailable,
    diff_manifests,
)
from undertow.envs.sandbox.base import WorkerSandbox

LIVING_SLEEPS = "ps -u $(id -u) -o stat=,comm= | grep -v '^Z' | grep -c ' sleep$' || true"
"""How many sleeps of the sandbox's user still run (killed ones wait as zombies for a reaper)."""


def test_is_a_sandbox(sandbox: WorkerSandbox) -> None:
    assert isinstance(sandbox, Sandbox)
    assert sandbox.backend in {"local", "docker"}


def test_exec_reports_exit_code_stdout_stderr_and_duration(sandbox: WorkerSandbox) -> None:
    result = sandbox.exec("echo out; echo err >&2; exit 3")
    assert result.exit_code == 3
    assert result.stdout == "out\n"
    assert result.stderr == "err\n"
    assert 0 < result.duration < 5
    assert not result.timed_out and not result.truncated and not result.ok


def test_exec_runs_in_the_workspace_with_cwd_and_env(sandbox: WorkerSandbox) -> None:
    sandbox.write_file("sub/marker.txt", "x")
    assert sandbox.exec("pwd").stdout.strip() == sandbox.workdir
    assert sandbox.exec("ls", cwd="sub").stdout.split() == ["marker.txt"]
    assert sandbox.exec("echo $GREETING", env={"GREETING": "hello"}).stdout == "hello\n"


def test_exec_in_missing_folder_is_an_error(sandbox: WorkerSandbox) -> None:
    with pytest.raises(SandboxFileNotFound, match="does not exist"):
        sandbox.exec("true", cwd="nowhere")


def test_exec_cwd_outside_workspace_is_refused(sandbox: WorkerSandbox) -> None:
    with pytest.raises(SandboxPathError, match="outside the workspace"):
        sandbox.exec("true", cwd="..")


def test_timeout_kills_the_command_not_the_sandbox(sandbox: WorkerSandbox) -> None:
    result = sandbox.exec("echo started; sleep 30", timeout=0.5)
    assert result.timed_out
    assert result.exit_code == 124
    assert result.stdout == "started\n"
    assert "timed out after 0.5s" in result.note
    assert result.duration < 5
    assert sandbox.exec("echo still here").stdout == "still here\n"


def test_background_processes_do_not_outlive_their_command(sandbox: WorkerSandbox) -> None:
    pid = sandbox.exec("sleep 60 > /dev/null 2>&1 & echo $!").stdout.strip()
    assert pid.isdigit()
    state = sandbox.exec(f"ps -o stat= -p {pid} || true").stdout.strip()
    assert state in {"", "Z"}  # gone, or dead and waiting for its reaper


def test_large_output_is_capped_with_a_visible_marker(sandbox: WorkerSandbox) -> None:
    result = sandbox.exec("head -c 1000000 /dev/zero | tr '\\0' 'a'")
    assert result.ok
    assert result.truncated
    assert result.stdout.startswith("a" * 1000)
    assert "output truncated: 1000000 bytes written, first 65536 shown" in result.stdout


def test_write_then_read_text_and_bytes(sandbox: WorkerSandbox) -> None:
    sandbox.write_file("deep/nested/file.txt", "héllo\n")
    assert sandbox.read_file("deep/nested/file.txt") == "héllo\n"
    payload = bytes(range(256))
    sandbox.write_file("blob.bin", payload)
    assert sandbox.read_bytes("blob.bin") == payload
    assert sandbox.exec("wc -c < blob.bin").stdout.strip() == "256"


def test_files_written_by_commands_are_readable(sandbox: WorkerSandbox) -> None:
    sandbox.write_file("log.txt", "one\n")
    assert sandbox.exec("echo two >> log.txt").ok
    assert sandbox.read_file("log.txt") == "one\ntwo\n"


def test_absolute_path_inside_the_workspace_is_accepted(sandbox: WorkerSandbox) -> None:
    sandbox.write_file(f"{sandbox.workdir}/abs.txt", "ok")
    assert sandbox.read_file("abs.txt") == "ok"


def test_list_files(sandbox: WorkerSandbox) -> None:
    sandbox.write_file("a.txt", "")
    sandbox.write_file("pkg/b.py", "")
    sandbox.write_file("pkg/sub/c.py", "")
    assert sandbox.list_files() == ["a.txt", "pkg/b.py", "pkg/sub/c.py"]
    assert sandbox.list_files(".", recursive=False) == ["a.txt", "pkg/"]
    assert sandbox.list_files("pkg", recursive=False) == ["pkg/b.py", "pkg/sub/"]


@pytest.mark.parametrize("path", ["../escape.txt", "/etc/passwd", "a/../../x", ""])
def test_paths_outside_the_workspace_are_refused(sandbox: WorkerSandbox, path: str) -> None:
    with pytest.raises(SandboxPathError):
        sandbox.read_file(path)
    with pytest.raises(SandboxPathError):
        sandbox.write_file(path, "x")


def test_symlinks_cannot_lead_outside(sandbox: WorkerSandbox) -> None:
    assert sandbox.exec("ln -s /etc outside && ln -s /etc/hostname host").ok
    with pytest.raises(SandboxPathError, match="outside the workspace"):
        sandbox.read_file("outside/passwd")
    with pytest.raises(SandboxPathError):
        sandbox.read_file("host")
    with pytest.raises(SandboxPathError):
        sandbox.write_file("outside/evil", "x")
    with pytest.raises(SandboxPathError):
        sandbox.list_files("outside")


def test_missing_files_are_reported(sandbox: WorkerSandbox) -> None:
    with pytest.raises(SandboxFileNotFound, match=r"no file 'missing\.txt'"):
        sandbox.read_file("missing.txt")
    with pytest.raises(SandboxFileNotFound):
        sandbox.list_files("missing")


def test_snapshot_and_diff_track_changes(sandbox: WorkerSandbox) -> None:
    sandbox.write_file("keep.txt", "same")
    sandbox.write_file("edit.txt", "before")
    sandbox.write_file("gone.txt", "bye")
    before = sandbox.snapshot()
    assert set(before) == {"keep.txt", "edit.txt", "gone.txt"}
    assert before["keep.txt"] == "0967115f2813a3541eaef77de9d9d5773f1c0c04314b0bbfe4ff3b3b1c55b5d5"
    assert sandbox.exec("echo after > edit.txt && rm gone.txt && echo hi > new.txt").ok
    diff = diff_manifests(before, sandbox.snapshot())
    assert diff.added == ("new.txt",)
    assert diff.removed == ("gone.txt",)
    assert diff.changed == ("edit.txt",)
    assert diff.paths == ("edit.txt", "gone.txt", "new.txt")
    assert diff_manifests(before, before).empty


def test_snapshot_covers_caches_and_hidden_folders_at_any_depth(sandbox: WorkerSandbox) -> None:
    for path in (
        ".git/HEAD",
        "pkg/.git/config",
        "pkg/__pycache__/mod.cpython-311.pyc",
        ".pytest_cache/v/cache/lastfailed",
        "deep/a/__pycache__/x.pyc",
    ):
        sandbox.write_file(path, "x")
    manifest = sandbox.snapshot()
    assert {
        ".git/HEAD",
        "pkg/.git/config",
        "pkg/__pycache__/mod.cpython-311.pyc",
        ".pytest_cache/v/cache/lastfailed",
        "deep/a/__pycache__/x.pyc",
    } <= set(manifest)
    assert ".git/HEAD" not in sandbox.snapshot(excludes=(".git",))
    assert "pkg/.git/config" in sandbox.snapshot(excludes=(".git",))


def test_snapshot_describes_special_files_without_opening_them(sandbox: WorkerSandbox) -> None:
    made = sandbox.exec(
        "mkfifo pipe && python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind(\"sock\")'"
        " && ln -s pipe link-to-pipe"
    )
    assert made.ok, made
    manifest = sandbox.snapshot()  # a FIFO opened for reading would block here for ever
    assert manifest["pipe"] == "special:fifo"
    assert manifest["sock"] == "special:socket"
    assert manifest["link-to-pipe"].startswith("symlink:")
    with pytest.raises(SandboxFileNotFound, match="not a regular file"):
        sandbox.read_file("pipe")
    sandbox.write_file("pipe", "replaced, not written through")
    assert sandbox.read_file("pipe") == "replaced, not written through"


@pytest.mark.parametrize(
    "command",
    ["echo \x00nul", "echo \ud800", "echo ok"],
    ids=["nul", "surrogate", "plain"],
)
def test_unencodable_requests_are_refused_and_the_sandbox_lives(
    sandbox: WorkerSandbox, command: str
) -> None:
    if command == "echo ok":
        assert sandbox.exec(command).stdout == "ok\n"
        return
    with pytest.raises(SandboxRequestError, match=r"NUL byte|not valid Unicode"):
        sandbox.exec(command)
    if "\x00" in command:
        sandbox.write_file("a.txt", command)  # content may hold any character
        assert sandbox.read_file("a.txt") == command
    else:
        with pytest.raises(SandboxRequestError):
            sandbox.write_file("a.txt", command)
    with pytest.raises(SandboxError):
        sandbox.read_file(command)
    with pytest.raises(SandboxError):
        sandbox.exec("true", env={"X": command})
    assert sandbox.exec("echo alive").stdout == "alive\n"


def test_non_finite_timeouts_are_refused(sandbox: WorkerSandbox) -> None:
    for bad in (float("nan"), float("inf"), -1.0):
        with pytest.raises(SandboxError, match="timeout"):
            sandbox.exec("true", timeout=bad)
    assert sandbox.exec("echo alive").stdout == "alive\n"


def test_a_deadline_caps_every_command(sandbox: WorkerSandbox) -> None:
    sandbox.set_deadline(0.5)
    capped = sandbox.exec("sleep 30", timeout=60)
    assert capped.timed_out and "remaining wall time" in capped.note
    assert capped.duration < 20
    refused = sandbox.exec("echo never", timeout=60)
    assert refused.timed_out and refused.stdout == "" and "wall time is used up" in refused.note
    sandbox.set_deadline(None)
    assert sandbox.exec("echo again").stdout == "again\n"


def test_a_process_that_calls_setsid_dies_with_its_command(sandbox: WorkerSandbox) -> None:
    if sandbox.backend == "local" and os.geteuid() != 0:
        pytest.skip("without root the local backend has no user of its own to kill")
    started = sandbox.exec("setsid sh -c 'sleep 300' > /dev/null 2>&1 < /dev/null & echo ok")
    assert started.stdout == "ok\n"
    assert sandbox.exec(LIVING_SLEEPS).stdout == "0\n"


def test_commands_do_not_run_as_root(sandbox: WorkerSandbox) -> None:
    if sandbox.backend == "local" and os.geteuid() != 0:
        pytest.skip("without root the local backend runs commands as the host user")
    assert sandbox.exec("id -u").stdout.strip() != "0"


def test_close_is_idempotent_and_later_calls_fail_clearly(sandbox: WorkerSandbox) -> None:
    sandbox.close()
    sandbox.close()
    with pytest.raises(SandboxUnavailable, match="closed"):
        sandbox.exec("true")
