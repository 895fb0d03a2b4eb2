"""Each entity's sentiment per UTC day, kept in the store (issue 12 item 3, migration ``m014``): what ``narrative
sentiment NAME --daily`` prints for a day, summed once instead of reading every scored mention of the window.

One row per (entity, day) with the counts by label and the sums :func:`narrative.api.entity_sentiment.summarise`
divides: the polarities, and, when every mention's article has the entity's relevance, the relevances and the
relevance-weighted polarities. The sums are taken in Python, over the day's mentions in the order the per-mention
read gives them (publication time, then mention id), with the same expressions, so a day's figures are the very
floats the per-mention path computes. Triggers mark a day dirty (``aggregate_dirty`` kind ``sentiment``) when a
mention's sentiment, an article's entity relevance, a mention or an article's time changes; :func:`refresh` (run by
``enrich``) recomputes those days, a month of days per transaction. An entity is keyed as in ``entity_days``.

>>> from narrative.store import open_db
>>> db = open_db(":memory:")
>>> refresh(db)
0
>>> day_rows(db, 1, "alibaba", first="2025-03-01", end="2025-04-01")
[]
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from .aggregates import AGGREGATOR_VERSION, clear_dirty, dirty_days
from .db import published_window, rows

if TYPE_CHECKING:  # type hints only: a read command does not import sqlite-utils (issue 12)
    from sqlite_utils import Database

KIND = "sentiment"
DAYS_PER_TRANSACTION = 31
BULK_AFTER_DAYS = 200  # more dirty days than this: one pass over every scored mention
LEXICON_METHOD = "zh-lexicon"  # api.entity_sentiment.ZH_METHOD (store cannot import api; a test holds them equal)
_COLUMNS = (
    "mentions",
    "articles",
    "positive",
    "neutral",
    "negative",
    "lexicon_mentions",
    "polarity_sum",
    "weights",
    "weight_sum",
    "weighted_sum",
)


def create_sentiment_days(db: Database) -> None:
    """Migration ``m014``: the table, the triggers that mark its days, and every day with articles marked."""
    db.execute("""
        CREATE TABLE entity_sentiment_days (
            linked INTEGER NOT NULL,
            entity_key TEXT NOT NULL,
            day TEXT NOT NULL,
            mentions INTEGER NOT NULL,
            articles INTEGER NOT NULL,
            positive INTEGER NOT NULL,
            neutral INTEGER NOT NULL,
            negative INTEGER NOT NULL,
            lexicon_mentions INTEGER NOT NULL,
            polarity_sum REAL NOT NULL,
            weights INTEGER NOT NULL,
            weight_sum REAL,
            weighted_sum REAL,
            aggregator_version TEXT NOT NULL,
            PRIMARY KEY (linked, entity_key, day)
        ) WITHOUT ROWID""")
    db.execute("CREATE INDEX idx_entity_sentiment_days_day ON entity_sentiment_days(day)")
    mark = (
        f"INSERT OR IGNORE INTO aggregate_dirty (kind, narrative, day) SELECT '{KIND}', '', "
        "substr(published, 1, 10) FROM articles WHERE id = {row}.article_id;"
    )
    # A new mention has no sentiment yet (its row's insert marks the day); a deleted one takes its row with it.
    events = (("INSERT", ("NEW",)), ("DELETE", ("OLD",)), ("UPDATE", ("OLD", "NEW")))
    for table, event, changed in [
        *(("mention_sentiment", *e) for e in events),
        *(("article_entities", *e) for e in events),
        ("mentions", "UPDATE", ("OLD", "NEW")),
    ]:
        body = " ".join(mark.format(row=row) for row in changed)
        db.execute(f"CREATE TRIGGER sentiment_days_{table}_{event.lower()} AFTER {event} ON {table} BEGIN {body} END")
    db.execute(
        f"CREATE TRIGGER sentiment_days_published_update AFTER UPDATE OF published ON articles "
        f"WHEN OLD.published IS NOT NEW.published BEGIN "
        f"INSERT OR IGNORE INTO aggregate_dirty (kind, narrative, day) VALUES "
        f"('{KIND}', '', substr(OLD.published, 1, 10)), ('{KIND}', '', substr(NEW.published, 1, 10)); END"
    )
    # Every day with articles (read from the publication-time index, not the mentions): the next refresh sums them.
    db.execute(
        f"INSERT OR IGNORE INTO aggregate_dirty (kind, narrative, day) SELECT DISTINCT '{KIND}', '', "
        "substr(published, 1, 10) FROM articles"
    )


def refresh(db: Database) -> int:
    """Recompute every dirty day (call with the writer lock held). Returns the number of days recomputed."""
    days = dirty_days(db, KIND)
    if len(days) > BULK_AFTER_DAYS:
        _refresh_in_one_pass(db, days)
        return len(days)
    for start in range(0, len(days), DAYS_PER_TRANSACTION):
        chunk = days[start : start + DAYS_PER_TRANSACTION]
        with db.atomic():
            for day in chunk:
                db.execute("DELETE FROM entity_sentiment_days WHERE day = ?", [day])
                db.conn.executemany(
                    f"INSERT INTO entity_sentiment_days (linked, entity_key, day, {', '.join(_COLUMNS)}, "
                    f"aggregator_version) VALUES (?, ?, ?, {', '.join('?' for _ in _COLUMNS)}, ?)",
                    [(*key, day, *sums, AGGREGATOR_VERSION) for key, sums in _day_sums(db, day).items()],
                )
            clear_dirty(db, KIND, "", chunk)
    return len(days)


_SCORED_MENTIONS = (
    "SELECT {day}m.entity_id IS NOT NULL AS linked, coalesce(m.entity_id, lower(m.name)) AS entity_key, "
    "m.article_id, ms.label, ms.polarity, ms.method, r.relevance FROM {source} "
    "JOIN mention_sentiment ms ON ms.mention_id = m.id "
    "LEFT JOIN article_entities r ON r.article_id = m.article_id AND r.linked = (m.entity_id IS NOT NULL) "
    "AND r.entity_key = coalesce(m.entity_id, lower(m.name)) {where}ORDER BY {order}a.published, m.id"
)


def _day_sums(db: Database, day: str) -> dict[tuple[int, str], tuple]:
    """Per entity, the day's counts and sums, as ``summarise`` computes them from the same rows in the same order."""
    following = (date.fromisoformat(day) + timedelta(days=1)).isoformat()
    groups: dict[tuple[int, str], list[tuple]] = defaultdict(list)
    sql = _SCORED_MENTIONS.format(
        day="",
        source="articles a CROSS JOIN mentions m ON m.article_id = a.id",
        where="WHERE a.published >= ? AND a.published < ? ",
        order="",
    )
    for row in db.execute(sql, [day, following]):
        groups[(row[0], row[1])].append(row[2:])
    return {key: _sums(group) for key, group in groups.items()}


def _refresh_in_one_pass(db: Database, days: list[str]) -> None:
    """Every dirty day at once (a store migrated to m014, a bulk load): one pass over the scored mentions in storage
    order, sorted by day, entity, then as the per-mention read orders them, so each day's sums are the same floats;
    a day at a time costs a random read per article, 2.6-5 s a day at 2M articles."""
    wanted = set(days)
    sql = _SCORED_MENTIONS.format(
        day="substr(a.published, 1, 10) AS day, ",
        source="mentions m JOIN articles a ON a.id = m.article_id",
        where="",
        order="day, linked, entity_key, ",
    )
    insert = (
        f"INSERT INTO entity_sentiment_days (linked, entity_key, day, {', '.join(_COLUMNS)}, aggregator_version) "
        f"VALUES (?, ?, ?, {', '.join('?' for _ in _COLUMNS)}, ?)"
    )
    with db.atomic():
        db.conn.executemany("DELETE FROM entity_sentiment_days WHERE day = ?", [(day,) for day in days])
        batch: list[tuple] = []
        group: list[tuple] = []
        current: tuple | None = None
        for row in db.execute(sql):
            key = (row[0], row[1], row[2])
            if key != current:
                if group and current is not None and current[0] in wanted:
                    batch.append((current[1], current[2], current[0], *_sums(group), AGGREGATOR_VERSION))
                current, group = key, []
            group.append(row[3:])
            if len(batch) >= 10_000:
                db.conn.executemany(insert, batch)
                batch = []
        if group and current is not None and current[0] in wanted:
            batch.append((current[1], current[2], current[0], *_sums(group), AGGREGATOR_VERSION))
        db.conn.executemany(insert, batch)
        clear_dirty(db, KIND, "", days)


def _sums(group: list[tuple]) -> tuple:
    """The counts and sums of one entity's scored mentions of one day, (article_id, label, polarity, method,
    relevance) in the per-mention read's order, with ``summarise``'s expressions."""
    labels = [label for _, label, _, _, _ in group]
    weights = [relevance for *_, relevance in group if relevance is not None]
    every = len(weights) == len(group)
    return (
        len(group),
        len({article for article, *_ in group}),
        labels.count("positive"),
        labels.count("neutral"),
        labels.count("negative"),
        sum(method == LEXICON_METHOD for *_, method, _ in group),
        sum(polarity for _, _, polarity, _, _ in group),
        len(weights),
        sum(weights) if every else None,
        sum(w * polarity for w, (_, _, polarity, _, _) in zip(weights, group)) if every else None,
    )


def day_rows(db: Database, linked: int, entity_key: str, *, first: str | None, end: str | None) -> list[dict[str, Any]]:
    """The stored days of one entity from ``first`` to ``end`` (exclusive), oldest first."""
    params: list[Any] = [linked, entity_key]
    window = published_window("", first, end, params, column="day")
    return rows(
        db,
        f"SELECT day, {', '.join(_COLUMNS)} FROM entity_sentiment_days WHERE linked = ? AND entity_key = ?{window} "
        "ORDER BY day",
        params,
    )


def is_dirty(db: Database, first: str | None, end: str | None) -> bool:
    """Whether a day from ``first`` to ``end`` (exclusive) awaits its refresh."""
    params: list[Any] = [KIND]
    window = published_window("", first, end, params, column="day")
    found = db.execute(f"SELECT 1 FROM aggregate_dirty WHERE kind = ? AND narrative = ''{window} LIMIT 1", params)
    return found.fetchone() is not None
