"""The rollout seeds the agent by trial: trials of one world share the world and differ only
in the agent's own draws; trial 0 is seeded as before, so single-trial results stay put."""

from __future__ import annotations

from collections import defaultdict

import gymnasium

from undertow.agents.scripted import SloppyAgent
from undertow.envs.base import BehaviourEnv
from undertow.record import EpisodeKey, PlanItem
from undertow.rollout import agent_seed
from undertow.scenarios.runner import run_episode
from undertow.scenarios.suite import Episode, expand, parse_suite

SUITE = """
name: trials
scenarios:
  - name: research
    env: undertow/Orchestra-v0
    limits: {max_steps: 200}
agents: [{id: sloppy, options: {p: 0.5, seed: 1}}]
seeds: {public: 0-3}
trials: 4
"""


def test_trial_zero_is_the_world_seed_and_each_later_trial_its_own() -> None:
    keys = [EpisodeKey(scenario="s", seed=7, agent="a", trial=t) for t in range(6)]
    seeds = [agent_seed(key) for key in keys]
    assert seeds[0] == 7
    assert len(set(seeds)) == 6
    assert seeds == [agent_seed(key) for key in keys], "a pure function of the key"
    other_world = EpisodeKey(scenario="s", seed=8, agent="a", trial=1)
    assert agent_seed(other_world) != seeds[1]
    assert all(0 <= seed < 2**31 for seed in seeds)


def test_trials_share_the_world_and_differ_in_the_agents_draws() -> None:
    tasks: dict[int, set[str]] = defaultdict(set)
    planted: dict[int, list[tuple[str, ...]]] = defaultdict(list)
    for episode in expand(parse_suite(SUITE, "test")):
        agent = SloppyAgent(p=0.5, seed=1)
        trajectory = run_episode(episode, agent)
        assert trajectory.metadata["agent_seed"] == agent_seed(episode.key)
        tasks[episode.key.seed].add(trajectory.task)
        planted[episode.key.seed].append(tuple(agent.planted))
        if episode.key.trial == 0:  # exactly what a single-trial run always drew
            reference = SloppyAgent(p=0.5, seed=1)
            reference._script(_plan(episode), episode.key.seed)
            assert tuple(reference.planted) == tuple(agent.planted)
    assert all(len(texts) == 1 for texts in tasks.values()), "one world per seed"
    assert all(len(set(draws)) > 1 for draws in planted.values()), planted


def _plan(episode: Episode) -> list[PlanItem]:
    env = gymnasium.make(episode.scenario.env, **episode.options).unwrapped
    assert isinstance(env, BehaviourEnv)
    env.reset(seed=episode.key.seed)
    try:
        return env.reference_plan()
    finally:
        env.close()
