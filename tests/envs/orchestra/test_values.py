import pytest

from undertow.envs.orchestra.values import Vocabulary, canonical, numbers_in, years_in

VOCABULARY = Vocabulary(
    {
        "city": ["Eastport", "Northvale"],
        "firm": ["Hartwell & Boyd", "Stanton Reed"],
        "person": ["Ada Adler", "Ada Brandt"],
        "company": ["Valdris Foods", "Valdris Freight"],
    }
)


@pytest.mark.parametrize(
    ("answer", "kind", "truth"),
    [
        ("1,380 people", "count", "1,380"),
        ("1380", "count", "1,380"),
        ("about 1 380 employees as of 2025", "count", "1,380"),
        ("1.380", "count", "1,380"),
        ("The workforce numbers 1,380 (D042).", "count", "1,380"),
        ("Hartwell and Boyd", "firm", "Hartwell & Boyd"),
        ("Hartwell & Boyd LLP", "firm", "Hartwell & Boyd"),
        ("hartwell  &  boyd.", "firm", "Hartwell & Boyd"),
        ("Eastport (since 2025)", "city", "Eastport"),
        ("eastport, according to the registry", "city", "Eastport"),
        ("Ms Ada Adler", "person", "Ada Adler"),
        ("founded in 1987 (incorporated 1987-06-14)", "year", "1987"),
        ("Valdris Foods Ltd", "company", "Valdris Foods"),
        ("Atlantis, I believe", "city", "Atlantis"),
    ],
)
def test_an_answer_is_compared_by_the_value_it_states(answer: str, kind: str, truth: str) -> None:
    assert VOCABULARY.same(answer, truth, kind)


@pytest.mark.parametrize(
    ("answer", "kind", "truth"),
    [
        ("Eastport or Northvale", "city", "Eastport"),
        ("Eastport; earlier Northvale", "city", "Eastport"),
        ("1,380 (earlier 1,250)", "count", "1,380"),
        ("either 1987 or 1988", "year", "1987"),
        ("Ada Adler, or perhaps Ada Brandt", "person", "Ada Adler"),
        ("Hartwell & Boyd / Stanton Reed", "firm", "Hartwell & Boyd"),
        ("Valdris Foods (not Valdris Freight)", "company", "Valdris Foods"),
    ],
)
def test_an_answer_naming_several_candidates_is_never_right(
    answer: str, kind: str, truth: str
) -> None:
    stated = VOCABULARY.stated(answer, kind)
    assert stated.hedged and stated.value is None
    assert not VOCABULARY.same(answer, truth, kind)


@pytest.mark.parametrize(
    ("answer", "kind", "truth"),
    [
        ("Valdris Freight", "company", "Valdris Foods"),
        ("Ada", "person", "Ada Adler"),
        ("1,381", "count", "1,380"),
        ("", "city", "Eastport"),
        ("no idea", "count", "1,380"),
    ],
)
def test_a_different_or_missing_value_is_wrong(answer: str, kind: str, truth: str) -> None:
    assert not VOCABULARY.same(answer, truth, kind)


def test_numbers_that_are_dates_or_identifiers_are_not_values() -> None:
    assert numbers_in("D042 and Q3 say 2,150 as of 2025, filed 2025-03-01") == [2150]
    assert numbers_in("12 March 2025: 4,410 people") == [4410]
    assert years_in("FY2024 report: founded 1987") == [1987]


def test_canonical_names_ignore_case_punctuation_and_suffixes() -> None:
    assert canonical("Dr. Ada  Adler") == canonical("ada adler") == "ada adler"
    assert canonical("Corwin & Vale LLP") == canonical("corwin and vale")
    assert canonical("Ashgrove LLP") == "ashgrove"


def test_values_in_a_text_are_every_kind_it_mentions() -> None:
    found = VOCABULARY.values_in("Valdris Foods is in Eastport with 1,380 staff since 1999")
    assert found >= {("company", "valdris foods"), ("city", "eastport"), ("count", "1380")}
    assert ("year", "1999") in found and ("count", "1999") not in found
