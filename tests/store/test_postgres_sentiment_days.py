"""m014's stored entity sentiment per day on PostgreSQL (issue 14 item 2): the scored-mentions store of the
sentiment tests, copied into PostgreSQL with no stored day (every day marked dirty, as m014 leaves an older
store), refreshed there by PostgreSQL's own writer; then ``sentiment NAME --daily`` read from the stored days gives
exactly the rows read from every mention, for catalog entities and unlinked names and every window."""

from __future__ import annotations

from narrative.api.aggregates import refresh_aggregates
from narrative.store import open_db
from narrative.store.postgres_copy import copy_store
from narrative.store.sentiment_days import KIND
from store.test_aggregates_sentiment import _assert_equal
from tests.store.test_sentiment_window import store  # noqa: F401 (the fixture: 30 days of scored mentions)


def test_issue_14_pg_sentiment_days_refreshed_on_postgres_equal_the_mentions(store, postgres_cluster):  # noqa: F811
    url = postgres_cluster.migrated()
    copy_store(store, url)
    db = open_db(url)
    with db.atomic():
        db.execute("DELETE FROM entity_sentiment_days")
        db.execute(
            "INSERT OR IGNORE INTO aggregate_dirty (kind, narrative, day) SELECT DISTINCT ?, '', "
            "substr(published, 1, 10) FROM articles",
            [KIND],
        )
    assert refresh_aggregates(db)["sentiment_days"] > 0
    assert db.execute("SELECT count(*) FROM entity_sentiment_days").fetchone()[0] > 0
    db.close()
    _assert_equal(url)
