"""Suites: parsing, validation messages, built-ins, and expansion into episodes."""

from __future__ import annotations

import pytest

from undertow.scenarios.suite import (
    TRIAL_TEMPERATURE,
    SuiteError,
    builtin_suites,
    expand,
    load_suite,
    parse_seeds,
    parse_suite,
)

MINIMAL = """
name: tiny
scenarios:
  - name: repo
    env: undertow/Repo-v0
    options: {tickets: 2}
agents: [oracle, noop]
seeds: {public: 0-2, held_out: [9]}
"""


@pytest.mark.parametrize(
    ("text", "seeds"),
    [
        ("0-3", [0, 1, 2, 3]),
        ("1,4,7", [1, 4, 7]),
        ("0-1, 5, 8-9", [0, 1, 5, 8, 9]),
        (3, [3]),
        ([2, 1, 2], [1, 2]),
    ],
)
def test_parse_seeds(text: object, seeds: list[int]) -> None:
    assert parse_seeds(text) == seeds  # type: ignore[arg-type]


def test_expansion_covers_every_combination() -> None:
    suite = parse_suite(MINIMAL + "trials: 2\nvariants: {perturb: [false, true]}\n", "t")
    episodes = expand(suite)
    assert len(episodes) == 1 * 2 * 4 * 2 * 2  # scenario x variants x seeds x agents x trials
    assert len({e.key.id for e in episodes}) == len(episodes)
    held_out = [e for e in episodes if e.held_out]
    assert {e.key.seed for e in held_out} == {9}
    perturbed = [e for e in episodes if e.key.variant == "original-perturbed"]
    assert all(e.options["perturb"] is True for e in perturbed)


def test_difficulty_axis_names_variants() -> None:
    suite = parse_suite(MINIMAL + "variants: {difficulty: [0, 2]}\n", "t")
    variants = {e.key.variant: e.options["difficulty"] for e in expand(suite)}
    assert variants == {"d0": 0, "d2": 2}


def test_horizon_axis_varies_the_length_within_each_scenario() -> None:
    suite = parse_suite(
        MINIMAL + "variants: {difficulty: [1], horizon: {option: tickets, values: [2, 4, 8]}}\n",
        "t",
    )
    variants = {
        e.key.variant: (e.options["difficulty"], e.options["tickets"]) for e in expand(suite)
    }
    assert variants == {"d1-tickets2": (1, 2), "d1-tickets4": (1, 4), "d1-tickets8": (1, 8)}
    perturbed = parse_suite(
        MINIMAL + "variants: {perturb: [true], horizon: {option: tickets, values: [3]}}\n", "t"
    )
    assert {e.key.variant for e in expand(perturbed)} == {"tickets3-perturbed"}


def test_llm_agents_sample_at_a_documented_temperature_when_trials_vary() -> None:
    agents = (
        "agents: [oracle, {id: react, options: {model: openai/m}}, "
        "{id: plan-act-reflect, name: cold, options: {model: openai/m, temperature: 0.2}}]"
    )
    text = MINIMAL.replace("agents: [oracle, noop]", agents)
    options = {e.key.agent: e.agent.options for e in expand(parse_suite(text + "trials: 3\n", "t"))}
    assert TRIAL_TEMPERATURE == 0.7  # the value the README documents
    assert options["react"] == {"model": "openai/m", "temperature": TRIAL_TEMPERATURE}
    assert options["cold"]["temperature"] == 0.2  # the suite's own choice is kept
    assert options["oracle"] == {}
    single = {e.key.agent: e.agent.options for e in expand(parse_suite(text, "t"))}
    assert "temperature" not in single["react"]  # one trial: the client's default (0)


def test_builtin_smoke_suite_loads() -> None:
    assert "smoke" in builtin_suites()
    suite, text = load_suite("smoke")
    assert suite.name == "smoke" and "scenarios" in text
    assert suite.seeds.held_out


def test_suite_file_by_path(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "mine.yaml"
    path.write_text(MINIMAL)
    suite, _ = load_suite(str(path))
    assert suite.name == "tiny"


BAD_SUITES = [
    ("[1, 2]", "a suite is a mapping"),
    ("name: x\n  bad: : indent", "is not valid YAML"),
    (MINIMAL.replace("scenarios:", "scenarioz:"), "scenarioz (line 3): Extra inputs"),
    (MINIMAL.replace("undertow/Repo-v0", "undertow/Nope-v9"), "unknown env 'undertow/Nope-v9'"),
    (
        MINIMAL.replace("{tickets: 2}", "{tickets: 2}\n    limits: {max_steps: -1}"),
        "scenarios.0.limits.max_steps (line 7): Input should be greater than or equal to 1",
    ),
    (MINIMAL.replace("0-2", "0-"), "'0-' is not a seed list"),
    (MINIMAL.replace("0-2", "9-0"), "runs backwards; write 0-9"),
    (MINIMAL.replace("[9]", "[1]"), "both public and held out"),
    (MINIMAL + "trials: 0\n", "trials (line 9): Input should be greater than or equal to 1"),
    (MINIMAL.replace("[oracle, noop]", "[oracle, oracle]"), "agent names ['oracle'] repeat"),
    (MINIMAL.replace("{tickets: 2}", "{tikets: 2}"), "options ['tikets'] are not options"),
    (MINIMAL.replace("name: tiny", "name: 'has space'"), "name (line 2): String should match"),
    (
        MINIMAL + "variants: {horizon: {option: tikets, values: [2, 4]}}\n",
        "variants.horizon on repo: options ['tikets'] are not options of undertow/Repo-v0",
    ),
    (MINIMAL + "max_error_rate: 1.5\n", "max_error_rate (line 9): Input should be less than"),
]


@pytest.mark.parametrize(("text", "message"), BAD_SUITES)
def test_bad_suites_are_explained(text: str, message: str) -> None:
    with pytest.raises(SuiteError) as caught:
        parse_suite(text, "suites/bad.yaml")
    assert str(caught.value).startswith("suites/bad.yaml")
    assert message in str(caught.value)


def test_unknown_suite_name_lists_the_builtins() -> None:
    with pytest.raises(SuiteError, match=r"no suite 'smok'.*smoke"):
        load_suite("smok")


def test_missing_suite_file_is_explained() -> None:
    with pytest.raises(SuiteError, match=r"cannot read suite file nowhere\.yaml"):
        load_suite("nowhere.yaml")


def test_the_repository_envs_take_the_runs_sandbox_provider() -> None:
    from undertow.scenarios.runner import accepts_provider

    assert accepts_provider("undertow/Repo-v0") and accepts_provider("undertow/OwnRepo-v0")
    assert not accepts_provider("undertow/Helpdesk-v0")
