"""The Ray executor against a real local Ray cluster (`ray start --head` on 127.0.0.1): the same
suite and seeds give the same results as threads; bad addresses are explained."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import run_undertow
from undertow.agents.fake_server import FakeLLMServer, Reply, by_turn
from undertow.envs.sandbox import open_provider
from undertow.errors import UndertowError
from undertow.record import EpisodeStatus, Trajectory
from undertow.record.store import RunStore
from undertow.scenarios.ray_executor import RayExecutor
from undertow.scenarios.runner import ThreadExecutor, run_episodes
from undertow.scenarios.suite import expand, parse_suite

SUITE = """
name: ray-same
scenarios:
  - name: helpdesk
    env: undertow/Helpdesk-v0
    options: {days: 1, tickets_per_day: 10}
    limits: {max_steps: 150}
  - name: orchestra
    env: undertow/Orchestra-v0
    limits: {max_steps: 150}
  - name: repo
    env: undertow/Repo-v0
    options: {tickets: 2, sandbox: local}
    limits: {max_steps: 60}
agents: [oracle, {id: sloppy, options: {p: 0.3}}, noop]
seeds: {public: 0-1}
"""
LIST_TWICE_THEN_FINISH = [
    Reply(tool="list_queue", args={}),
    Reply(tool="list_queue", args={}),
    Reply(tool="finish", args={"confidence": 0.5}),
]
LLM_SUITE = """
name: ray-dies
scenarios:
  - name: helpdesk
    env: undertow/Helpdesk-v0
    options: {days: 1, tickets_per_day: 4}
    limits: {max_steps: 8}
agents:
  - {id: react, options: {model: openai/fake, api_base: "API_BASE", timeout: 30}}
seeds: {public: 0-3}
"""
LOOPBACK_RAY = {"RAY_AUTH_MODE": "token", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A two-CPU Ray head on 127.0.0.1 in its own process group; its address."""
    port = free_port()
    for key, value in LOOPBACK_RAY.items():
        os.environ.setdefault(key, value)
    # token auth needs a token; a fresh machine has none (ray would make one only for ray.init)
    os.environ.setdefault("RAY_AUTH_TOKEN", secrets.token_hex(32))
    log_path = tmp_path_factory.mktemp("ray") / "head.log"
    log = open(log_path, "wb")  # noqa: SIM115  (the head writes it while it lives)
    head = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "ray"),
            "start",
            "--head",
            "--block",
            "--node-ip-address=127.0.0.1",
            f"--port={port}",
            "--num-cpus=2",
            "--include-dashboard=false",
            "--disable-usage-stats",
            "--object-store-memory=200000000",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            said = lambda: log_path.read_text(errors="replace")[-3000:]  # noqa: E731
            assert head.poll() is None, f"ray start --head exited ({head.returncode}):\n{said()}"
            assert time.monotonic() < deadline, f"the Ray head never listened:\n{said()}"
            time.sleep(0.5)
    yield f"127.0.0.1:{port}"
    head.terminate()  # --block: stopping it stops the cluster's processes
    try:
        head.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(head.pid, 9)
    log.close()


def comparable(trajectory: Trajectory) -> dict[str, Any]:
    """What the executor must not change (timings and test-runner durations aside)."""
    return {
        "status": trajectory.status,
        "actions": [step.action for step in trajectory.steps],
        "probes": [step.probes for step in trajectory.steps],
        "ledger": trajectory.ledger,
        "claims": trajectory.claims,
        "outcome": trajectory.outcome,
        "artifacts": trajectory.artifacts,
    }


def play(executor: Any, directory: Path) -> dict[str, dict[str, Any]]:
    suite = parse_suite(SUITE, "test")
    episodes = expand(suite)
    store = RunStore.create(directory, SUITE, suite.model_dump(mode="json"), len(episodes))
    try:
        result = run_episodes(episodes, store, executor=executor)
    finally:
        executor.close()
    assert result.errored == 0
    return {t.key.id: comparable(t) for t in store.trajectories()}


@pytest.mark.slow
def test_a_ray_cluster_gives_the_same_results_as_threads(ray_cluster: str, tmp_path: Path) -> None:
    threads = play(ThreadExecutor(2, open_provider("local"), owns_provider=True), tmp_path / "t")
    on_ray = play(RayExecutor(2, address=ray_cluster, sandbox="local"), tmp_path / "r")
    assert len(threads) == 18
    assert on_ray.keys() == threads.keys()
    for episode_id, expected in threads.items():
        assert on_ray[episode_id] == expected, episode_id


@pytest.mark.slow
def test_the_cli_runs_a_suite_on_a_private_ray_cluster(tmp_path: Path) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text(SUITE.replace("seeds: {public: 0-1}", "seeds: {public: 0}"))
    out = tmp_path / "run"
    result = run_undertow(
        "run", str(suite), "--executor", "ray", "--parallel", "3", "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    assert "executor: ray on a private local cluster, 3 workers" in result.stdout
    assert len(list(RunStore.open(out).trajectories())) == 9
    assert (out / "report.html").exists()


def test_nothing_listening_at_the_address_is_explained_at_once() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{unused.getsockname()[1]}"
        started = time.monotonic()
        with pytest.raises(UndertowError, match="no Ray cluster answers at"):
            RayExecutor(1, address=address)
    assert time.monotonic() - started < 120  # a hang guard (Ray's own wait is minutes)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--executor", "dask"], "--executor must be one of threads, ray"),
        (["--address", "127.0.0.1:6379"], "--address names a Ray cluster"),
        (["--executor", "ray", "--address", "nowhere"], "write HOST:PORT"),
    ],
)
def test_bad_executor_options_exit_2(arguments: list[str], message: str, tmp_path: Path) -> None:
    result = run_undertow("run", "smoke", "--out", str(tmp_path / "run"), *arguments)
    assert result.returncode == 2
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_a_worker_that_dies_errors_its_episode_and_is_replaced(
    ray_cluster: str, tmp_path: Path
) -> None:
    with FakeLLMServer(by_turn(LIST_TWICE_THEN_FINISH), latency=1.0) as server:
        text = LLM_SUITE.replace("API_BASE", server.url)
        suite = parse_suite(text, "test")
        episodes = expand(suite)
        store = RunStore.create(tmp_path / "run", text, suite.model_dump(), len(episodes))
        executor = RayExecutor(2, address=ray_cluster, sandbox="local")
        victim = executor._workers[0]
        killer = threading.Timer(1.5, lambda: executor._ray.kill(victim))  # mid-episode
        killer.start()
        try:
            result = run_episodes(episodes, store, executor=executor)
        finally:
            killer.cancel()
            executor.close()
    errored = [t for t in store.trajectories() if t.status is EpisodeStatus.ERRORED]
    assert (result.completed, result.errored) == (3, 1)
    assert "the Ray worker playing this episode failed" in (errored[0].error or "")
