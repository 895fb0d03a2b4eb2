"""The narrative index per exchange session, kept in the store (issue 12 item 3, migration ``m013``).

``narrative index --sessions XNYS`` credits each article to the first session it could have moved (the rule of
:mod:`narrative.market.calendar`), which needs the exchange's calendar and its UTC open and close times. Both are
kept here as data: ``session_calendar`` holds each session of each maintained exchange (``session_exchanges``
lists them, with the calendar's source and span), and ``narrative_sessions`` one row per narrative, exchange,
precision filter and session with attention, the same columns as ``narrative_days``. They are computed by
:mod:`narrative.api.aggregates` (the index is ``market/``'s computation) when ``enrich`` refreshes the dirty days
that triggers of ``m009`` mark; this module only stores and reads them, without pandas.

A session's row depends on every article credited to it, and an article is credited to a session up to a few days
after its publication day (weekends, holidays, a date-only item's latest possible time), so a dirty day makes the
sessions from the one closing after the day before it to the first one opening three days after it stale
(:func:`sessions_touched_by`).

>>> from narrative.store import open_db
>>> db = open_db(":memory:")
>>> maintained_exchanges(db)
['XHKG', 'XNYS']
>>> session_rows(db, "china-ai", "XNYS", "all")
[]
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from .aggregates import AGGREGATOR_VERSION, NARRATIVE_DAY_COLUMNS
from .db import published_window, rows

if TYPE_CHECKING:  # type hints only: a read command does not import sqlite-utils (issue 12)
    from sqlite_utils import Database

# The exchanges a new store keeps sessions for; another is one row more in session_exchanges (then `enrich`).
DEFAULT_EXCHANGES = ("XNYS", "XHKG")
# How far after its UTC publication day an article can be credited to a session: a date-only item's latest
# possible time is at most two days on, and the first session opening at or after that instant is included.
CREDIT_DAYS_AFTER = 3


def create_session_index(db: Database) -> None:
    """The tables of the stored session index (migration ``m013``)."""
    db.execute("""
        CREATE TABLE session_exchanges (
            exchange TEXT PRIMARY KEY,
            source TEXT,
            first_session TEXT,
            last_session TEXT,
            aggregator_version TEXT
        )""")
    db.execute("""
        CREATE TABLE session_calendar (
            exchange TEXT NOT NULL,
            session TEXT NOT NULL,
            open_utc TEXT NOT NULL,
            close_utc TEXT NOT NULL,
            PRIMARY KEY (exchange, session)
        ) WITHOUT ROWID""")
    db.execute("CREATE INDEX idx_session_calendar_close ON session_calendar(exchange, close_utc)")
    db.execute("CREATE INDEX idx_session_calendar_open ON session_calendar(exchange, open_utc)")
    columns = ", ".join(
        f"{c} {'TEXT' if c == 'first_published' else 'REAL' if c in _REALS else 'INTEGER NOT NULL'}"
        for c in NARRATIVE_DAY_COLUMNS
    )
    db.execute(
        f"CREATE TABLE narrative_sessions (narrative TEXT NOT NULL, exchange TEXT NOT NULL, precision TEXT NOT NULL, "
        f"session TEXT NOT NULL, {columns}, aggregator_version TEXT NOT NULL, "
        f"PRIMARY KEY (narrative, exchange, precision, session)) WITHOUT ROWID"
    )
    # Which narratives' sessions have been computed for an exchange: before that, readers compute them.
    db.execute("""
        CREATE TABLE narrative_session_state (
            narrative TEXT NOT NULL,
            exchange TEXT NOT NULL,
            aggregator_version TEXT NOT NULL,
            PRIMARY KEY (narrative, exchange)
        )""")
    for exchange in DEFAULT_EXCHANGES:
        db.execute("INSERT INTO session_exchanges (exchange) VALUES (?)", [exchange])


_REALS = {"stance", "stance_stories", "share_positive", "net"}


def maintained_exchanges(db: Database) -> list[str]:
    """The exchange codes whose sessions ``enrich`` keeps."""
    return [row[0] for row in db.execute("SELECT exchange FROM session_exchanges ORDER BY exchange")]


def calendar_span(db: Database, exchange: str) -> dict[str, Any] | None:
    """``source``, ``first_session`` and ``last_session`` of the stored calendar of ``exchange`` (None: none)."""
    found = rows(
        db,
        "SELECT source, first_session, last_session FROM session_exchanges WHERE exchange = ? "
        "AND first_session IS NOT NULL",
        [exchange],
    )
    return found[0] if found else None


def calendar_rows(db: Database, exchange: str) -> list[tuple[str, str, str]]:
    """Every stored ``(session, open_utc, close_utc)`` of ``exchange``, oldest first."""
    return [
        (row[0], row[1], row[2])
        for row in db.execute(
            "SELECT session, open_utc, close_utc FROM session_calendar WHERE exchange = ? ORDER BY session", [exchange]
        )
    ]


def sessions_between(db: Database, exchange: str, first: str, last: str) -> list[str]:
    """The stored sessions of ``exchange`` from ``first`` to ``last`` inclusive (``YYYY-MM-DD``)."""
    return [
        row[0]
        for row in db.execute(
            "SELECT session FROM session_calendar WHERE exchange = ? AND session >= ? AND session <= ? "
            "ORDER BY session",
            [exchange, first, last],
        )
    ]


def save_calendar(db: Database, exchange: str, sessions: list[tuple[str, str, str]], source: str) -> None:
    """Replace the stored calendar of ``exchange`` by ``sessions`` (``(session, open_utc, close_utc)``, oldest
    first). Call inside ``db.atomic()``."""
    db.execute("DELETE FROM session_calendar WHERE exchange = ?", [exchange])
    db.conn.executemany(
        "INSERT INTO session_calendar (exchange, session, open_utc, close_utc) VALUES (?, ?, ?, ?)",
        [(exchange, *row) for row in sessions],
    )
    db.execute(
        "UPDATE session_exchanges SET source = ?, first_session = ?, last_session = ?, aggregator_version = ? "
        "WHERE exchange = ?",
        [source, sessions[0][0], sessions[-1][0], AGGREGATOR_VERSION, exchange],
    )


def is_built(db: Database, narrative: str, exchange: str) -> bool:
    """Whether the sessions of ``narrative`` on ``exchange`` have been computed (and kept since)."""
    return (
        db.execute(
            "SELECT 1 FROM narrative_session_state WHERE narrative = ? AND exchange = ?", [narrative, exchange]
        ).fetchone()
        is not None
    )


def mark_built(db: Database, narrative: str, exchange: str) -> None:
    db.execute(
        "INSERT OR REPLACE INTO narrative_session_state (narrative, exchange, aggregator_version) VALUES (?, ?, ?)",
        [narrative, exchange, AGGREGATOR_VERSION],
    )


def sessions_touched_by(db: Database, exchange: str, days: Iterable[str]) -> list[str]:
    """The stored sessions of ``exchange`` whose articles may have changed when ``days`` (UTC, ``YYYY-MM-DD``) are
    dirty: for each day, from the first session closing after the start of the day before to the first opening
    :data:`CREDIT_DAYS_AFTER` days after it (the last stored session when none does)."""
    touched: set[str] = set()
    for day in days:
        start = date.fromisoformat(day)
        after = (start - timedelta(days=1)).isoformat()
        until = (start + timedelta(days=CREDIT_DAYS_AFTER)).isoformat()
        first = db.execute(
            "SELECT min(session) FROM session_calendar WHERE exchange = ? AND close_utc > ?", [exchange, after]
        ).fetchone()[0]
        if first is None:
            continue
        last = db.execute(
            "SELECT min(session) FROM session_calendar WHERE exchange = ? AND open_utc >= ?", [exchange, until]
        ).fetchone()[0]
        if last is None:
            last = db.execute("SELECT max(session) FROM session_calendar WHERE exchange = ?", [exchange]).fetchone()[0]
        touched.update(sessions_between(db, exchange, first, last))
    return sorted(touched)


def save_session_rows(
    db: Database, narrative: str, exchange: str, precision: str, sessions: list[str], computed: list[dict[str, Any]]
) -> None:
    """Replace the stored sessions ``sessions`` of ``narrative``/``exchange``/``precision`` by ``computed`` (rows
    with a ``session`` and the index columns; quiet sessions are simply absent). Call inside ``db.atomic()``."""
    db.conn.executemany(
        "DELETE FROM narrative_sessions WHERE narrative = ? AND exchange = ? AND precision = ? AND session = ?",
        [(narrative, exchange, precision, session) for session in sessions],
    )
    columns = NARRATIVE_DAY_COLUMNS
    db.conn.executemany(
        f"INSERT INTO narrative_sessions (narrative, exchange, precision, session, {', '.join(columns)}, "
        f"aggregator_version) VALUES (?, ?, ?, ?, {', '.join('?' for _ in columns)}, ?)",
        [
            (narrative, exchange, precision, row["session"], *(row[c] for c in columns), AGGREGATOR_VERSION)
            for row in computed
        ],
    )


def session_rows(
    db: Database,
    narrative: str,
    exchange: str,
    precision: str,
    *,
    first: str | None = None,
    last: str | None = None,
) -> list[dict[str, Any]]:
    """Stored sessions with attention of ``narrative`` on ``exchange`` for ``precision`` (``all`` or ``exact``),
    ``first`` to ``last`` inclusive, oldest first."""
    params: list[Any] = [narrative, exchange, precision]
    window = published_window("", first, last, params, column="session", until_inclusive=True)
    return rows(
        db,
        f"SELECT * FROM narrative_sessions WHERE narrative = ? AND exchange = ? AND precision = ?{window} "
        f"ORDER BY session",
        params,
    )


def has_session_rows(db: Database, narrative: str, exchange: str, precision: str) -> bool:
    """Whether any session of ``narrative`` on ``exchange`` is stored for ``precision``."""
    return (
        db.execute(
            "SELECT 1 FROM narrative_sessions WHERE narrative = ? AND exchange = ? AND precision = ? LIMIT 1",
            [narrative, exchange, precision],
        ).fetchone()
        is not None
    )
