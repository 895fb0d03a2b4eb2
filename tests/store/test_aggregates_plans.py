"""Issue 12 item 3: the reads of m013's tables (the stored sessions and their calendar, the monthly entity sums)
search an index; none scans a table whole (EXPLAIN QUERY PLAN on a migrated store)."""

from __future__ import annotations

import re

import pytest

from narrative.store import aggregates, open_db, session_index
from tests.store.test_query_plans import BIG, Recorder

# m013's tables grow with the store too (sessions x narratives x exchanges, entities x months).
GROWING = BIG | {"entity_months", "narrative_sessions", "session_calendar", "entity_totals"}


def _scans(db, sql, params) -> list[str]:
    found = []
    for row in db.execute("EXPLAIN QUERY PLAN " + sql, params):
        match = re.match(r"SCAN (\w+)", row[3])
        table = {"d": "entity_days", "t": "entity_totals"}.get(match.group(1), match.group(1)) if match else None
        if table in GROWING and "COVERING INDEX" not in row[3]:
            found.append(row[3])
    return found


def _with_days(db):
    """A few stored entity days over three months, so that a window reads months and days both."""
    for day in ("2025-01-02", "2025-01-20", "2025-02-10", "2025-03-01"):
        db.execute(
            "INSERT INTO entity_days (day, linked, entity_key, entity_id, name, label, mentions, articles, "
            "first_seen, last_seen, weighted_articles, aggregator_version) "
            "VALUES (?, 1, 'acme', 'acme', 'Acme', 'ORG', 2, 1, ?, ?, 1.0, 'test')",
            [day, f"{day}T01:00:00+00:00", f"{day}T02:00:00+00:00"],
        )
    db.execute(
        "INSERT INTO entity_totals (linked, entity_key, entity_id, name, label, mentions, articles, first_seen, "
        "last_seen, weighted_articles, aggregator_version) "
        "VALUES (1, 'acme', 'acme', 'Acme', 'ORG', 8, 4, '2025-01-02', '2025-03-01', 4.0, 'test')"
    )
    aggregates.refresh_entity_months(db, ["2025-01", "2025-02", "2025-03"])


@pytest.mark.parametrize(
    "call",
    [
        lambda db: aggregates.top_entities(db, since_day="2025-01-03", until_day="2025-03-01"),
        lambda db: aggregates.top_entities(db, since_day="2025-01-30", linked_only=True),
        lambda db: aggregates.top_entities(db, until_day="2025-02-27"),
        lambda db: session_index.session_rows(db, "china-ai", "XNYS", "all", first="2025-01-01", last="2025-03-01"),
        lambda db: session_index.session_rows(db, "china-ai", "XNYS", "exact"),
        lambda db: session_index.has_session_rows(db, "china-ai", "XNYS", "all"),
        lambda db: session_index.sessions_between(db, "XNYS", "2025-01-01", "2025-03-01"),
        lambda db: session_index.sessions_touched_by(db, "XNYS", ["2025-01-02", "2025-02-28"]),
        lambda db: session_index.calendar_span(db, "XNYS"),
        lambda db: session_index.is_built(db, "china-ai", "XNYS"),
    ],
    ids=[
        "entities-months-and-days",
        "entities-from-linked",
        "entities-until",
        "sessions-window",
        "sessions-all",
        "sessions-any",
        "calendar-window",
        "calendar-touched",
        "calendar-span",
        "sessions-built",
    ],
)
def test_issue_12_m013_reads_scan_no_growing_table(call):
    db = open_db(":memory:")
    _with_days(db)
    db.execute(
        "INSERT INTO session_calendar (exchange, session, open_utc, close_utc) VALUES "
        "('XNYS', '2025-01-02', '2025-01-02T14:30:00+00:00', '2025-01-02T21:00:00+00:00'), "
        "('XNYS', '2025-03-03', '2025-03-03T14:30:00+00:00', '2025-03-03T21:00:00+00:00')"
    )
    recorder = Recorder(db)
    call(recorder)
    assert recorder.statements
    for sql, params in recorder.statements:
        assert _scans(db, sql, params) == [], sql
