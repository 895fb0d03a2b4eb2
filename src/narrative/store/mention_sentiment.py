"""Entity sentiment of every mention (issue 10 item 4): one row per ``mentions`` row, stamped with the scorer
version that produced it, so a new model makes rows pending again.

``method`` says how the label was made: ``model`` (the entity-targeted model, English) or ``zh-lexicon`` (a
Chinese sentence: the sentence's lexicon polarity, the same for every entity in it, not targeted).

>>> from narrative.store import open_db
>>> pending_mentions(open_db(":memory:"), "esent-1+entity_sentiment@00000000")
[]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .db import placeholders, published_window, rows

if TYPE_CHECKING:  # type hints only: a read command does not import sqlite-utils (issue 12)
    from sqlite_utils import Database

COLUMNS = (
    "mention_id",
    "article_id",
    "label",
    "negative",
    "neutral",
    "positive",
    "polarity",
    "method",
    "scorer_version",
    "scored_at",
)


def create_mention_sentiment(db: Database) -> None:
    """Migration m011: the table, and a trigger that drops a mention's sentiment with the mention (re-enrichment
    replaces an article's mentions, whose ids then name other rows)."""
    db.execute("""
        CREATE TABLE mention_sentiment (
            mention_id INTEGER PRIMARY KEY,
            article_id INTEGER NOT NULL REFERENCES articles(id),
            label TEXT NOT NULL,
            negative REAL NOT NULL,
            neutral REAL NOT NULL,
            positive REAL NOT NULL,
            polarity REAL NOT NULL,
            method TEXT NOT NULL,
            scorer_version TEXT NOT NULL,
            scored_at TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX idx_mention_sentiment_article ON mention_sentiment(article_id)")
    db.execute("CREATE INDEX idx_mention_sentiment_version ON mention_sentiment(scorer_version)")
    db.execute(
        "CREATE TRIGGER mention_sentiment_mentions_delete AFTER DELETE ON mentions BEGIN "
        "DELETE FROM mention_sentiment WHERE mention_id = OLD.id; END"
    )


@dataclasses.dataclass(frozen=True)
class PendingMention:
    """A mention to score: its sentence and where in that sentence the name is."""

    mention_id: int
    article_id: int
    surface: str
    sentence: str
    start: int  # in the sentence
    end: int


def pending_mentions(
    db: Database, version: str, *, article_ids: Iterable[int] | None = None, limit: int | None = None
) -> list[PendingMention]:
    """Mentions without sentiment from ``version``: never scored, or scored by another version.

    ``article_ids`` (the articles just enriched) is a hint that keeps this cheap on a large store: when every
    unscored mention is in them (the two row counts say so), only they and the rows of other versions (through
    the version index) are read; otherwise (a store from before m011, an interrupted run) every mention is.
    ``limit`` caps the rows read beyond the hint's (first unscored, then other versions), so a large backlog comes
    in pieces: score and save them, then ask again until nothing is pending.

    >>> from narrative.store import open_db
    >>> pending_mentions(open_db(":memory:"), "v1", article_ids=[1])
    []
    """
    select = (
        'SELECT m.id, m.article_id, m.surface, s.text, m.start - s.start, m."end" - s.start '
        "FROM mentions m JOIN sentences s ON s.article_id = m.article_id AND s.idx = m.sentence_idx "
    )
    unscored = "LEFT JOIN mention_sentiment ms ON ms.mention_id = m.id WHERE ms.mention_id IS NULL"
    ids = None if article_ids is None else sorted(set(article_ids))
    missing = db.execute(
        "SELECT (SELECT count(*) FROM mentions) - (SELECT count(*) FROM mention_sentiment)"
    ).fetchone()[0]
    found: list[tuple] = []
    if ids is not None and missing > 0:
        for first in range(0, len(ids), 500):
            part = ids[first : first + 500]
            found += db.execute(select + unscored + f" AND m.article_id IN ({placeholders(part)})", part).fetchall()
    cap = -1 if limit is None else limit  # SQLite: LIMIT -1 is no limit
    if missing > len(found):  # unscored mentions outside the hint: read them (all, or the first `limit`)
        found = db.execute(select + unscored + " ORDER BY m.id LIMIT ?", [cap]).fetchall()
    room = -1 if limit is None else max(0, limit - len(found))
    # "<" and ">" rather than "!=": SQLite then reads the version index instead of every row
    found += db.execute(
        select + "WHERE m.id IN (SELECT mention_id FROM mention_sentiment "
        "WHERE scorer_version < ? OR scorer_version > ? LIMIT ?)",
        [version, version, room],
    ).fetchall()
    return [PendingMention(*row) for row in sorted(found)]


def save_mention_sentiment(
    db: Database, scored: Iterable[tuple[PendingMention, str, float, float, float, str]], *, version: str, now: str
) -> int:
    """Store (mention, label, negative, neutral, positive, method) rows, replacing older ones (call inside
    ``db.atomic()``); returns how many were written."""
    values = [
        (m.mention_id, m.article_id, label, neg, neu, pos, pos - neg, method, version, now)
        for m, label, neg, neu, pos, method in scored
    ]
    db.conn.executemany(
        f"INSERT OR REPLACE INTO mention_sentiment ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
        values,
    )
    return len(values)


def sentiment_of_mentions(db: Database, mention_ids: list[int]) -> dict[int, dict[str, Any]]:
    """{mention id: its sentiment row} for the given mentions (those scored)."""
    if not mention_ids:
        return {}
    found = rows(
        db, f"SELECT * FROM mention_sentiment WHERE mention_id IN ({placeholders(mention_ids)})", list(mention_ids)
    )
    return {row["mention_id"]: row for row in found}


def sentiment_rows(
    db: Database,
    *,
    entity_id: str | None = None,
    name: str | None = None,
    since: str | None = None,
    until: str | None = None,
    relevance_table: str | None = None,
) -> list[dict[str, Any]]:
    """Every scored mention of a catalog entity (by id) or of an unlinked name in the window, oldest first, with
    its article's day and, when ``relevance_table`` (``article_entities``, m012) is given, the entity's relevance
    to that article (0-100, None when not scored).

    A window with fewer articles than the entity has mentions (:func:`walks_articles`) is read article by article
    (by ``published``), looking up each article's mentions of the entity; otherwise every mention of the entity is
    read and its article's date checked. The rows and their order are the same either way.

    >>> from narrative.store import open_db
    >>> sentiment_rows(open_db(":memory:"), entity_id="alibaba", since="2025-03-01T00:00:00+00:00")
    []
    """
    params: list[Any] = []
    relevance, join = "NULL AS relevance", ""
    key = (1, entity_id) if entity_id is not None else (0, (name or "").lower())
    if relevance_table:  # keyed as the aggregates key entities: (1, catalog id) or (0, lower-cased name)
        relevance = "r.relevance AS relevance"
        join = f"LEFT JOIN {relevance_table} r ON r.article_id = m.article_id AND r.linked = ? AND r.entity_key = ?"
        params += list(key)
    walk = walks_articles(db, *key, since=since, until=until)
    if entity_id is not None:
        where = "m.entity_id = ?"
        params.append(entity_id)
    else:
        # "+m.name" while walking: each article's unlinked mentions come from idx_mentions_entity (NULL, article),
        # not from the name index, which lists every mention of the name
        where = f"m.entity_id IS NULL AND {'+' if walk else ''}m.name = ? COLLATE NOCASE"
        params.append(name)
    window = published_window("a", since, until, params)
    # CROSS JOIN keeps articles outermost (SQLite reads them by idx_articles_published; PostgreSQL plans its own)
    source = (
        "articles a CROSS JOIN mentions m ON m.article_id = a.id"
        if walk
        else "mentions m JOIN articles a ON a.id = m.article_id"
    )
    return rows(
        db,
        f"""
        SELECT substr(a.published, 1, 10) AS day, m.id AS mention_id, m.article_id, ms.label, ms.polarity,
               ms.method, ms.scorer_version, {relevance}
        FROM {source} JOIN mention_sentiment ms ON ms.mention_id = m.id
        {join}
        WHERE {where}{window}
        ORDER BY a.published, m.id""",
        params,
    )


def walks_articles(db: Database, linked: int, entity_key: str, *, since: str | None, until: str | None) -> bool:
    """Whether :func:`sentiment_rows` reads the window's articles rather than the entity's mentions: only for a
    window, and only when it holds fewer articles than the entity has mentions (``entity_totals``, counted at
    most that far). At 2M articles, Apple's 663k mentions against a 30-day window's 34k articles: 0.45 -> 0.16 s.

    >>> from narrative.store import open_db
    >>> walks_articles(open_db(":memory:"), 1, "alibaba", since="2025-03-01T00:00:00+00:00", until=None)
    False
    """
    if not since and not until:
        return False
    found = db.execute(
        "SELECT mentions FROM entity_totals WHERE linked = ? AND entity_key = ?", [linked, entity_key]
    ).fetchone()
    mentions = found[0] if found else 0
    if not mentions:
        return False
    params: list[Any] = []
    window = published_window("a", since, until, params)
    (articles,) = db.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM articles a WHERE 1 = 1{window} LIMIT ?) AS w", [*params, mentions]
    ).fetchone()
    return articles < mentions


def attach_mention_sentiment(db: Database, mention_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add ``sentiment`` (label), ``polarity`` and ``sentiment_method`` to rows of the ``mentions`` query (keyed by
    article and span); None where a mention has not been scored yet. Returns the same list.

    >>> from narrative.store import open_db
    >>> attach_mention_sentiment(open_db(":memory:"), [])
    []
    """
    articles = sorted({row["article_id"] for row in mention_rows})
    found: dict[tuple[int, int, int], tuple] = {}
    for first in range(0, len(articles), 500):
        part = articles[first : first + 500]
        for article_id, start, end, label, polarity, method in db.execute(
            'SELECT m.article_id, m.start, m."end", ms.label, ms.polarity, ms.method FROM mentions m '
            f"JOIN mention_sentiment ms ON ms.mention_id = m.id WHERE m.article_id IN ({placeholders(part)})",
            part,
        ):
            found[(article_id, start, end)] = (label, polarity, method)
    for row in mention_rows:
        label, polarity, method = found.get((row["article_id"], row["start"], row["end"]), (None, None, None))
        row.update(sentiment=label, polarity=None if polarity is None else round(polarity, 3), sentiment_method=method)
    return mention_rows
