"""``narrative sentiment NAME --daily`` from the stored days (m014, :mod:`narrative.store.sentiment_days`): the rows
:func:`narrative.api.entity_sentiment.entity_sentiment` gives with ``daily=True``, read from one row per day instead
of every scored mention of the window (issue 12 item 3: a month of a much-mentioned entity is ~7,000 mentions a
day at 2M articles).

>>> daily_sentiment("Alibaba", db_path="demo.db", since="2025-03-01")  # doctest: +SKIP
[{'day': '2025-03-03', 'entity': 'Alibaba', 'entity_id': 'alibaba', 'mentions': 4, ...}]
"""

from __future__ import annotations

from typing import Any

from ..clock import day_bound
from ..config import Settings
from ..store import reader
from ..store.sentiment_days import day_rows, is_dirty
from .query import resolve_entity

RELEVANCE_TABLE = "article_entities"  # api.entity_sentiment.RELEVANCE_TABLE: the stored days need it (m012)


def daily_sentiment(
    name: str,
    *,
    db_path: str | None = None,
    since: str | None = None,
    until: str | None = None,
    catalog_path: str | None = None,
) -> list[dict[str, Any]] | None:
    """The daily sentiment rows of ``name`` from the stored days, equal to ``entity_sentiment(name, daily=True,
    ...)``'s; None when they cannot answer (a bound inside a day, a day of the window not yet refreshed, a store
    without the table): the caller then reads the mentions.

    >>> daily_sentiment("BABA", db_path="demo.db", since="2025-03-01", until="2025-03-31")  # doctest: +SKIP
    """
    low, high = day_bound(since), day_bound(until, end=True)
    if not all(bound is None or bound.endswith("T00:00:00+00:00") for bound in (low, high)):
        return None
    first, end = low and low[:10], high and high[:10]
    with reader(Settings.load(db=db_path)) as db:
        tables = db.table_names()
        if "entity_sentiment_days" not in tables or RELEVANCE_TABLE not in tables or is_dirty(db, first, end):
            return None
        entity_id, canonical = resolve_entity(name, db=db, catalog_path=catalog_path)
        # keyed as stored: the catalog id, or the name lower-cased as SQLite lower-cases it
        key = (1, entity_id) if entity_id is not None else (0, db.execute("SELECT lower(?)", [canonical]).fetchone()[0])
        stored = day_rows(db, *key, first=first, end=end)
    out = []
    for row in stored:
        polarity = row["polarity_sum"] / row["mentions"]
        weighted = polarity
        if row["weights"] == row["mentions"] and row["weight_sum"] > 0:
            weighted = row["weighted_sum"] / row["weight_sum"]
        out.append(
            {
                "day": row["day"],
                "entity": canonical,
                "entity_id": entity_id,
                "mentions": row["mentions"],
                "articles": row["articles"],
                "positive": row["positive"],
                "neutral": row["neutral"],
                "negative": row["negative"],
                "polarity": round(polarity, 4),
                "weighted_polarity": round(weighted, 4),
                "lexicon_mentions": row["lexicon_mentions"],
                "weighted_by": "relevance",
            }
        )
    return out
