"""Full-text search of the document store: SQLite FTS5, ranked by BM25.

A query is natural text (``"how many people does Valdris Foods employ"``): its words, less
common function words, are matched against each document's title and body with the Porter
stemmer (``headquartered`` finds ``headquarters``), any word sufficing. Documents matching
more of the query's words come first (coordination level), and among those BM25 ranks them,
the title weighted above the body (BM25 alone ignores words found in over half the documents,
which in a small store are the very words that say what is asked); ties go to the lower id.
A search can be limited to some collections (a worker searches only its own desk's).

In the hard tier a search does not hand over the answer: the index holds each document with
the values it states, mentions or announces withheld (``…``) and its dates given by the year
alone, so a result shows the title and enough of the text to choose what to read, never the
value itself (a value cannot be read off a result, nor confirmed by searching for it), nor
which of a year's documents is the most recent; the company a document is about stays.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from undertow.envs.orchestra.world import Document

STOPWORDS = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "s",
        "that",
        "the",
        "this",
        "to",
        "was",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "whose",
        "why",
        "will",
        "with",
    }
)
TITLE_WEIGHT = 4.0
RESULTS_SHOWN = {"basic": 20, "hard": 8}
"""Results a search lists, per tier."""
SNIPPET_WORDS = 14
WITHHELD = "…"
"""What stands in a search result where a document states a value."""
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}}) ({_MONTHS}) (\d{{4}})\b")
_MONTH_DAY_YEAR = re.compile(rf"\b({_MONTHS}) (\d{{1,2}}), (\d{{4}})\b")


@dataclass(frozen=True)
class Hit:
    """One search result: the document and a passage of it around the words matched."""

    doc_id: str
    snippet: str


def query_words(query: str) -> list[str]:
    """The words of a query that are searched for (lower case, function words dropped)."""
    words = re.findall(r"[a-z0-9]+", query.lower())
    return list(dict.fromkeys(w for w in words if w not in STOPWORDS))


def withheld_values(document: Document) -> list[str]:
    """The values a search result must not show: those the document states, mentions as
    former or announces, and the value an instruction in it asks for (not the company it is
    about), longest first."""
    values = {v for _, _, v in (*document.states, *document.past, *document.announced)}
    if document.injection is not None and document.injection.fake:
        values.add(document.injection.fake)
    values -= {"none", document.entity}
    return sorted(values, key=lambda v: (-len(v), v))


def withhold(text: str, values: Collection[str]) -> str:
    """``text`` with each of ``values`` (as a whole word) replaced by ``WITHHELD``, and each
    date written out (``13 December 2025``, ``December 13, 2025``) by its year."""
    text = _DAY_MONTH_YEAR.sub(r"\3", _MONTH_DAY_YEAR.sub(r"\3", text))
    if not values:
        return text
    pattern = "|".join(re.escape(v) for v in sorted(values, key=len, reverse=True))
    return re.sub(rf"(?<![\w,])(?:{pattern})(?![\w]|,\d)", WITHHELD, text)


class DocumentIndex:
    """An in-memory FTS5 index of one world's documents; with ``withhold_values`` (the hard
    tier), of the documents with their values withheld (see the module docstring)."""

    def __init__(self, documents: Iterable[Document], *, withhold_values: bool = False) -> None:
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._word_rows: dict[str, frozenset[int]] = {}
        self._db.execute(
            "CREATE VIRTUAL TABLE docs USING fts5("
            "doc_id UNINDEXED, collection UNINDEXED, title, body, tokenize='porter unicode61')"
        )
        rows = []
        for index, document in enumerate(documents, start=1):
            title, body = document.title, document.text
            if withhold_values:
                hidden = withheld_values(document)
                title, body = withhold(title, hidden), withhold(body, hidden)
            rows.append((index, document.id, document.collection, title, body))
        self._db.executemany(
            "INSERT INTO docs(rowid, doc_id, collection, title, body) VALUES (?, ?, ?, ?, ?)", rows
        )
        self.titles = {row[1]: row[3] for row in rows}
        """Document id -> its title as results show it."""

    def search(
        self, query: str, *, collections: Collection[str] | None = None, limit: int = 10
    ) -> list[Hit]:
        """The documents best matching ``query`` (in ``collections``, if given), best first:
        those matching more of its words first, then by BM25."""
        words = query_words(query)
        if not words:
            return []
        where, parameters = "docs MATCH ?", [" OR ".join(f'"{word}"' for word in words)]
        if collections is not None:
            where += f" AND collection IN ({', '.join('?' * len(collections))})"
            parameters += sorted(collections)
        ranked = self._db.execute(
            f"SELECT rowid, bm25(docs, 0, 0, ?, 1.0) FROM docs WHERE {where}",
            [TITLE_WEIGHT, *parameters],
        ).fetchall()
        matched = [self._rows(word) for word in words]
        ranked.sort(key=lambda row: (-sum(row[0] in m for m in matched), row[1], row[0]))
        best = [rowid for rowid, _ in ranked[:limit]]
        if not best:
            return []
        snippets = dict(
            self._db.execute(
                f"SELECT rowid, doc_id || char(0) || snippet(docs, 3, '', '', ' ... ', ?) "
                f"FROM docs WHERE docs MATCH ? AND rowid IN ({', '.join('?' * len(best))})",
                [SNIPPET_WORDS, parameters[0], *best],
            ).fetchall()
        )
        hits = []
        for rowid in best:
            doc_id, _, snippet = snippets[rowid].partition("\0")
            hits.append(Hit(doc_id, " ".join(snippet.split())))
        return hits

    def _rows(self, word: str) -> frozenset[int]:
        """The documents a word matches (kept: queries repeat their words)."""
        rows = self._word_rows.get(word)
        if rows is None:
            found = self._db.execute("SELECT rowid FROM docs WHERE docs MATCH ?", [f'"{word}"'])
            rows = self._word_rows[word] = frozenset(rowid for (rowid,) in found)
        return rows

    def close(self) -> None:
        self._db.close()
