"""The narrative index from the store: the one computation of :mod:`narrative.market.index`, wired to the store.

>>> from narrative import api
>>> api.narrative_index("china-ai", db_path="demo.db", sessions="XHKG")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import pandas as pd

from ..catalog import find_narrative, load_narratives, resolve_narrative_id
from ..clock import day_bound
from ..config import Settings
from ..market.calendar import calendar_for, hours_for
from ..market.index import COLUMNS, RELEVANT
from ..market.index import narrative_index as compute_index
from ..store import reader
from ..store.aggregates import has_scores, index_inputs
from ..store.scores import scored_articles
from .aggregates import index_from_days, stored_precision

# A date-only item is credited to a session up to two days after its date (weekends and holidays roll further):
# read that much before --from so the first sessions of the window are complete.
LOOKBACK_DAYS = 10


def narrative_index(
    narrative: str | None = None,
    *,
    db_path: str | None = None,
    since: str | None = None,
    until: str | None = None,
    sessions: str | None = None,
    precision: Iterable[str] | str | None = None,
    intraday: str = "same",
) -> pd.DataFrame:
    """The narrative index of ``narrative`` (default: the ``narrative`` setting), one row per session of the
    exchange ``sessions`` (``XNYS``, ``XHKG``, ``US``, ``HKEX`` ...) with no look-ahead, or per UTC day when
    ``sessions`` is None (not point-in-time for any exchange). ``precision`` keeps only those timestamp
    precisions (``"exact"``; ``"all"`` or None keeps every item). Columns: :data:`narrative.market.index.COLUMNS`;
    ``frame.attrs["grouping"]`` says which rows these are.

    >>> narrative_index(db_path="demo.db", sessions="XNYS", precision="exact")  # doctest: +SKIP
    """
    settings = Settings.load(db=db_path)
    narrative_id = resolve_narrative_id(narrative, configured=settings.narrative).replace("_", "-")
    hours = hours_for(sessions) if sessions is not None else None  # unknown names fail before any reading
    low, high = day_bound(since), day_bound(until, end=True)
    read_from = None if low is None else (datetime.fromisoformat(low) - timedelta(days=LOOKBACK_DAYS)).isoformat()
    start = None if low is None else pd.Timestamp(low[:10])
    end = None if until is None else pd.Timestamp(until.strip()[:10])
    with reader(settings) as db:
        stored = stored_precision(precision) if hours is None else None
        if stored is not None:  # UTC days from the per-day aggregates (issue 12): O(days), not O(articles)
            frame = index_from_days(db, narrative_id, stored, start=start, end=end)
            if not (frame["attention"] > 0).any() and not has_scores(db, narrative_id):
                find_narrative(load_narratives(), narrative_id)  # nothing scored: say so when the name is unknown
            frame.attrs["grouping"] = "UTC days (not point-in-time for any exchange)"
            return frame
        # Only relevant articles count (market.index.RELEVANT): read those, narrowly; every scored article only when
        # none is, so that an all-quiet window keeps its calendar span.
        articles = pd.DataFrame(index_inputs(db, narrative_id, since=read_from, until=high, min_relevance=RELEVANT))
        if articles.empty:
            articles = pd.DataFrame(scored_articles(db, narrative_id, since=read_from, until=high))
    if articles.empty:
        find_narrative(load_narratives(), narrative_id)  # nothing scored: say so when the name is unknown
        articles = pd.DataFrame(columns=["article_id", "published", "precision", "source_tz", "relevance", "stance"])
    calendar = None
    if hours is not None:
        first = start if start is not None else _edge(articles, min)
        last = end if end is not None else (_edge(articles, max) or first)
        if first is None:
            frame = pd.DataFrame(columns=COLUMNS)
            frame.index.name = "session"
            frame.attrs["grouping"] = f"{hours.code} sessions"
            return frame
        calendar = calendar_for(hours.code, first, last + pd.Timedelta(days=LOOKBACK_DAYS))
    if precision is not None and "all" in ([precision] if isinstance(precision, str) else list(precision)):
        precision = None
    frame = compute_index(articles, calendar=calendar, start=start, end=end, precision=precision, intraday=intraday)
    if calendar is not None:  # without --from/--to: from the first to the last session with news
        busy = frame.index[frame["attention"] > 0]
        if len(busy):
            frame = frame.loc[busy[0] if start is None else None : busy[-1] if end is None else None]
        elif start is None or end is None:
            frame = frame.iloc[:0]
    frame.attrs["grouping"] = (
        f"{hours.code} sessions ({calendar.source})"
        if calendar is not None and hours is not None
        else "UTC days (not point-in-time for any exchange)"
    )
    return frame


def _edge(articles: pd.DataFrame, pick) -> pd.Timestamp | None:
    if articles.empty:
        return None
    stamps = pd.to_datetime(articles["published"], utc=True, format="ISO8601")
    return pd.Timestamp(pick(stamps).date())
