"""The narrative index per UTC day, kept in the store (issue 12 item 3), and the refresh of every aggregate.

A day's row is what :func:`narrative.market.index.narrative_index` gives for that day, computed from the articles
that can be credited to it (published the day before to the day after: a date-only item counts on its stated date),
so reading stored days and filling the quiet ones gives the same frame as computing from every article.

>>> from narrative.store import open_db
>>> db = open_db(":memory:")
>>> refresh_aggregates(db)
{'entity_days': 0, 'index_days': 0, 'sessions': 0, 'sentiment_days': 0}
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlite_utils import Database

from ..market.index import COLUMNS, PRECISIONS, RELEVANT
from ..market.index import narrative_index as compute_index
from ..store.aggregates import (
    clear_dirty,
    dirty_days,
    dirty_narratives,
    index_inputs,
    narrative_day_rows,
    refresh_entity_days,
    save_narrative_days,
)
from ..store.sentiment_days import refresh as refresh_sentiment_days

# The precision filters kept per day: every item (``all``) and exact times only; others are computed from articles.
STORED_PRECISIONS = {"all": None, "exact": ["exact"]}
CHUNK_DAYS = 62  # dirty days recomputed from one read of their articles


def refresh_aggregates(db: Database) -> dict[str, int]:
    """Recompute every dirty day of the entity and index aggregates (call with the writer lock held): what
    ``enrich`` runs at its end, and what brings a store migrated to ``m009`` up to date.

    >>> refresh_aggregates(open_db("narrative.db"))  # doctest: +SKIP
    {'entity_days': 12, 'index_days': 36, 'sessions': 30, 'sentiment_days': 12}
    """
    from .session_index import refresh_sessions, unbuilt_narratives  # it builds on this module

    entity_days = refresh_entity_days(db)
    index_days = 0
    sessions = 0
    for narrative in dirty_narratives(db):
        days = dirty_days(db, "index", narrative)
        with db.atomic():
            for precision, wanted in STORED_PRECISIONS.items():
                for chunk in _chunks(days):
                    save_narrative_days(db, narrative, precision, chunk, _computed_days(db, narrative, chunk, wanted))
            sessions += refresh_sessions(db, narrative, days)
            clear_dirty(db, "index", narrative, days)
        index_days += len(days)
    for narrative in unbuilt_narratives(db):  # a store migrated to m013, a new exchange: every session at once
        with db.atomic():
            sessions += refresh_sessions(db, narrative, None)
    return {
        "entity_days": entity_days,
        "index_days": index_days,
        "sessions": sessions,
        "sentiment_days": refresh_sentiment_days(db),
    }


def stored_precision(precision) -> str | None:
    """The stored filter that answers ``precision`` (None, ``"exact"``, ``["exact"]`` ...), or None when none does."""
    if precision is None:
        return "all"
    wanted = sorted({precision} if isinstance(precision, str) else set(precision))
    if wanted == ["all"] or wanted == sorted(PRECISIONS):
        return "all"
    return "exact" if wanted == ["exact"] else None


def index_from_days(
    db: Database, narrative: str, precision: str, *, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None
) -> pd.DataFrame:
    """The UTC-day narrative index from the stored days, recomputing (not storing) any day still dirty: equal to
    :func:`narrative.market.index.narrative_index` over every article (``calendar=None``)."""
    first = None if start is None else start.date().isoformat()
    last = None if end is None else end.date().isoformat()
    by_day = {row["day"]: row for row in narrative_day_rows(db, narrative, precision, first_day=first, last_day=last)}
    stale = [
        d for d in dirty_days(db, "index", narrative) if (first is None or d >= first) and (last is None or d <= last)
    ]
    for chunk in _chunks(stale):
        for day in chunk:
            by_day.pop(day, None)
        by_day.update({row["day"]: row for row in _computed_days(db, narrative, chunk, STORED_PRECISIONS[precision])})
    days = sorted(by_day)
    frame = pd.DataFrame([by_day[d] for d in days], columns=["day", *COLUMNS])
    # Day stamps built as market.index builds its keys, so the index's resolution is the same.
    frame.index = pd.DatetimeIndex([pd.Timestamp(date.fromisoformat(d)) for d in days])
    frame["first_published"] = pd.to_datetime(frame["first_published"], utc=True, format="ISO8601")
    for column in ("stance", "stance_stories", "share_positive", "net"):
        frame[column] = frame[column].astype(float)
    lowest = start if start is not None else (frame.index.min() if days else None)
    highest = end if end is not None else (frame.index.max() if days else None)
    rows = (
        pd.DatetimeIndex([])
        if lowest is None or highest is None
        else pd.date_range(lowest.normalize(), highest.normalize(), freq="D")
    )
    out = frame[COLUMNS].reindex(rows)
    for column in ("attention", "stories", "mentions", *(f"n_{p}" for p in PRECISIONS)):
        out[column] = out[column].fillna(0).astype(int)
    out["net"] = out["net"].fillna(0.0)
    out.index.name = "date"
    return out


def _computed_days(db: Database, narrative: str, days: list[str], precision) -> list[dict[str, Any]]:
    """The index rows of ``days`` (consecutive or not, within one chunk) with any attention, from their articles."""
    first, last = date.fromisoformat(days[0]), date.fromisoformat(days[-1])
    articles = pd.DataFrame(
        index_inputs(
            db,
            narrative,
            since=(first - timedelta(days=1)).isoformat(),
            until=(last + timedelta(days=2)).isoformat(),
            min_relevance=RELEVANT,
        )
    )
    if articles.empty:
        return []
    frame = compute_index(
        articles, calendar=None, start=pd.Timestamp(first), end=pd.Timestamp(last), precision=precision
    )
    return stored_rows(frame, "day", set(days))


def stored_rows(frame: pd.DataFrame, key: str, wanted: set[str]) -> list[dict[str, Any]]:
    """The rows of an index ``frame`` whose day or session (``key``) is in ``wanted`` and has attention, as the
    store keeps them: ints, floats or None, ``first_published`` in ISO form."""
    out = []
    for stamp, row in frame.iterrows():
        day = stamp.date().isoformat()
        if day not in wanted or row["attention"] == 0:
            continue
        values: dict[str, Any] = {c: (None if pd.isna(row[c]) else row[c]) for c in COLUMNS}
        for column in ("attention", "stories", "mentions", *(f"n_{p}" for p in PRECISIONS)):
            values[column] = int(values[column])
        for column in ("stance", "stance_stories", "share_positive", "net"):
            values[column] = None if values[column] is None else float(values[column])
        if values["first_published"] is not None:
            values["first_published"] = pd.Timestamp(values["first_published"]).isoformat()
        out.append({key: day, **values})
    return out


def _chunks(days: list[str]) -> list[list[str]]:
    """Sorted ``days`` in runs spanning at most :data:`CHUNK_DAYS` (one article read each)."""
    chunks: list[list[str]] = []
    for day in days:
        if chunks and (date.fromisoformat(day) - date.fromisoformat(chunks[-1][0])).days < CHUNK_DAYS:
            chunks[-1].append(day)
        else:
            chunks.append([day])
    return chunks
