"""Issue 12 item 3: ``narrative sentiment NAME --daily`` from the stored days (m014) gives exactly the rows read
from every scored mention: for catalog entities and unlinked names, after rescoring, relevance rewrites and new
times, and for a store migrated to m014; a window with a day not yet refreshed, or a bound inside a day, reads the
mentions."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from narrative.api.aggregates import refresh_aggregates
from narrative.api.entity_sentiment import ZH_METHOD, entity_sentiment
from narrative.api.sentiment_days import daily_sentiment
from narrative.cli import cli
from narrative.store import open_db
from narrative.store.mention_sentiment import pending_mentions, save_mention_sentiment
from narrative.store.schema import migrations
from narrative.store.sentiment_days import LEXICON_METHOD
from tests.store.test_sentiment_window import store  # noqa: F401 (the fixture: 30 days of scored mentions)

NAMES = ("alibaba", "BABA", "Jack Ma", "jack ma", "tencent")
WINDOWS = (
    (None, None),
    ("2025-03-05", "2025-03-07"),
    ("2025-03-10", None),
    (None, "2025-03-04"),
    ("2025-02-01", "2025-05-01"),
)


def _assert_equal(path):
    checked = 0
    for name in NAMES:
        for since, until in WINDOWS:
            stored = daily_sentiment(name, db_path=str(path), since=since, until=until)
            assert stored is not None, (name, since, until)
            assert stored == entity_sentiment(name, db_path=str(path), since=since, until=until, daily=True)
            checked += len(stored)
    assert checked > 100


def test_issue_12_stored_sentiment_days_equal_the_mentions(store):  # noqa: F811
    assert LEXICON_METHOD == ZH_METHOD
    _assert_equal(store)
    result = CliRunner().invoke(cli, ["sentiment", "alibaba", "--daily", "--format", "json", "--db", str(store)])
    assert result.exit_code == 0 and '"weighted_by": "relevance"' in result.output
    # a bound inside a day: the mentions answer
    assert daily_sentiment("alibaba", db_path=str(store), since="2025-03-04T23:30:00+00:00") is None


def test_issue_12_stored_sentiment_days_follow_rescoring_relevance_and_times(tmp_path, store):  # noqa: F811
    path = tmp_path / "copy.db"
    source = open_db(str(store), readonly=True)
    source.conn.execute("VACUUM INTO ?", [str(path)])
    source.close()
    db = open_db(str(path))
    rescored = [(m, "negative", 0.7, 0.2, 0.1, ZH_METHOD) for m in pending_mentions(db, "esent-v2")[:40]]
    with db.atomic():
        save_mention_sentiment(db, rescored, version="esent-v2", now="2025-04-02T00:00:00+00:00")
        db.execute("UPDATE article_entities SET relevance = 0 WHERE article_id IN (3, 4)")
        db.execute("DELETE FROM article_entities WHERE article_id = 9")
        db.execute("UPDATE articles SET published = '2025-03-20T10:00:00+00:00' WHERE id = 12")
        db.execute("DELETE FROM mentions WHERE article_id = 15")
    assert daily_sentiment("alibaba", db_path=str(path)) is None  # days not refreshed yet: the mentions answer
    assert refresh_aggregates(db)["sentiment_days"] > 0
    db.close()
    _assert_equal(path)


@pytest.mark.parametrize("bulk_after", [0, 10**6])  # one pass over every scored mention, or a day at a time
def test_issue_12_a_store_migrated_to_m014_gets_its_days_at_its_first_refresh(
    tmp_path,
    store,  # noqa: F811
    monkeypatch,
    bulk_after,
):
    from sqlite_utils import Database

    from narrative.store import sentiment_days

    monkeypatch.setattr(sentiment_days, "BULK_AFTER_DAYS", bulk_after)

    path = tmp_path / "before_m014.db"
    source = open_db(str(store), readonly=True)
    source.conn.execute("VACUUM INTO ?", [str(path)])
    source.close()
    raw = Database(str(path))
    for trigger in [r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE name LIKE 'sentiment_days_%'")]:
        raw.execute(f"DROP TRIGGER {trigger}")
    raw.execute("DROP TABLE entity_sentiment_days")
    raw.execute("DELETE FROM aggregate_dirty WHERE kind = 'sentiment'")
    raw.execute("DELETE FROM _sqlite_migrations WHERE name = ?", [migrations._migrations[-1].name])
    raw.conn.commit()
    raw.close()
    db = open_db(str(path))  # applies m014 again: every day marked
    assert daily_sentiment("alibaba", db_path=str(path)) is None
    db.execute(
        "INSERT INTO entity_sentiment_days SELECT 0, 'kept', '2024-01-01', 1, 1, 1, 0, 0, 0, 0.5, 0, NULL, NULL, 'x'"
    )
    assert refresh_aggregates(db)["sentiment_days"] == 30
    assert db.execute("SELECT count(*) FROM entity_sentiment_days WHERE entity_key = 'kept'").fetchone()[0] == 1
    db.close()
    _assert_equal(path)


@pytest.mark.parametrize("name", ["alibaba", "Jack Ma"])
def test_issue_12_sentiment_days_are_read_by_the_entity_key(store, name):  # noqa: F811
    from narrative.store.sentiment_days import day_rows, is_dirty
    from tests.store.test_query_plans import Recorder

    db = open_db(str(store), readonly=True)
    recorder = Recorder(db)
    day_rows(recorder, 1, name.lower(), first="2025-03-01", end="2025-03-08")
    is_dirty(recorder, "2025-03-01", "2025-03-08")
    for sql, params in recorder.statements:
        plan = " ".join(row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql, params))
        assert "SCAN" not in plan, plan
    db.close()
