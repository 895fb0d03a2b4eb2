"""Each entity's relevance to each article it is named in (issue 10 item 5), table ``article_entities`` (m012).

One row per (article, entity): the 0-100 relevance (``narrative.nlp.entity_relevance``), the entity's mentions in
the article, whether the headline names it, the first sentence naming it, the features the score was computed
from, and the version that produced it (extractor version / relevance version). An article's rows are replaced
whole inside the enrichment's transaction; rows of another version are recomputed by the next ``enrich``
(:func:`stale_articles`). Entities are keyed as in the aggregates: ``linked`` 1 and the catalog id, or 0 and the
lower-cased name. Writes mark the article's day dirty, so ``entity_days`` keeps its relevance-weighted counts.

>>> from narrative.store import open_db
>>> db = open_db(":memory:")
>>> article_entity_rows(db, 1)
[]
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

from .db import placeholders, rows

if TYPE_CHECKING:  # type hints only: a read command does not import sqlite-utils (issue 12)
    from sqlite_utils import Database


class RelevanceLike(Protocol):  # narrative.nlp.entity_relevance.EntityRelevance, without importing nlp here
    entity_key: str
    entity_id: str | None
    name: str
    label: str
    relevance: int
    mentions: int
    in_title: bool
    first_sentence: int
    features: dict[str, float]


def create_article_entities(db: Database) -> None:
    """Migration m012: the table, its indexes, and the triggers marking the article's day for the aggregates."""
    db.execute("""
        CREATE TABLE article_entities (
            article_id INTEGER NOT NULL REFERENCES articles(id),
            linked INTEGER NOT NULL,
            entity_key TEXT NOT NULL,
            entity_id TEXT,
            name TEXT NOT NULL,
            label TEXT NOT NULL,
            relevance INTEGER NOT NULL,
            mentions INTEGER NOT NULL,
            in_title INTEGER NOT NULL,
            first_sentence INTEGER NOT NULL,
            features TEXT NOT NULL DEFAULT '{}',
            version TEXT NOT NULL,
            PRIMARY KEY (article_id, linked, entity_key)
        ) WITHOUT ROWID""")
    # An entity's articles by relevance (the --min-relevance filters, a weighted series), and stale rows by version.
    db.execute("CREATE INDEX idx_article_entities_key ON article_entities(linked, entity_key, relevance)")
    db.execute("CREATE INDEX idx_article_entities_version ON article_entities(version, article_id)")
    # The relevance-weighted columns of the per-day entity aggregates (m009), recomputed with the day.
    for table in ("entity_days", "entity_totals"):
        db.execute(f"ALTER TABLE {table} ADD COLUMN weighted_articles REAL NOT NULL DEFAULT 0")
    day = (
        "INSERT OR IGNORE INTO aggregate_dirty (kind, narrative, day) SELECT 'entities', '', "
        "substr(published, 1, 10) FROM articles WHERE id = {row}.article_id;"
    )
    for event, row in (("INSERT", "NEW"), ("DELETE", "OLD")):
        db.execute(
            f"CREATE TRIGGER aggregates_article_entities_{event.lower()} AFTER {event} ON article_entities "
            f"BEGIN {day.format(row=row)} END"
        )


def save_article_entities(db: Database, article_id: int, found: Iterable[RelevanceLike], *, version: str) -> None:
    """Replace the relevance rows of one article (call inside ``db.atomic()``, with its extraction's rows)."""
    db.execute("DELETE FROM article_entities WHERE article_id = ?", [article_id])
    db.conn.executemany(
        "INSERT INTO article_entities (article_id, linked, entity_key, entity_id, name, label, relevance, mentions, "
        "in_title, first_sentence, features, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                article_id,
                int(r.entity_id is not None),
                r.entity_key,
                r.entity_id,
                r.name,
                r.label,
                r.relevance,
                r.mentions,
                int(r.in_title),
                r.first_sentence,
                json.dumps(r.features, sort_keys=True),
                version,
            )
            for r in found
        ],
    )


def stale_articles(
    db: Database, version: str, *, article_ids: Iterable[int] | None = None, limit: int | None = None
) -> list[tuple[int, str, str, str | None]]:
    """Enriched articles with names whose relevance rows are missing or of another ``version``: (id, title, text,
    language), as :func:`narrative.store.extraction.pending_articles` gives them, so ``enrich`` recomputes them.

    >>> from narrative.store import open_db
    >>> stale_articles(open_db(":memory:"), "relevance-1+abc")
    []
    """
    sql = (
        "SELECT a.id, a.title, a.text, a.language FROM enrichments e JOIN articles a ON a.id = e.article_id "
        "WHERE e.mentions > 0 AND NOT EXISTS (SELECT 1 FROM article_entities r WHERE r.article_id = e.article_id "
        "AND r.version = ?)"
    )
    params: list[Any] = [version]
    if article_ids is not None:
        ids = list(article_ids)
        if not ids:
            return []
        sql += f" AND e.article_id IN ({placeholders(ids)})"
        params += ids
    sql += " ORDER BY e.article_id"
    if limit:
        sql += " LIMIT ?"
        params.append(limit)
    return db.execute(sql, params).fetchall()


def with_stale(
    db: Database,
    pending: list[tuple[int, str, str, str | None]],
    version: str,
    *,
    article_ids: Iterable[int] | None = None,
    limit: int | None = None,
) -> list[tuple[int, str, str, str | None]]:
    """``pending`` plus the :func:`stale_articles` it lacks, by id (``limit`` caps the total)."""
    have = {row[0] for row in pending}
    merged = pending + [
        row for row in stale_articles(db, version, article_ids=article_ids, limit=limit) if row[0] not in have
    ]
    merged.sort(key=lambda row: row[0])
    return merged[:limit] if limit else merged


def article_entity_rows(db: Database, article_id: int) -> list[dict[str, Any]]:
    """The stored relevance rows of one article, most relevant first (features decoded)."""
    found = rows(
        db,
        "SELECT entity_id, entity_key, linked, name, label, relevance, mentions, in_title, first_sentence, features, "
        "version FROM article_entities WHERE article_id = ? ORDER BY relevance DESC, first_sentence, entity_key",
        [article_id],
    )
    for row in found:
        row["features"] = json.loads(row["features"])
    return found


def attach_relevance(db: Database, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add ``relevance`` (0-100, None before the article's rows exist) to mention rows (``article_id``,
    ``entity_id``, ``entity`` = the stored name): the relevance of the mentioned entity to the mention's article.

    >>> from narrative.store import open_db
    >>> attach_relevance(open_db(":memory:"), [{"article_id": 1, "entity_id": None, "entity": "Jack Ma"}])
    [{'article_id': 1, 'entity_id': None, 'entity': 'Jack Ma', 'relevance': None}]
    """
    ids = sorted({row["article_id"] for row in found})
    scores: dict[tuple[int, int, str], int] = {}
    for start in range(0, len(ids), 500):  # SQLite's parameter limit
        chunk = ids[start : start + 500]
        for article_id, linked, key, score in db.execute(
            f"SELECT article_id, linked, entity_key, relevance FROM article_entities WHERE article_id IN "
            f"({placeholders(chunk)})",
            chunk,
        ):
            scores[(article_id, linked, key)] = score
    for row in found:
        linked = row["entity_id"] is not None
        key = row["entity_id"] if linked else str(row["entity"]).lower()
        row["relevance"] = scores.get((row["article_id"], int(linked), key))
    return found
