"""64 LLM-agent episodes at once against the fake model server at 500 ms a reply, on this
2-core machine: none errors, and the server really saw them all in flight together (it holds
the first 64 requests until all 64 have arrived, so however loaded the machine, only truly
concurrent episodes get past). The throughput curve is bench/concurrency.py's job."""

from __future__ import annotations

from pathlib import Path

import pytest

from undertow.agents.fake_server import FakeLLMServer, Reply, by_turn
from undertow.record import EpisodeStatus
from undertow.record.store import RunStore
from undertow.scenarios.runner import run_episodes
from undertow.scenarios.suite import expand, parse_suite

LIST_TWICE_THEN_FINISH = [
    Reply(tool="list_queue", args={}),
    Reply(tool="list_queue", args={}),
    Reply(tool="finish", args={"confidence": 0.5}),
]
SUITE = """
name: sixty-four
scenarios:
  - name: helpdesk
    env: undertow/Helpdesk-v0
    options: {days: 1, tickets_per_day: 5}
    limits: {max_steps: 8}
agents:
  - {id: react, options: {model: openai/fake, api_base: "API_BASE", timeout: 900}}
seeds: {public: 0-63}
"""


@pytest.mark.slow
def test_sixty_four_concurrent_episodes_against_a_slow_model(tmp_path: Path) -> None:
    with FakeLLMServer(by_turn(LIST_TWICE_THEN_FINISH), latency=0.5, gather=64) as server:
        text = SUITE.replace("API_BASE", server.url)
        suite = parse_suite(text, "test")
        episodes = expand(suite)
        store = RunStore.create(tmp_path / "run", text, suite.model_dump(), len(episodes))
        result = run_episodes(episodes, store, parallel=64)
    trajectories = list(store.trajectories())
    assert len(trajectories) == 64 and result.errored == 0
    assert all(t.status is EpisodeStatus.COMPLETED and len(t.steps) == 3 for t in trajectories)
    assert server.log.gathered is True  # all 64 were in flight together, not one by one
