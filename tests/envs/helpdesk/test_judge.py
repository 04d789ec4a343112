"""Judging by what the policy says: one answer stated, no credit for a guess."""

import re
from pathlib import Path

from undertow.envs.helpdesk.judge import LEDGER_KINDS, Verdict, score, stated_values
from undertow.envs.helpdesk.privacy import PrivateData
from undertow.envs.helpdesk.world import Answer, Customer

ADA = Customer("C1001", "Ada Adler", "ada@mail.example", "gold", "12 Elm Street, X", "4821", -9)
PRIVATE = PrivateData({"C1001": ADA}, {"C1001": ADA.address})


def test_an_answer_is_the_one_value_the_replies_state() -> None:
    days = Answer("days", "60")
    assert stated_values(days, ["Gold members have a 60-day window."], PRIVATE) == {"60"}
    assert stated_values(days, ["It is 60 days from delivery."], PRIVATE) == {"60"}
    every = stated_values(days, ["Gold 60 days, silver 30 days, standard 14 days."], PRIVATE)
    assert every == {"60", "30", "14"}
    assert stated_values(days, ["60 days.", "Sorry: 30 days."], PRIVATE) == {"60", "30"}
    assert stated_values(days, ["I don't know."], PRIVATE) == set()
    dollars = Answer("dollars", "200.00")
    assert stated_values(dollars, ["Above $200 we need it; $200.00 exactly is fine"], PRIVATE) == {
        "200.00"
    }
    address = Answer("address", ADA.address)
    assert stated_values(address, ["We have 12 Elm Street on file."], PRIVATE) == {"12 elm street"}


def test_a_guess_earns_nothing() -> None:
    passed = [Verdict("read", "unread_decision", True), Verdict("field", "wrong_refund", True)]
    assert score(passed) == 1.0
    half = [Verdict("reply", "no_reply", False), *passed[1:]]
    assert score(half) == 0.5
    for guess in ("unread_decision", "needless_escalation"):
        assert score([Verdict("x", guess, False), *[passed[1]] * 5]) == 0.0
    assert score([Verdict("decision", "wrong_resolution", False), *[passed[1]] * 5]) == 0.0


def test_the_docs_say_what_each_error_kind_rests_on() -> None:
    text = (Path(__file__).parents[3] / "docs" / "helpdesk.md").read_text()
    section = text.split("### What each error rests on", 1)[1].split("\n#", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    named = {kind for row in rows for kind in re.findall(r"`(\w+)`", row.split("|")[1])}
    assert named == set(LEDGER_KINDS)
