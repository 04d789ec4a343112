import random

from undertow.envs.helpdesk.policy import (
    SLA_HARD,
    Amendment,
    Rules,
    amended,
    policy_document,
    policy_sections,
    search,
)
from undertow.record import CANARY


def test_search_finds_the_relevant_section() -> None:
    sections = policy_sections()
    assert search(sections, "how long is the refund window for gold")[0].key == "refunds"
    assert search(sections, "merge two accounts")[0].key == "accounts"
    assert search(sections, "chargeback notice accept contest")[0].key == "chargebacks"
    assert search(sections, "zzz qqq") == []


def test_perturbed_policy_says_the_same_numbers() -> None:
    plain = policy_document(policy_sections())
    reworded = policy_document(policy_sections(rng=random.Random(3)))
    for fact in ("60", "30", "14", "$200.00", "2 h", CANARY):
        assert fact in plain and fact in reworded
    assert plain != reworded


def test_the_response_times_written_are_the_tiers() -> None:
    hard = policy_document(policy_sections(Rules(sla=dict(SLA_HARD))))
    assert "urgent 45 min, high 2 h, normal 4 h, low 24 h" in hard


def test_an_amendment_applies_from_its_start() -> None:
    before = Rules()
    for key, changed in (("window:silver", 15), ("threshold", 10_000)):
        after = amended(before, key)
        amendment = Amendment(key, before, after, effective=600, announced=500)
        assert amendment.rules_at(599) is before and amendment.rules_at(600) is after
        assert changed in (after.windows["silver"], after.verify_above_cents)
        text = amendment.text("2025-03-03 10:00")
        assert "2025-03-03 10:00" in text and "before" in text
        assert text != amendment.text("2025-03-03 10:00", variant=1)
    assert Rules().eligible("standard", 14) and not Rules().eligible("standard", 15)
    assert Rules().needs_code(20_001) and not Rules().needs_code(20_000)


def test_the_policy_states_every_check_it_judges() -> None:
    for rng in (None, random.Random(1), random.Random(2)):
        sections = {s.key: s.text for s in policy_sections(rng=rng)}
        checking = sections["checking"]
        assert "read" in checking and "arrived" in checking and "earlier" in checking
        assert "lookup_customer" in checking or "look" in checking
        assert "safe" in sections["fraud"] and "resolved" in sections["fraud"]
        assert "safety questions" not in sections["escalation"]
    assert search(policy_sections(), "look up the records before deciding")[0].key == "checking"
