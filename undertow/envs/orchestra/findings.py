"""Workers' findings, and the answers they support.

A finding is one fact a worker reported — (company, attribute) = value, citing documents.
An answer is *supported* when the findings reported before it lead to its value the way the
question combines facts: the finding on the fact itself (lookup); a finding on who owns X,
then a finding on that owner's attribute (chain); findings on both companies' facts, compared
(compare). Only a finding its worker read a cited document for can support an answer: one
citing nothing read (a value taken from a search result, a teammate's word or nowhere) leads
to no answer. The findings on the paths that lead to an answer are what it rests on: their
errors are the causes of a wrong answer, and the provenance graph derives the answer from
them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from undertow.envs.orchestra.values import canonical, key
from undertow.envs.orchestra.world import VALUE_KINDS, Fact, Question, World


@dataclass(frozen=True)
class Finding:
    claim: str
    """Its claim node in the provenance graph."""
    report: str
    """The message that carried it."""
    worker: str
    fact: Fact
    value: str
    """As reported."""
    key: str | None
    """The value it states (canonical), None when it names none or several."""
    correct: bool
    errors: tuple[str, ...]
    step: int
    sources: tuple[str, ...] = ()
    """The documents it cites that its worker read."""


Path = tuple[Finding, ...]


class FactBook:
    """The findings reported so far, by fact."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.by_fact: dict[Fact, list[Finding]] = {}
        self.names = {canonical(name): name for name in world.companies}

    def add(self, finding: Finding) -> None:
        self.by_fact.setdefault(finding.fact, []).append(finding)

    def reported(self, fact: Fact) -> list[Finding]:
        return self.by_fact.get(fact, [])

    def grounded(self, fact: Fact) -> list[Finding]:
        """The findings on ``fact`` that cite a document their worker read."""
        return [f for f in self.reported(fact) if f.sources]

    def company(self, text: str) -> str | None:
        """The company of the store that ``text`` names (exactly one), if any."""
        stated = self.world.vocabulary.stated(text, "company")
        return self.names.get(stated.value or "")

    def derive(self, question: Question) -> list[tuple[str, Path]]:
        """Each answer the findings lead to (canonical), with the findings it rests on."""
        if question.kind == "lookup":
            return [(f.key, (f,)) for f in self.grounded(question.facts[0]) if f.key]
        derived: list[tuple[str, Path]] = []
        if question.kind == "chain":
            for owned in self.grounded((question.entity, "parent")):
                owner = self.names.get(owned.key or "")
                if owner is None:
                    continue
                for finding in self.grounded((owner, question.attribute)):
                    if finding.key:
                        derived.append((finding.key, (owned, finding)))
            return derived
        first, second = question.companies
        kind = VALUE_KINDS[question.attribute]
        pairs = itertools.product(
            self.grounded((first, question.attribute)), self.grounded((second, question.attribute))
        )
        for a, b in pairs:
            if not (a.key and b.key and kind in ("count", "year")) or a.key == b.key:
                continue
            larger = first if int(a.key) > int(b.key) else second
            smaller = second if larger == first else first
            winner = larger if question.order == "more" else smaller
            derived.append((key(winner, "company"), (a, b)))
        return derived
