"""Issue 12 item 3 / issue 14 item 4: the stored per-session narrative index (m013) prints exactly what the
computed one printed, follows rescoring, new times and new sources, reaches new sessions, and an older store gets it
at its first refresh; the monthly entity sums answer every whole-day window as the mentions themselves do."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

import narrative.api.index as index_api
from narrative.api.aggregates import refresh_aggregates
from narrative.api.index import index_session_records
from narrative.cli import cli
from narrative.store import open_db
from narrative.store.aggregates import top_entities, top_entities_direct
from narrative.store.schema import migrations
from narrative.store.session_index import calendar_span, is_built
from tests.store.test_aggregates import ARTICLES, NARRATIVE, _fill, _write, filled_store

WINDOWS = (
    [],
    ["--from", "2025-02-27"],
    ["--to", "2025-03-05"],
    ["--from", "2025-03-02", "--to", "2025-03-05"],
    ["--from", "2025-03-09"],
    ["--from", "2025-03-08", "--to", "2025-03-12"],
)


@pytest.fixture
def store(tmp_path):
    return filled_store(tmp_path / "sessions.db")


def _refresh(path):
    db = open_db(path)
    counts = refresh_aggregates(db)
    db.close()
    return counts


def _outputs(path, *, computed=False, monkeypatch=None):
    """Every ``index --sessions`` output on both exchanges, precisions and formats; ``computed``: without the
    stored sessions (the reference)."""
    if computed:
        monkeypatch.setattr(index_api, "index_session_records", lambda *args, **kwargs: None)
    runner = CliRunner()
    outputs = {}
    for exchange in ("XNYS", "XHKG"):
        for precision in ("all", "exact"):
            for window in WINDOWS:
                for fmt in ("json", "table") if window == [] else ("json",):  # tables: tests/cli/test_fast_table.py
                    argv = ["index", "--narrative", NARRATIVE, "--sessions", exchange, "--precision", precision]
                    argv += [*window, "--format", fmt]
                    result = runner.invoke(cli, [*argv, "--db", path])
                    assert result.exit_code == 0, result.output
                    outputs[" ".join(argv)] = result.output
    if computed:
        monkeypatch.undo()
    return outputs


def _assert_stored_equal_computed(path, monkeypatch):
    for exchange in ("XNYS", "XHKG"):
        for precision in ("all", "exact"):
            assert index_session_records(NARRATIVE, sessions=exchange, db_path=path, precision=precision) is not None
    assert _outputs(path) == _outputs(path, computed=True, monkeypatch=monkeypatch)


def test_issue_14_session_index_from_stored_sessions_prints_what_the_computed_index_printed(store, monkeypatch):
    assert index_session_records(NARRATIVE, sessions="XNYS", db_path=store) is None  # not refreshed: computed
    before = _outputs(store)
    counts = _refresh(store)
    assert counts["sessions"] > 0
    records, grouping = index_session_records(NARRATIVE, sessions="US", db_path=store)
    assert grouping == "XNYS sessions (exchange_calendars:XNYS)"
    assert records[0]["session"] == "2025-03-03" and records[0]["attention"] == 4
    assert _outputs(store) == before
    _assert_stored_equal_computed(store, monkeypatch)
    # outside the stored calendar, or an exchange not kept: computed as before
    assert index_session_records(NARRATIVE, sessions="XNYS", db_path=store, until="2030-01-01") is None
    assert index_session_records(NARRATIVE, sessions="XLON", db_path=store) is None


def test_issue_14_stored_sessions_follow_rescoring_new_times_sources_and_sessions(store, monkeypatch):
    _refresh(store)
    db = open_db(store)
    _write(db, 1, [("baidu", "Baidu", "ORG")], 0.2, 0.5, version="v3")  # no longer relevant
    _write(db, 6, [("baidu", "Baidu", "ORG")], 0.9, 0.8, version="v3")  # rescored
    db.execute("UPDATE articles SET published = '2025-03-03T21:30:00+00:00' WHERE id = 4")  # after the NY close
    db.execute(
        "INSERT INTO article_sources (article_id, source, source_kind, matched_by, seen_at) "
        "VALUES (8, 'late', 'feed', 'title', '2025-03-08T00:00:00+00:00')"
    )
    # an article months later: past the stored calendar, which grows to reach it
    db.execute(
        "INSERT INTO articles (id, title, published, published_source, title_hash, content_hash, first_seen_at, "
        "updated_at, ingest_version, published_precision) VALUES (99, 'later', '2025-08-01T15:00:00+00:00', "
        "'archive', 't99', 'c99', '2025-08-01', '2025-08-01', 'test', 'exact')"
    )
    db.conn.commit()
    _write(db, 99, [("alibaba", "Alibaba", "ORG")], 0.8, -0.4)
    last_before = calendar_span(db, "XNYS")["last_session"]
    refresh_aggregates(db)
    assert calendar_span(db, "XNYS")["last_session"] > "2025-08-01" > last_before
    db.close()
    _assert_stored_equal_computed(store, monkeypatch)
    records, _ = index_session_records(NARRATIVE, sessions="XNYS", db_path=store, since="2025-07-31")
    assert [r["session"] for r in records if r["attention"]] == ["2025-08-01"]


def test_issue_14_an_older_store_gets_its_sessions_at_its_first_refresh(tmp_path, monkeypatch):
    from sqlite_utils import Database

    path = str(tmp_path / "before_m013.db")
    older = type(migrations)("narrative")
    older._migrations = [m for m in migrations._migrations if not m.name.startswith("m013")]
    raw = Database(path)
    older.apply(raw)
    _fill(raw)
    raw.close()
    db = open_db(path)  # applies m013: nothing stored for the sessions yet
    assert not is_built(db, NARRATIVE, "XNYS")
    refresh_aggregates(db)
    assert is_built(db, NARRATIVE, "XNYS") and is_built(db, NARRATIVE, "XHKG")
    db.close()
    _assert_stored_equal_computed(path, monkeypatch)


# Articles over three months, so that windows cut months at either end, cover whole months, or take a month less
# the days outside them.
MONTHS_OF_ARTICLES = [
    f"2025-{month:02d}-{day:02d}T{hour:02d}:00:00+00:00"
    for month, days in ((1, (2, 9, 15, 16, 28, 31)), (2, (1, 3, 14, 27, 28)), (3, (1, 2, 20, 31)), (4, (1,)))
    for day in days
    for hour in (3, 17)
]


def test_issue_12_entity_months_answer_every_whole_day_window(tmp_path):
    db = open_db(str(tmp_path / "months.db"))
    with db.atomic():
        for n, published in enumerate(MONTHS_OF_ARTICLES, start=1):
            db.execute(
                "INSERT INTO articles (id, title, published, published_source, title_hash, content_hash, "
                "first_seen_at, updated_at, ingest_version, published_precision) "
                "VALUES (?, ?, ?, 'archive', ?, ?, ?, ?, 'test', 'exact')",
                [n, f"t{n}", published, f"t{n}", f"c{n}", published, published],
            )
    for n in range(1, len(MONTHS_OF_ARTICLES) + 1):
        _, _, _, mentions, relevance, stance, _ = ARTICLES[n % len(ARTICLES)]
        _write(db, n, mentions[: 1 + n % 2], relevance, stance)
    refresh_aggregates(db)
    bounds = [
        None,
        "2024-12-30",
        "2025-01-01",
        "2025-01-03",
        "2025-01-16",
        "2025-01-30",
        "2025-02-01",
        "2025-02-02",
        "2025-02-15",
        "2025-02-28",
        "2025-03-01",
        "2025-03-02",
        "2025-03-31",
        "2025-04-01",
        "2025-04-02",
        "2025-05-01",
    ]
    checked = 0
    for since in bounds:
        for until in bounds:
            if (since is None and until is None) or (since and until and since >= until):
                continue
            for linked in (False, True):
                for limit, offset in ((20, 0), (2, 1), (-1, 0)):
                    got = top_entities(
                        db, since_day=since, until_day=until, linked_only=linked, limit=limit, offset=offset
                    )
                    expected = top_entities_direct(
                        db,
                        since=since and f"{since}T00:00:00+00:00",
                        until=until and f"{until}T00:00:00+00:00",
                        linked_only=linked,
                        limit=limit,
                        offset=offset,
                    )
                    assert got == expected, (since, until, linked, limit, offset)
                    checked += bool(expected)
    assert checked > 100
    db.close()
