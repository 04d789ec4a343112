"""What only the local backend promises: a clean environment, an unprivileged user as root."""

from __future__ import annotations

import os
import pwd

import pytest

from undertow.envs.sandbox.local import UNPRIVILEGED_USER, LocalSandbox


def test_host_secrets_do_not_reach_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret")
    with LocalSandbox() as sandbox:
        assert "sk-secret" not in sandbox.exec("env").stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="only root drops to an unprivileged user")
def test_root_runs_commands_as_an_unprivileged_user() -> None:
    with LocalSandbox() as sandbox:
        assert sandbox.exec("id -un").stdout.strip() == UNPRIVILEGED_USER
        sandbox.write_file("host-written.txt", "x")
        assert sandbox.exec("echo more >> host-written.txt").ok


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can choose the user")
def test_run_as_can_keep_root() -> None:
    with LocalSandbox(run_as=None) as sandbox:
        assert sandbox.exec("id -u").stdout.strip() == "0"


def test_close_removes_the_workspace() -> None:
    sandbox = LocalSandbox()
    sandbox.write_file("x.txt", "x")
    folder = os.path.dirname(sandbox.workdir)
    sandbox.close()
    assert not os.path.exists(folder)


def test_workspace_is_owned_by_the_command_user() -> None:
    with LocalSandbox() as sandbox:
        owner = pwd.getpwuid(os.stat(sandbox.workdir).st_uid).pw_name
        expected = UNPRIVILEGED_USER if os.geteuid() == 0 else pwd.getpwuid(os.getuid()).pw_name
        assert owner == expected
