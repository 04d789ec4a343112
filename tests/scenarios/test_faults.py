"""Faults a run survives: a sandbox container killed mid-episode, the Docker daemon briefly gone,
a full disk under the run store. (SIGKILL of the runner: test_cli_run; a corrupted record:
test_store.)"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from tests.helpers import run_undertow
from tests.scenarios.docker_proxy import DockerOutageProxy
from undertow.agents.scripted import OracleAgent
from undertow.envs.sandbox.docker_backend import LABEL_RUN
from undertow.envs.sandbox.provider import DockerPool
from undertow.record import EpisodeStatus, Trajectory
from undertow.record import store as store_module
from undertow.record.store import RunStore, RunStoreError
from undertow.scenarios import runner
from undertow.scenarios.runner import run_episodes
from undertow.scenarios.suite import Episode, expand, parse_suite

REPO_SUITE = """
name: faults
scenarios:
  - name: repo
    env: undertow/Repo-v0
    options: {tickets: 2}
    limits: {max_steps: 40}
agents: [oracle]
seeds: {public: 0-2}
"""


class TriggeringOracle(OracleAgent):
    """The oracle, calling ``trigger`` once just before its ``at_step``-th action."""

    def __init__(self, trigger: Callable[[], None], at_step: int) -> None:
        super().__init__()
        self.trigger = trigger
        self.at_step = at_step
        self.steps = 0

    def act(self, observation: dict[str, Any]) -> Any:
        if self.steps == self.at_step:
            self.trigger()
        self.steps += 1
        return super().act(observation)


def agents_triggering_on_seed(
    monkeypatch: pytest.MonkeyPatch, seed: int, trigger: Callable[[], None], at_step: int = 3
) -> None:
    """The runner's agent for ``seed`` fires ``trigger`` mid-episode; other seeds play plainly."""
    original = runner.run_episode

    def run_episode(episode: Episode, agent: Any, provider: Any = None) -> Any:
        if episode.key.seed == seed:
            agent = TriggeringOracle(trigger, at_step)
        return original(episode, agent, provider)

    monkeypatch.setattr(runner, "run_episode", run_episode)


@pytest.fixture
def store(tmp_path: Path) -> RunStore:
    suite = parse_suite(REPO_SUITE, "test")
    return RunStore.create(tmp_path / "run", REPO_SUITE, suite.model_dump(), len(expand(suite)))


def test_a_container_killed_mid_episode_errors_that_episode_only(
    monkeypatch: pytest.MonkeyPatch,
    docker_client: docker.DockerClient,
    run_id: str,
    store: RunStore,
) -> None:
    def kill_running_sandboxes() -> None:
        for container in docker_client.containers.list(filters={"label": f"{LABEL_RUN}={run_id}"}):
            container.kill()

    agents_triggering_on_seed(monkeypatch, seed=1, trigger=kill_running_sandboxes)
    pool = DockerPool(docker_client, run_id=run_id, warm=0)  # only the playing container exists
    try:
        result = run_episodes(expand(parse_suite(REPO_SUITE, "test")), store, provider=pool)
    finally:
        pool.close()
    by_seed = {t.key.seed: t for t in store.trajectories()}
    assert (result.completed, result.errored) == (2, 1)
    killed = by_seed[1]
    assert killed.status is EpisodeStatus.ERRORED
    assert "stopped answering" in (killed.error or "") and "exit code 137" in killed.error
    assert len(killed.steps) >= 3  # the steps played before the kill are kept
    assert by_seed[0].outcome.success and by_seed[2].outcome.success


def test_a_warm_container_killed_while_waiting_is_never_handed_out(
    docker_client: docker.DockerClient, run_id: str
) -> None:
    pool = DockerPool(docker_client, run_id=run_id, warm=1)
    try:
        assert pool.wait_until_warm()
        for container in docker_client.containers.list(filters={"label": f"{LABEL_RUN}={run_id}"}):
            container.kill()
        sandbox = pool.acquire()
        assert sandbox.exec("echo alive").stdout == "alive\n"
        sandbox.close()
    finally:
        pool.close()


def test_a_brief_docker_daemon_outage_is_retried_and_the_run_completes(
    monkeypatch: pytest.MonkeyPatch,
    docker_client: docker.DockerClient,
    run_id: str,
    store: RunStore,
    tmp_path: Path,
) -> None:
    with DockerOutageProxy(tmp_path / "docker.sock") as proxy:
        client = docker.DockerClient(base_url=proxy.url, timeout=30)
        # Down from the middle of seed 0 until after the next container start is attempted:
        # removing seed 0's container and creating seed 1's both meet the outage.
        agents_triggering_on_seed(monkeypatch, seed=0, trigger=lambda: proxy.outage(1.5))
        pool = DockerPool(client, run_id=run_id, warm=0)
        try:
            result = run_episodes(expand(parse_suite(REPO_SUITE, "test")), store, provider=pool)
        finally:
            pool.close()
            client.close()
    assert proxy.refused > 0, "the outage never met a daemon call; the test proves nothing"
    assert (result.completed, result.errored) == (3, 0)
    assert all(t.outcome.success for t in store.trajectories())


# ---- a full disk ----------------------------------------------------------------------------

LOCAL_SUITE = """
name: disk
scenarios:
  - name: helpdesk
    env: undertow/Helpdesk-v0
    options: {days: 1, tickets_per_day: 12}
    limits: {max_steps: 200}
agents: [oracle]
seeds: {public: 0-11}
"""


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 192 KiB tmpfs (root only); skipped where mounting is impossible, unless
    UNDERTOW_REQUIRE_MOUNT=1 (CI), when that fails the test."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=192k", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        problem = f"cannot mount a tmpfs here: {mounted.stderr.strip()}"
        if os.environ.get("UNDERTOW_REQUIRE_MOUNT") == "1":
            pytest.fail(f"UNDERTOW_REQUIRE_MOUNT=1 but {problem}")
        pytest.skip(problem)
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


@pytest.mark.slow
def test_a_full_disk_stops_the_run_clearly_and_resume_finishes_it(
    small_disk: Path, tmp_path: Path
) -> None:
    suite = tmp_path / "disk.yaml"
    suite.write_text(LOCAL_SUITE)
    out = small_disk / "run"

    full = run_undertow("run", str(suite), "--out", str(out))
    assert full.returncode == 2, full.stdout + full.stderr
    message = " ".join(full.stderr.split())
    assert "No space left on device" in message and f"undertow run --resume {out}" in message
    assert "Traceback" not in full.stderr
    reading = RunStore.open(out).read()
    assert reading.corrupted == [] and not reading.torn_tail  # only whole, valid records
    kept = (out / "trajectories.jsonl").read_bytes()
    assert 1 <= len(reading.trajectories) < 12

    subprocess.run(["mount", "-o", "remount,size=50m", str(small_disk)], check=True)
    resumed = run_undertow("run", "--resume", str(out))
    assert resumed.returncode == 0, resumed.stderr
    assert (out / "trajectories.jsonl").read_bytes().startswith(kept)  # nothing rewritten
    ids = [t.key.id for t in RunStore.open(out).trajectories()]
    assert len(ids) == 12 and len(set(ids)) == 12
    assert (out / "report.html").exists()


def test_append_failing_midway_leaves_only_whole_records(
    monkeypatch: pytest.MonkeyPatch, store: RunStore
) -> None:
    """Without a real full disk: the write dies after half a record, as ENOSPC would."""
    episodes = expand(parse_suite(REPO_SUITE, "test"))
    first, second = (Trajectory(key=e.key) for e in episodes[:2])
    store.append(first)
    real_write = os.write
    calls = threading.local()

    def half_then_enospc(descriptor: int, data: Any) -> int:
        if getattr(calls, "done", False):
            raise OSError(28, "No space left on device")
        calls.done = True
        return real_write(descriptor, bytes(data)[: len(data) // 2])

    monkeypatch.setattr(store_module.os, "write", half_then_enospc)
    with pytest.raises(RunStoreError, match=r"No space left on device.*--resume"):
        store.append(second)
    monkeypatch.setattr(store_module.os, "write", real_write)
    assert [t.key.id for t in store.trajectories()] == [first.key.id]
    assert store.read().corrupted == []
