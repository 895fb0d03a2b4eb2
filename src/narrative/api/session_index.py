"""The narrative index per exchange session, kept in the store (issue 12 item 3): computed here, with the one index
computation of :mod:`narrative.market.index` over the exchange's calendar as the store keeps it
(:mod:`narrative.store.session_index`), when ``enrich`` refreshes the aggregates; read without pandas by
:func:`narrative.api.index.index_session_records`.

Every session of a narrative on an exchange is computed the first time (a store migrated to ``m013``, a narrative
scored for the first time, an exchange added to ``session_exchanges``); afterwards only the sessions a dirty day
can reach are (:func:`narrative.store.session_index.sessions_touched_by`), each run of them from one read of its
articles. A session's row is what :func:`narrative.market.index.narrative_index` gives it from every article, so
the stored rows equal the computed index session by session.

>>> from narrative.store import open_db
>>> refresh_sessions(open_db(":memory:"), "china-ai", None)
0
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlite_utils import Database

from ..errors import NarrativeError
from ..market.calendar import SessionCalendar, calendar_for
from ..market.index import RELEVANT
from ..market.index import narrative_index as compute_index
from ..store.aggregates import index_inputs
from ..store.session_index import (
    calendar_rows,
    calendar_span,
    is_built,
    maintained_exchanges,
    mark_built,
    save_calendar,
    save_session_rows,
    sessions_touched_by,
)
from .aggregates import STORED_PRECISIONS, stored_rows

LOGGER = logging.getLogger(__name__)

# Sessions recomputed from one read of their articles.
CHUNK_SESSIONS = 60
# Days read before a run's previous session: an article is credited at most CREDIT_DAYS_AFTER days after its day.
READ_BEFORE_DAYS = 4
# The stored calendar reaches this far around the index's days (the computed index's calendar does: 10 and 20).
CALENDAR_BEFORE, CALENDAR_AFTER = 10, 20


def refresh_sessions(db: Database, narrative: str, days: list[str] | None) -> int:
    """Recompute the stored sessions of ``narrative`` on every maintained exchange that the dirty UTC ``days``
    reach; with ``days`` None, every session of each exchange not yet computed for it. Call inside the refresh's
    transaction, before the days are marked clean. Returns the session rows written.

    >>> refresh_sessions(open_db("narrative.db"), "china-ai", ["2025-03-03"])  # doctest: +SKIP
    8
    """
    written = 0
    for exchange in maintained_exchanges(db):
        built = is_built(db, narrative, exchange)
        if built == (days is None):  # dirty days of a narrative never computed: its full pass comes next
            continue
        calendar = _calendar(db, exchange)
        if calendar is None:
            continue
        sessions = [stamp.date().isoformat() for stamp in calendar.sessions]
        if days is None:
            articles = index_inputs(db, narrative, min_relevance=RELEVANT)
            written += _save(db, narrative, calendar, sessions, articles)
            mark_built(db, narrative, exchange)
            continue
        position = {session: n for n, session in enumerate(sessions)}
        for run in _runs([position[s] for s in sessions_touched_by(db, exchange, days)]):
            first, last = sessions[run[0]], sessions[run[-1]]
            since = None if run[0] == 0 else _shift(sessions[run[0] - 1], -READ_BEFORE_DAYS)
            articles = index_inputs(db, narrative, since=since, until=_shift(last, 2), min_relevance=RELEVANT)
            written += _save(db, narrative, calendar, [sessions[n] for n in run], articles, first=first, last=last)
    return written


def unbuilt_narratives(db: Database) -> list[str]:
    """Narratives with stored days whose sessions some maintained exchange has not computed yet."""
    exchanges = maintained_exchanges(db)
    narratives = [row[0] for row in db.execute("SELECT DISTINCT narrative FROM narrative_days ORDER BY narrative")]
    return [n for n in narratives if any(not is_built(db, n, exchange) for exchange in exchanges)]


def _save(
    db: Database,
    narrative: str,
    calendar: SessionCalendar,
    sessions: list[str],
    articles: list[dict[str, Any]],
    *,
    first: str | None = None,
    last: str | None = None,
) -> int:
    frame = pd.DataFrame(articles)
    written = 0
    for precision, wanted in STORED_PRECISIONS.items():
        computed: list[dict[str, Any]] = []
        if not frame.empty:
            index = compute_index(
                frame,
                calendar=calendar,
                start=None if first is None else pd.Timestamp(first),
                end=None if last is None else pd.Timestamp(last),
                precision=wanted,
            )
            computed = stored_rows(index, "session", set(sessions))
        save_session_rows(db, narrative, calendar.exchange, precision, sessions, computed)
        written += len(computed)
    return written


def _calendar(db: Database, exchange: str) -> SessionCalendar | None:
    """The stored calendar of ``exchange``, first extended (from ``exchange_calendars``) to reach
    :data:`CALENDAR_BEFORE` days before and :data:`CALENDAR_AFTER` after every index day; None when it cannot be."""
    lowest, highest = db.execute(
        "SELECT min(day), max(day) FROM (SELECT day FROM narrative_days UNION ALL "
        "SELECT day FROM aggregate_dirty WHERE kind = 'index') d"
    ).fetchone()
    if lowest is None:
        return None
    span = calendar_span(db, exchange)
    if (
        span is None
        or span["first_session"] > _shift(lowest, -CALENDAR_BEFORE // 2)
        or span["last_session"] < _shift(highest, CALENDAR_AFTER // 2)
    ):
        if span is not None:  # never shrinks
            lowest = min(lowest, _shift(span["first_session"], CALENDAR_BEFORE))
            highest = max(highest, _shift(span["last_session"], -CALENDAR_AFTER))
        try:
            # the computed index asks for (first, last + 10 days), which exchange_calendars widens by 10 days
            fresh = calendar_for(exchange, lowest, _shift(highest, CALENDAR_AFTER - 10), source="exchange_calendars")
        except NarrativeError as exc:  # not installed, or no such range: readers compute the sessions instead
            LOGGER.warning("no stored sessions for %s: %s", exchange, exc)
            return None
        save_calendar(
            db,
            exchange,
            [
                (s.date().isoformat(), o.isoformat(), c.isoformat())
                for s, o, c in zip(fresh.sessions, fresh.opens, fresh.closes)
            ],
            fresh.source,
        )
        span = calendar_span(db, exchange)
    stored = calendar_rows(db, exchange)
    return SessionCalendar(
        [row[0] for row in stored],
        [datetime.fromisoformat(row[1]) for row in stored],
        [datetime.fromisoformat(row[2]) for row in stored],
        exchange=exchange,
        source=span["source"] if span else "",
    )


def _runs(positions: list[int]) -> list[list[int]]:
    """Sorted calendar positions in runs of consecutive sessions, at most :data:`CHUNK_SESSIONS` each."""
    runs: list[list[int]] = []
    for n in positions:
        if runs and n == runs[-1][-1] + 1 and len(runs[-1]) < CHUNK_SESSIONS:
            runs[-1].append(n)
        else:
            runs.append([n])
    return runs


def _shift(day: str, days: int) -> str:
    return (date.fromisoformat(day[:10]) + timedelta(days=days)).isoformat()
