"""`narrative stats` reads running counts (m010); they must equal a direct count of the rows (issue 12)."""

from __future__ import annotations

from narrative.ingest.item import Item
from narrative.ingest.normalize import canonical_url, content_hash, is_distinctive_title, title_hash
from narrative.store import open_db
from narrative.store.articles import save_items
from narrative.store.stats import store_summary

NOW = "2026-01-01T00:00:00+00:00"


def item(title, *, url, guid=None, language="en", published="2025-09-09T08:00:00+00:00") -> Item:
    summary = f"{title} summary."
    return Item(
        title=title,
        summary=summary,
        url=url,
        canonical_url=canonical_url(url),
        guid=guid,
        published=published,
        published_source="published",
        title_hash=title_hash(title),
        content_hash=content_hash(title, summary),
        distinctive_title=is_distinctive_title(title),
        language=language,
    )


def direct_summary(db) -> dict:
    """What store_summary answered before m010: counted from the rows themselves."""

    def rows(sql, columns):
        return [dict(zip(columns, r)) for r in db.execute(sql).fetchall()]

    articles, first, last = db.execute("SELECT count(*), min(published), max(published) FROM articles").fetchone()
    return {
        "articles": articles,
        "sources": db.execute("SELECT count(DISTINCT source) FROM article_sources").fetchone()[0],
        "first_published": first,
        "last_published": last,
        "by_source": rows(
            "SELECT source, count(DISTINCT article_id) FROM article_sources GROUP BY source ORDER BY 2 DESC, 1",
            ("source", "articles"),
        ),
        "by_language": rows(
            "SELECT coalesce(language, '?'), count(*) FROM articles GROUP BY 1 ORDER BY 2 DESC, 1",
            ("language", "articles"),
        ),
        "multi_source_articles": db.execute(
            "SELECT count(*) FROM (SELECT article_id FROM article_sources GROUP BY article_id "
            "HAVING count(DISTINCT source) > 1)"
        ).fetchone()[0],
    }


def save(db, source, *items):
    with db.atomic():
        save_items(db, source=source, source_kind="feed", items=items, window_hours=72, now=NOW)


def filled_store():
    db = open_db(":memory:")
    save(
        db,
        "wire",
        item("Baidu unveils Ernie upgrade aimed at enterprise customers", url="https://w.test/1", guid="w1"),
        item("阿里巴巴发布新一代通义千问大模型并开放下载", url="https://w.test/2", guid="w2", language="zh"),
        item(
            "SMIC expands Shanghai capacity as demand for mature chips holds",
            url="https://w.test/3",
            guid="w3",
            published="2025-10-01T08:00:00+00:00",
        ),
    )
    # the same stories from another source (two of them), and the wire giving one story again under a new GUID
    save(
        db,
        "paper",
        item("Baidu unveils Ernie upgrade aimed at enterprise customers", url="https://p.test/a", guid="p1"),
        item(
            "SMIC expands Shanghai capacity as demand for mature chips holds",
            url="https://p.test/b",
            guid="p2",
            published="2025-10-01T08:00:00+00:00",
        ),
    )
    save(
        db,
        "wire",
        item("Baidu unveils Ernie upgrade aimed at enterprise customers", url="https://w.test/1b", guid="w1-again"),
    )
    save(
        db,
        "blog",
        item(
            "Tencent cuts prices of its Hunyuan models for developers",
            url="https://b.test/x",
            language=None,
            published="2024-05-01T08:00:00+00:00",
        ),
    )
    return db


def test_issue_12_stats_counts_equal_a_direct_count_of_the_rows():
    db = filled_store()
    summary = store_summary(db)
    assert summary == direct_summary(db)
    assert (summary["articles"], summary["sources"], summary["multi_source_articles"]) == (4, 3, 2)


def test_issue_12_stats_counts_follow_deletes_and_language_changes():
    db = filled_store()
    with db.atomic():
        db.execute("UPDATE articles SET language = 'en' WHERE language IS NULL")
        db.execute("DELETE FROM article_sources WHERE source = 'paper' AND guid = 'p2'")
        db.execute("DELETE FROM article_sources WHERE article_id = (SELECT id FROM articles WHERE language = 'zh')")
        db.execute("DELETE FROM articles WHERE language = 'zh'")
    assert store_summary(db) == direct_summary(db)
    assert store_summary(db)["multi_source_articles"] == 1


def test_issue_12_an_older_store_gets_its_counts_backfilled(tmp_path):
    path = tmp_path / "n.db"
    db = filled_store()
    db.conn.execute(f"VACUUM INTO '{path}'")
    old = open_db(path, migrate=False)
    for (trigger,) in old.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'store_counts%'"
    ):
        old.execute(f"DROP TRIGGER {trigger}")
    for table in ("source_counts", "language_counts", "store_counts"):
        old.execute(f"DROP TABLE {table}")
    old.execute("DELETE FROM _sqlite_migrations WHERE name = 'm010_store_counts'")
    old.conn.commit()
    migrated = open_db(path)
    assert store_summary(migrated) == direct_summary(migrated)
