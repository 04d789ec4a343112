"""The red team: scripted agents that try to earn credit without doing the work, one per
attack, each acting only through an env's published tools. One module per env family; each
holds ``AGENTS``: registry id -> (class, what it tries)."""

from undertow.agents.redteam import repo

AGENTS = {**repo.AGENTS}
"""Every red-team agent of every family, by registry id."""
