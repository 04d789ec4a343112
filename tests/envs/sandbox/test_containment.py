"""Hostile commands are contained with a clear result; the host and the next command are fine."""

from __future__ import annotations

import subprocess
from dataclasses import replace

from tests.envs.sandbox.conftest import TEST_LIMITS, SandboxFactory
from undertow.envs.sandbox.base import WorkerSandbox

FORK_BOMB = "bomb() { bomb | bomb & }; bomb; sleep 30"
MEMORY_HOG = "python3 -c 'x = bytearray(8 * 1024**3)'"


def assert_next_command_and_host_unaffected(sandbox: WorkerSandbox) -> None:
    after = sandbox.exec("echo ok; ls /", timeout=10)
    assert after.ok, after
    assert after.stdout.startswith("ok\n")
    host = subprocess.run(["sh", "-c", "echo host"], capture_output=True, text=True, timeout=10)
    assert host.stdout == "host\n"


def test_fork_bomb_is_contained(sandbox: WorkerSandbox) -> None:
    result = sandbox.exec(FORK_BOMB, timeout=3)
    assert result.timed_out
    assert "Resource temporarily unavailable" in result.stderr
    assert "its processes were killed" in result.note
    assert_next_command_and_host_unaffected(sandbox)
    # Killed processes may linger as zombies until their reaper collects them; none may run.
    living = sandbox.exec("ps -u $(id -u) -o stat=,comm= | grep -v '^Z' | grep -c ' bash$' || true")
    assert int(living.stdout.strip()) <= 2  # this command's own shell, at most


def test_memory_hog_is_contained(sandbox: WorkerSandbox) -> None:
    result = sandbox.exec(MEMORY_HOG, timeout=30)
    assert not result.ok
    assert "MemoryError" in result.stderr
    assert_next_command_and_host_unaffected(sandbox)


def test_infinite_loop_is_contained(sandbox: WorkerSandbox) -> None:
    result = sandbox.exec("while true; do :; done", timeout=1)
    assert result.timed_out
    assert result.exit_code == 124
    assert 1 <= result.duration < 5
    assert_next_command_and_host_unaffected(sandbox)


def test_cpu_time_limit_kills_a_busy_command(make_sandbox: SandboxFactory) -> None:
    sandbox = make_sandbox(replace(TEST_LIMITS, cpu_seconds=1))
    result = sandbox.exec("python3 -c 'while True: pass'", timeout=30)
    assert result.exit_code == 128 + 24
    assert "SIGXCPU" in result.note
    assert result.duration < 10
    assert_next_command_and_host_unaffected(sandbox)


def test_hundred_megabytes_of_output_is_contained(sandbox: WorkerSandbox) -> None:
    result = sandbox.exec("head -c 100000000 /dev/zero | tr '\\0' 'y'", timeout=60)
    assert result.ok
    assert result.truncated
    assert len(result.stdout) < 70_000
    assert "output truncated: 100000000 bytes written" in result.stdout
    assert_next_command_and_host_unaffected(sandbox)


def test_writing_a_huge_file_hits_the_file_size_limit(sandbox: WorkerSandbox) -> None:
    result = sandbox.exec("head -c 100000000 /dev/zero > big.bin", timeout=30)
    assert result.exit_code == 128 + 25
    assert "file size limit" in result.note
    assert_next_command_and_host_unaffected(sandbox)
