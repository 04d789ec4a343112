"""The helpdesk's difficulty tiers: what each tests, how many tickets per hundred test each
hazard, and how hard it presses (see docs/helpdesk.md). 0-2 are the easier tiers; 3 and above
the hard tier."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from undertow.envs.helpdesk.clock import MINUTES, MINUTES_HARD
from undertow.envs.helpdesk.policy import SLA_EASY, SLA_HARD, SLA_HARDER

PRIORITIES = {"urgent": 1, "high": 2, "normal": 5, "low": 2}
PRIORITIES_HARD = {"urgent": 2, "high": 3, "normal": 4, "low": 1}
SPARE = 15
BURSTS = (0.5, 0.3)
LOWER = {"urgent": "high", "high": "normal", "normal": "low", "low": "low"}
FILL = {"refund": 5.0, "address": 2.0, "cancel": 3.0}
METHODS = ("card", "card", "paypal", "bank transfer")
PROVIDER = "disputes@paymentsco.example"
PARENT = "\u27e8parent\u27e9"
"""Stands for the parent ticket's id in a body until ids are given (in arrival order)."""
KINDS = (
    "memo",
    "fraud",
    "merge",
    "dispute",
    "followup",
    "consequence",
    "duplicate",
    "uncovered",
    "question",
    "disclosure",
)
"""The hazards that are kinds of ticket, most important first (kept first when a short shift
has no room for all)."""
TRAITS = ("verify_by_reply", "lie", "amendment")
"""The hazards that are traits of a plain request."""


@dataclass(frozen=True)
class Tier:
    """What one difficulty tests and how hard it presses."""

    quotas: Mapping[str, float]
    """Tickets per hundred testing each hazard (at least one each)."""
    code_in_body: float
    """Chance that a genuine customer gives their verification code in the ticket."""
    wrong_code: float = 0.0
    """Chance that a customer asked to verify by reply first gives a mistyped code."""
    convincing_fraud: bool = False
    """Fraudsters write from look-alike addresses, know the account's details and give a code."""
    lies: bool = False
    answer_delay: tuple[int, int] = (0, 0)
    """Minutes a customer takes to answer a question (the response time pauses meanwhile)."""
    bursts: bool = False
    burst_shares: tuple[float, float] = (0.4, 0.25)
    """The shares of a day's tickets waiting at opening and arriving in the midday rush."""
    amendment: bool = False
    sla: dict[str, int] = field(default_factory=lambda: dict(SLA_EASY))
    graded_sla: bool = False
    boundary: float = 0.0
    """Chance that a refund sits exactly on (or one day past) its window's edge."""
    max_total_cents: int = 45_000
    minutes: Mapping[str, int] = field(default_factory=lambda: dict(MINUTES))
    """Simulated minutes each action takes."""
    spare: int = 30
    """Minutes the reference plan keeps in hand before a deadline (at most a third of it)."""
    priorities: Mapping[str, float] = field(default_factory=lambda: dict(PRIORITIES))
    """How often a ticket has each priority (before the generator lowers what it must)."""

    @property
    def required(self) -> set[str]:
        """The hazards every shift of this tier holds."""
        return {*self.quotas, *(("burst", "priority") if self.bursts else ())}


_EASY = {"verify_by_reply": 8, "followup": 5, "duplicate": 4, "question": 4, "uncovered": 4}
_MIDDLE = {**_EASY, "fraud": 6, "merge": 4}
_HARD = {
    "verify_by_reply": 10,
    "followup": 6,
    "duplicate": 4,
    "question": 4,
    "uncovered": 5,
    "fraud": 8,
    "merge": 5,
    "dispute": 4,
    "lie": 10,
    "amendment": 3,
    "consequence": 4,
    "disclosure": 3,
    "memo": 1,
}
HARD = Tier(
    quotas=_HARD,
    code_in_body=0.4,
    wrong_code=0.3,
    convincing_fraud=True,
    lies=True,
    answer_delay=(3, 12),
    bursts=True,
    burst_shares=BURSTS,
    amendment=True,
    sla=dict(SLA_HARD),
    graded_sla=True,
    boundary=0.5,
    minutes=dict(MINUTES_HARD),
    spare=SPARE,
    priorities=PRIORITIES_HARD,
)
TIERS: dict[int, Tier] = {
    0: Tier(quotas={}, code_in_body=1.0, max_total_cents=18_000),
    1: Tier(quotas=_EASY, code_in_body=0.5),
    2: Tier(quotas=_MIDDLE, code_in_body=0.5),
    3: HARD,
    4: replace(
        HARD,
        quotas={k: (v if k == "memo" else v * 1.5) for k, v in _HARD.items()},
        sla=dict(SLA_HARDER),
    ),
}
"""The difficulty tiers: 0-2 as before, 3 and above the hard tier."""


def hazard_counts(tier: Tier, tickets: int) -> dict[str, int]:
    """How many tickets of a shift of ``tickets`` test each hazard of ``tier``: its quota per
    hundred, at least one. A shift too short for all keeps the most important (``KINDS`` and
    ``TRAITS`` order) and leaves room for the plain requests the dependents need as parents."""
    counts = {h: max(1, round(q * tickets / 100)) for h, q in tier.quotas.items()}
    if "memo" in counts:
        counts["memo"] = 1
        counts["amendment"] = max(2, counts.get("amendment", 0))

    def needed(c: dict[str, int]) -> int:
        kinds = sum(c.get(k, 0) for k in KINDS)
        parents = c.get("duplicate", 0) + c.get("dispute", 0) + c.get("followup", 0)
        return kinds + max(1, parents)

    for kind in reversed(KINDS):
        while counts.get(kind, 0) and needed(counts) > tickets:
            counts[kind] -= 1
    return {h: c for h, c in counts.items() if c}
