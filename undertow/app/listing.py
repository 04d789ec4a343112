"""What can be run: environments, built-in suites and agents, as tables."""

from __future__ import annotations

import gymnasium
from rich.table import Table

import undertow.envs
from undertow.agents.registry import describe_agents
from undertow.scenarios.suite import builtin_suites, load_suite


def catalogue_tables() -> dict[str, Table]:
    """``envs``, ``suites`` and ``agents``, each as a rich table."""
    envs = Table("env id", "entry point", title="Environments")
    for env_id in sorted(undertow.envs.ENVIRONMENTS):
        envs.add_row(env_id, str(gymnasium.spec(env_id).entry_point))
    suites = Table("suite", "episodes", "description", title="Built-in suites")
    from undertow.scenarios.suite import expand

    for name in builtin_suites():
        suite, _ = load_suite(name)
        suites.add_row(name, str(len(expand(suite))), suite.description)
    agents = Table("agent", "what it does", title="Agents")
    for agent_id, text in describe_agents().items():
        agents.add_row(agent_id, text)
    return {"envs": envs, "suites": suites, "agents": agents}
