"""``narrative sentiment NAME --since/--until`` (issue 12 item 2, issue 14 item 4): a window is filtered in SQL,
walking the window's articles when they are fewer than the entity's mentions; the rows are exactly those of every
mention filtered by date afterwards, in the same order, whichever way they were read."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from narrative.api.aggregates import refresh_aggregates
from narrative.api.entity_sentiment import RELEVANCE_TABLE, entity_sentiment
from narrative.store import open_db
from narrative.store.mention_sentiment import pending_mentions, save_mention_sentiment, sentiment_rows, walks_articles
from tests.store.test_aggregates import _write

FIRST_DAY = date(2025, 3, 1)
DAYS = 30


def _mentions(day: int) -> list[tuple[str | None, str, str]]:
    """Alibaba 1-3 times a day, Jack Ma (unlinked) every other day, Tencent every fifth day."""
    found: list[tuple[str | None, str, str]] = [("alibaba", "Alibaba", "ORG")] * (1 + day % 3)
    if day % 2 == 0:
        found.append((None, "Jack Ma", "PERSON"))
    if day % 5 == 0:
        found.append(("tencent", "Tencent", "ORG"))
    return found


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("sentiment_window") / "store.db"
    db = open_db(str(path))
    for day in range(DAYS):
        # two articles a day, the second at 23:30 so a day's bound falls between articles
        for n, hour in enumerate(("09:00", "23:30")):
            article_id = 1 + 2 * day + n
            published = f"{FIRST_DAY + timedelta(days=day)}T{hour}:00+00:00"
            db.execute(
                "INSERT INTO articles (id, title, published, published_source, title_hash, content_hash, "
                "first_seen_at, updated_at, ingest_version) VALUES (?, ?, ?, 'archive', ?, ?, ?, ?, 'test')",
                [
                    article_id,
                    f"title {article_id}",
                    published,
                    f"t{article_id}",
                    f"c{article_id}",
                    published,
                    published,
                ],
            )
            db.conn.commit()
            _write(db, article_id, _mentions(day + n), 0.5, 0.1)
    pending = pending_mentions(db, "esent-test")
    labels = ("positive", "neutral", "negative")
    scored = [
        (m, labels[m.mention_id % 3], 0.1 * (m.mention_id % 3), 0.2, 0.3, "model")
        for m in pending
        if m.mention_id % 7  # every seventh mention left unscored: no row for it, either way
    ]
    with db.atomic():
        save_mention_sentiment(db, scored, version="esent-test", now="2025-04-01T00:00:00+00:00")
    refresh_aggregates(db)  # entity_totals: the mention counts the plan is chosen by
    db.close()
    return path


WINDOWS = [
    ("2025-03-05T00:00:00+00:00", "2025-03-08T00:00:00+00:00"),  # 3 days: 6 articles
    ("2025-03-03T00:00:00+00:00", "2025-03-28T00:00:00+00:00"),  # 25 days: 50 articles
    ("2025-03-10T00:00:00+00:00", None),
    (None, "2025-03-04T23:30:00+00:00"),  # until is exclusive: the article at 23:30 is out
    ("2025-03-04T23:30:00+00:00", "2025-03-06T09:00:00+00:00"),
]
WHO = [{"entity_id": "alibaba"}, {"entity_id": "tencent"}, {"name": "Jack Ma"}, {"name": "jack ma"}]


@pytest.mark.parametrize("who", WHO, ids=lambda who: next(iter(who.values())))
@pytest.mark.parametrize("relevance_table", [None, RELEVANCE_TABLE])
def test_issue_14_sentiment_window_rows_equal_every_row_filtered_by_date(store, who, relevance_table):
    db = open_db(str(store), readonly=True)
    try:
        published = dict(db.execute("SELECT id, published FROM articles").fetchall())
        everything = sentiment_rows(db, **who, relevance_table=relevance_table)
        assert everything and all(row["label"] for row in everything)
        for since, until in WINDOWS:
            expected = [
                row
                for row in everything
                if (since is None or published[row["article_id"]] >= since)
                and (until is None or published[row["article_id"]] < until)
            ]
            got = sentiment_rows(db, **who, since=since, until=until, relevance_table=relevance_table)
            assert got == expected, (since, until)
            assert expected, (since, until)  # every window holds some of each
    finally:
        db.close()


def test_issue_14_sentiment_window_plan_follows_the_counts(store):
    """Both ways of reading are taken by the windows above (the equality test covers each)."""
    db = open_db(str(store), readonly=True)
    try:
        (alibaba,) = db.execute(
            "SELECT mentions FROM entity_totals WHERE linked = 1 AND entity_key = 'alibaba'"
        ).fetchone()
        (tencent,) = db.execute(
            "SELECT mentions FROM entity_totals WHERE linked = 1 AND entity_key = 'tencent'"
        ).fetchone()
        assert tencent < 50 < alibaba
        small, wide = WINDOWS[0], WINDOWS[1]
        assert walks_articles(db, 1, "alibaba", since=small[0], until=small[1])
        assert walks_articles(db, 1, "alibaba", since=wide[0], until=wide[1])
        assert walks_articles(db, 0, "jack ma", since=small[0], until=small[1])
        assert not walks_articles(db, 1, "tencent", since=wide[0], until=wide[1])
        assert not walks_articles(db, 0, "jack ma", since=wide[0], until=wide[1])
        assert not walks_articles(db, 1, "alibaba", since=None, until=None)
        assert not walks_articles(db, 1, "nobody", since=small[0], until=small[1])
    finally:
        db.close()


def test_issue_14_sentiment_daily_over_a_window_is_the_days_of_the_whole_series(store):
    whole = entity_sentiment("alibaba", db_path=str(store), daily=True)
    window = entity_sentiment("alibaba", db_path=str(store), daily=True, since="2025-03-05", until="2025-03-07")
    assert [row["day"] for row in window] == ["2025-03-05", "2025-03-06", "2025-03-07"]
    assert window == [row for row in whole if "2025-03-05" <= row["day"] <= "2025-03-07"]
