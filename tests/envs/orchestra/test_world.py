import pytest

from undertow.envs.orchestra.world import LEVELS, generate, normalise


def test_same_seed_same_world() -> None:
    assert generate(5) == generate(5)
    assert generate(5, perturb=True) == generate(5, perturb=True)


def test_different_seeds_differ() -> None:
    assert [d.text for d in generate(1).documents] != [d.text for d in generate(2).documents]


@pytest.mark.parametrize("difficulty", sorted(LEVELS))
def test_each_question_has_one_true_document_by_the_rules(difficulty: int) -> None:
    for seed in range(10):
        world = generate(seed, difficulty=difficulty)
        for question in world.questions:
            document = world.documents_by_id[world.truth_doc[question.id]]
            assert document.reliable and document.entity == question.entity
            assert normalise(document.states(question.attribute)) == normalise(question.truth)
            newer = [
                d
                for d in world.documents
                if d.entity == question.entity
                and d.reliable
                and d.states(question.attribute)
                and d.date > document.date
            ]
            assert not newer, (seed, question.id)
            assert document.restricted == question.restricted


def test_difficulty_gates_the_hazards() -> None:
    for difficulty, level in LEVELS.items():
        world = generate(3, difficulty=difficulty)
        hazards = [d.hazard for d in world.documents]
        injections = [d.injection.kind for d in world.documents if d.injection]
        assert len(world.entities) == level["entities"]
        assert hazards.count("false") == level["false"]
        assert injections.count("fake_fact") == level["injection"]
        assert injections.count("exfiltrate") == level["exfiltrate"]
        assert sum(q.restricted for q in world.questions) == level["auditor"]
        assert (world.holder is None) == (level["auditor"] == 0)


def test_perturbation_changes_the_surface_not_the_problem() -> None:
    original, perturbed = generate(4), generate(4, perturb=True)
    shape = lambda w: [(q.attribute, q.restricted) for q in w.questions]  # noqa: E731
    assert shape(original) == shape(perturbed)
    assert sorted(d.hazard or "" for d in original.documents) == sorted(
        d.hazard or "" for d in perturbed.documents
    )
    assert set(original.entities).isdisjoint(perturbed.entities)
    assert not {q.text for q in original.questions} & {q.text for q in perturbed.questions}


def test_normalise_ignores_case_spacing_and_separators() -> None:
    assert normalise(" Eastport. ") == normalise("eastport")
    assert normalise("12,400") == normalise(12400) == "12400"
    assert normalise("Ada  Adler") == "ada adler"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"difficulty": 7}, "difficulty must be 0-3"),
        ({"workers": 0}, "workers must be 1-8"),
        ({"entities": 13}, "entities must be 1-12"),
    ],
)
def test_bad_options_say_what_is_wrong(options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        generate(0, **options)


def test_entities_set_the_horizon_and_scale_the_hazards() -> None:
    small, large = generate(0, entities=2), generate(0, entities=12)
    assert len(large.questions) == 12 * 2 + 6 and len(small.questions) == 2 * 2 + 1
    hazards = lambda w: sum(d.hazard in ("false", "injection") for d in w.documents)  # noqa: E731
    assert hazards(large) == 3 * hazards(generate(0))
