"""The red team: scripted agents that attack how an env grades, through its published tools
only, to show that no attack earns credit and every one is in the ledger. One module per env
family; each holds ``AGENTS``: registry id -> (class, what it tries)."""

from collections.abc import Callable

from undertow.agents.base import Agent
from undertow.agents.redteam import helpdesk, orchestra, repo

AGENTS: dict[str, tuple[Callable[..., Agent], str]] = {
    **{name: (cls, f"repository red team: {text}") for name, (cls, text) in repo.AGENTS.items()},
    **helpdesk.AGENTS,
    **orchestra.AGENTS,
}
"""Every red-team agent of every family, by registry id."""
