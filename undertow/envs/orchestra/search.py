"""Full-text search of the document store: SQLite FTS5, ranked by BM25.

A query is natural text (``"how many people does Valdris Foods employ"``): its words, less
common function words, are matched against each document's title and body with the Porter
stemmer (``headquartered`` finds ``headquarters``), any word sufficing. Documents matching
more of the query's words come first (coordination level), and among those BM25 ranks them,
the title weighted above the body (BM25 alone ignores words found in over half the documents,
which in a small store are the very words that say what is asked); ties go to the lower id.
A search can be limited to some collections (a worker searches only its own desk's).
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


@dataclass(frozen=True)
class Hit:
    """One search result: the document and a passage of it around the words matched."""

    doc_id: str
    snippet: str


def query_words(query: str) -> list[str]:
    """The words of a query that are searched for (lower case, function words dropped)."""
    words = re.findall(r"[a-z0-9]+", query.lower())
    return list(dict.fromkeys(w for w in words if w not in STOPWORDS))


class DocumentIndex:
    """An in-memory FTS5 index of one world's documents."""

    def __init__(self, documents: Iterable[Document]) -> None:
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._word_rows: dict[str, frozenset[int]] = {}
        self._db.execute(
            "CREATE VIRTUAL TABLE docs USING fts5("
            "doc_id UNINDEXED, collection UNINDEXED, title, body, tokenize='porter unicode61')"
        )
        self._db.executemany(
            "INSERT INTO docs(rowid, doc_id, collection, title, body) VALUES (?, ?, ?, ?, ?)",
            [
                (index, d.id, d.collection, d.title, d.text)
                for index, d in enumerate(documents, start=1)
            ],
        )

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
