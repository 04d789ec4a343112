"""Comparing answers by the value they state, not by their spelling.

An answer (or a worker's finding) is free text: ``"1,380 people"``, ``"Hartwell and Boyd"``,
``"Eastport (since 2025)"``. :func:`stated` extracts the one value it states, of the kind the
question asks for (a city, a year, a person, a headcount, an audit firm, a company):

- names are matched against the world's own names of that kind (case, spacing, punctuation,
  ``&`` / ``and``, honorifics and legal suffixes such as ``Ltd`` or ``LLP`` do not matter);
  text naming none of them is compared whole, with trailing qualifiers (a parenthesis, a
  clause after a comma or dash) dropped;
- numbers may carry separators (``1,380``, ``1 380``, ``1.380``) and words around them; a
  number glued to letters (``D042``, ``Q3``) or giving a date (``as of 2025``, ``2025-03-01``)
  is not the value;
- an answer that names **several** candidates of the kind (``"Eastport or Northvale"``,
  ``"1,380 (earlier 1,250)"``) states no single value: it is never right.

:class:`Vocabulary` also finds every value a text mentions, which is how the env follows
values through messages (``values_in``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

NAME_KINDS = ("city", "person", "firm", "company")
NUMBER_KINDS = ("year", "count")
HONORIFICS = ("mr", "mrs", "ms", "mx", "dr", "prof", "sir", "dame")
LEGAL_SUFFIXES = ("ltd", "limited", "plc", "llp", "inc", "gmbh", "ag", "sa", "co")
MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_DATE_CONTEXT = re.compile(
    rf"\b(?:(?:in|since|as of|as at|from|by|until|till|during|end of|year|fy|financial year|"
    rf"for)\s+|(?:\d{{1,2}}\s+)?(?:{MONTHS})\.?\s+(?:\d{{1,2}},?\s+)?)(?:19|20)\d{{2}}\b",
    re.IGNORECASE,
)
_GLUED = re.compile(r"\b[A-Za-z]+[-_/]?\d[\w-]*|\b\d+[A-Za-z][\w-]*")
_NUMBER = re.compile(r"(?<![\d.,])\d{1,3}(?:(?:,|\.|\u00a0|\u202f| )\d{3})+(?![\d])|\d+")
_YEAR = re.compile(r"(?<!\d)(1[89]\d{2}|20\d{2})(?!\d)")
_QUALIFIER = re.compile(r"\s*(?:\(.*\)|\[.*\]|[,;:\u2013\u2014-]\s.*|\s-\s.*)$")


def canonical(text: object) -> str:
    """A name as compared: lower case, accents, punctuation and spacing dropped, ``&`` read
    as ``and``, a leading honorific and trailing legal suffixes removed."""
    folded = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", " ", folded.lower().replace("&", " and ")).split()
    while words and words[0] in HONORIFICS:
        words = words[1:]
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words = words[:-1]
    return " ".join(words)


def numbers_in(text: str) -> list[int]:
    """The numbers a text states as quantities (not dates, not identifiers), in order."""
    cleaned = _GLUED.sub(" ", _DATE_CONTEXT.sub(" ", _ISO_DATE.sub(" ", text)))
    return [int(re.sub(r"\D", "", match)) for match in _NUMBER.findall(cleaned)]


def years_in(text: str) -> list[int]:
    """The years a text names (four digits, 1800-2099, not inside an identifier)."""
    cleaned = _GLUED.sub(" ", _ISO_DATE.sub(lambda m: m.group()[:4], text))
    return [int(year) for year in _YEAR.findall(cleaned)]


def key(value: str, kind: str) -> str:
    """The canonical form of a known value of ``kind`` (what :meth:`Vocabulary.stated`
    returns for a text stating it)."""
    if kind in NUMBER_KINDS:
        digits = re.sub(r"\D", "", value)
        return str(int(digits)) if digits else ""
    return canonical(value)


@dataclass(frozen=True)
class Stated:
    """What an answer states: its one value (canonical), or None when it names none or
    several; ``candidates`` are the distinct values it names."""

    value: str | None
    candidates: tuple[str, ...]

    @property
    def hedged(self) -> bool:
        """It names several candidates."""
        return len(self.candidates) > 1


class Vocabulary:
    """The names of each kind a world uses, for finding which of them a text mentions."""

    def __init__(self, names: Mapping[str, Iterable[str]]) -> None:
        self.names = {
            kind: sorted({canonical(n) for n in names.get(kind, ())}) for kind in NAME_KINDS
        }

    @cached_property
    def _patterns(self) -> dict[str, re.Pattern[str] | None]:
        patterns: dict[str, re.Pattern[str] | None] = {}
        for kind, names in self.names.items():
            ordered = sorted((n for n in names if n), key=len, reverse=True)
            alternation = "|".join(re.escape(name) for name in ordered)
            patterns[kind] = (
                re.compile(rf"(?<![a-z0-9])(?:{alternation})(?![a-z0-9])") if ordered else None
            )
        return patterns

    def mentions(self, text: str, kind: str) -> list[str]:
        """The distinct names of ``kind`` the text mentions (canonical), in order."""
        return self._found(canonical(text), kind)

    def _found(self, canonical_text: str, kind: str) -> list[str]:
        pattern = self._patterns.get(kind)
        if pattern is None:
            return []
        return list(dict.fromkeys(pattern.findall(canonical_text)))

    def stated(self, text: object, kind: str) -> Stated:
        """The value ``text`` states, of ``kind`` (see the module docstring)."""
        raw = str(text).strip()
        if kind in NUMBER_KINDS:
            found = years_in(raw) if kind == "year" else numbers_in(raw)
            distinct = tuple(dict.fromkeys(str(n) for n in found))
        else:
            distinct = tuple(self.mentions(raw, kind))
            if not distinct:
                whole = canonical(_QUALIFIER.sub("", raw)) or canonical(raw)
                distinct = (whole,) if whole else ()
        return Stated(distinct[0] if len(distinct) == 1 else None, distinct)

    def same(self, text: object, truth: str, kind: str) -> bool:
        """``text`` states exactly the value ``truth`` (a value of ``kind``)."""
        value = self.stated(text, kind).value
        return value is not None and value == key(truth, kind)

    def values_in(self, text: str) -> set[tuple[str, str]]:
        """Every (kind, canonical value) the text mentions: names of each kind, numbers and
        years (a number may be either, so both are given)."""
        folded = canonical(text)
        found = {(kind, name) for kind in NAME_KINDS for name in self._found(folded, kind)}
        found |= {("count", str(n)) for n in numbers_in(text)}
        found |= {("year", str(n)) for n in years_in(text)}
        return found
