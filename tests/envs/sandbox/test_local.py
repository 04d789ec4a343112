"""What only the local backend promises: a clean environment, and as root a user per sandbox
whose workspace no other sandbox can read, and whose processes die with each command."""

from __future__ import annotations

import os

import pytest

from undertow.envs.sandbox.local import LocalSandbox

LIVING_SLEEPS = "ps -u $(id -u) -o stat=,comm= | grep -v '^Z' | grep -c ' sleep$' || true"
"""How many sleeps of the sandbox's user still run (killed ones wait as zombies for a reaper)."""

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="only root has a user per sandbox")


def test_host_secrets_do_not_reach_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    with LocalSandbox() as sandbox:
        assert "sk-secret" not in sandbox.exec("env").stdout


@as_root
def test_each_sandbox_runs_commands_as_a_user_of_its_own() -> None:
    with LocalSandbox() as first, LocalSandbox() as second:
        uids = {int(box.exec("id -u").stdout) for box in (first, second)}
        assert len(uids) == 2 and 0 not in uids
        assert {first.user, second.user} == uids
        assert first.grader_user not in uids and second.grader_user not in uids
        first.write_file("host-written.txt", "x")
        assert first.exec("echo more >> host-written.txt").ok


@as_root
def test_one_sandbox_cannot_read_or_write_another_workspace() -> None:
    with LocalSandbox() as mine, LocalSandbox() as theirs:
        theirs.write_file("secret.txt", "theirs")
        read = mine.exec(f"cat {theirs.workdir}/secret.txt")
        write = mine.exec(f"echo planted > {theirs.workdir}/planted.txt")
        listing = mine.exec(f"ls {os.path.dirname(theirs.workdir)}/grader")
        assert read.exit_code != 0 and "theirs" not in read.stdout
        assert write.exit_code != 0 and "planted.txt" not in theirs.list_files()
        assert listing.exit_code != 0


@as_root
def test_a_process_that_leaves_its_session_dies_with_the_command() -> None:
    with LocalSandbox() as sandbox:
        started = sandbox.exec("setsid sleep 300 > /dev/null 2>&1 < /dev/null & echo started")
        assert started.ok and started.stdout == "started\n"
        assert sandbox.exec(LIVING_SLEEPS).stdout == "0\n"


@as_root
def test_close_kills_the_users_processes_and_frees_them() -> None:
    sandbox = LocalSandbox()
    uid = sandbox.user
    sandbox.exec("echo x > /tmp/undertow-test-left-$(id -u)")
    sandbox.close()
    assert not os.path.exists(f"/tmp/undertow-test-left-{uid}")


def test_close_removes_the_workspace() -> None:
    sandbox = LocalSandbox()
    sandbox.write_file("x.txt", "x")
    folder = os.path.dirname(sandbox.workdir)
    sandbox.close()
    assert not os.path.exists(folder)


def test_workspace_is_owned_by_the_command_user() -> None:
    with LocalSandbox() as sandbox:
        expected = sandbox.user if os.geteuid() == 0 else os.getuid()
        assert os.stat(sandbox.workdir).st_uid == expected
