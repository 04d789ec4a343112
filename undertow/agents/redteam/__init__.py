"""Red-team agents: scripted shortcuts an adversarial agent could take instead of the work, one
module per env family, each acting only through the env's published tools. None should earn
credit it did not work for; the tests under ``tests/agents/redteam/`` check that each one's
shortcut is caught.

``AGENTS`` maps each agent's id to its class and what it tries (the registry lists them).
"""

from __future__ import annotations

from undertow.agents.redteam import helpdesk

AGENTS: dict[str, tuple[type, str]] = {**helpdesk.AGENTS}
