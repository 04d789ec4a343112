import re

import pytest

from undertow.envs.orchestra.search import (
    DocumentIndex,
    query_words,
    withheld_values,
    withhold,
)
from undertow.envs.orchestra.world import ATTRIBUTE_NAMES as ATTRIBUTES
from undertow.envs.orchestra.world import Document, generate


def doc(doc_id: str, title: str, text: str, collection: str = "wire") -> Document:
    return Document(doc_id, title, "Tideway Wire", collection, "2025-01-01", "X", (), text, True)


def test_natural_phrasing_finds_and_ranks_documents() -> None:
    index = DocumentIndex(
        [
            doc("D1", "Valdris Foods annual report", "Valdris Foods employs 1,380 people."),
            doc(
                "D2",
                "Registry record: Valdris Foods",
                "Registered office: Eastport. Its headquarters.",
            ),
            doc("D3", "Korvath Energy annual report", "Korvath Energy employs 2,000 people."),
        ]
    )
    hits = [h.doc_id for h in index.search("Where is Valdris Foods headquartered?")]
    assert hits[0] == "D2", "a stemmed word (headquartered ~ headquarters) finds it"
    hits = [h.doc_id for h in index.search("how many people does Valdris Foods employ")]
    assert hits[:2] == ["D1", "D3"] or hits[0] == "D1"
    assert index.search("the of and") == []
    assert "1,380" in index.search("Valdris employ")[0].snippet


def test_a_search_keeps_to_the_collections_given() -> None:
    index = DocumentIndex(
        [
            doc("D1", "A story", "Valdris news", "wire"),
            doc("D2", "A filing", "Valdris record", "registry"),
        ]
    )
    assert [h.doc_id for h in index.search("Valdris", collections={"registry"})] == ["D2"]
    assert index.search("Valdris", collections=set()) == []


def test_query_words_drop_function_words_and_punctuation() -> None:
    assert query_words("Who is the chief executive of Valdris Foods?") == [
        "chief",
        "executive",
        "valdris",
        "foods",
    ]
    assert query_words('"quoted" OR NEAR(x)') == ["quoted", "near", "x"]


def test_every_hard_tier_fact_is_found_by_its_company_and_attribute() -> None:
    world = generate(0, difficulty=3)
    index = DocumentIndex(world.documents)
    for question in world.questions:
        for company, attribute in question.facts:
            truth = world.truth_doc[(company, attribute)]
            collection = world.documents_by_id[truth].collection
            hits = index.search(f"{company} {attribute}", collections={collection}, limit=50)
            assert truth in [h.doc_id for h in hits]


@pytest.mark.parametrize("seed", range(3))
def test_hard_tier_results_show_no_value_a_document_states(seed: int) -> None:
    world = generate(seed, difficulty=3)
    index = DocumentIndex(world.documents, withhold_values=True)
    for question in world.questions:
        for company, attribute in question.facts:
            for hit in index.search(f"{company} {ATTRIBUTES[attribute]}", limit=50):
                document = world.documents_by_id[hit.doc_id]
                shown = f"{index.titles[hit.doc_id]} {hit.snippet}"
                for value in withheld_values(document):
                    assert not re.search(rf"(?<![\w,]){re.escape(value)}(?!\w|,\d)", shown), (
                        document.id,
                        value,
                    )


def test_a_withheld_value_cannot_be_found_by_searching_for_it() -> None:
    world = generate(0, difficulty=3)
    document = next(d for d in world.documents if d.hazard is None and d.collection == "wire")
    value = withheld_values(document)[0]
    index = DocumentIndex(world.documents, withhold_values=True)
    assert document.id not in [h.doc_id for h in index.search(value, limit=500)]
    plain = DocumentIndex(world.documents)
    assert document.id in [h.doc_id for h in plain.search(value, limit=500)]


def test_withholding_keeps_numbers_that_merely_contain_a_value() -> None:
    assert withhold("2,220 people, not 220; 220 and 1220", ["220"]) == (
        "2,220 people, not …; … and 1220"
    )
    assert withhold("Fallow Industries owns it", ["Fallow Industries"]) == "… owns it"


def test_withholding_gives_dates_by_their_year() -> None:
    assert withhold("Tideway Wire, 13 December 2025: from 5 April 2026.", []) == (
        "Tideway Wire, 2025: from 2026."
    )
    assert withhold("Northlight News Agency -- March 3, 2024.", []) == (
        "Northlight News Agency -- 2024."
    )
