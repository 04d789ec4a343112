import random

from undertow.envs.helpdesk.policy import policy_document, policy_sections, search
from undertow.record import CANARY


def test_search_finds_the_relevant_section() -> None:
    sections = policy_sections()
    assert search(sections, "how long is the refund window for gold")[0].key == "refunds"
    assert search(sections, "merge two accounts")[0].key == "accounts"
    assert search(sections, "zzz qqq") == []


def test_perturbed_policy_says_the_same_numbers() -> None:
    plain = policy_document(policy_sections())
    reworded = policy_document(policy_sections(random.Random(3)))
    for fact in ("60", "30", "14", "$200.00", CANARY):
        assert fact in plain and fact in reworded
    assert plain != reworded
