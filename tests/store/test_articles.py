"""Dedup in the store: GUID, canonical URL, title and content hash within the window."""

from __future__ import annotations

import pytest

from narrative.ingest.item import Item
from narrative.ingest.normalize import canonical_url, content_hash, is_distinctive_title, title_hash
from narrative.store import open_db
from narrative.store.articles import save_items

NOW = "2026-01-01T00:00:00+00:00"


def item(
    title="Baidu unveils Ernie upgrade aimed at enterprise customers",
    *,
    summary="Baidu said on Tuesday.",
    url="https://a.example.test/1",
    guid=None,
    published="2025-09-09T08:00:00+00:00",
) -> Item:
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
    )


@pytest.fixture
def db():
    return open_db(":memory:")


def save(db, source, *items):
    with db.atomic():
        return save_items(db, source=source, source_kind="feed", items=items, window_hours=72, now=NOW)


def test_store_same_guid_from_same_source_is_seen(db):
    save(db, "a", item(guid="g1"))
    stats = save(db, "a", item(guid="g1", url="https://a.example.test/changed"))
    assert (stats.new, stats.duplicates, stats.seen) == (0, 0, 1)


def test_store_same_guid_from_another_source_is_not_trusted_alone(db):
    save(db, "a", item(guid="1"))
    stats = save(
        db,
        "b",
        item(
            "Completely different story about SMIC capacity in Shanghai",
            guid="1",
            url="https://b.example.test/9",
            summary="Other text.",
        ),
    )
    assert stats.new == 1


def test_store_tracking_parameters_and_fragment_match_by_url(db):
    save(db, "a", item(url="https://a.example.test/1"))
    stats = save(
        db,
        "b",
        item(
            "Different headline wording entirely for this one",
            url="https://A.example.test/1?utm_source=rss&utm_campaign=x#comments",
        ),
    )
    assert stats.duplicates == 1
    assert db.execute("SELECT matched_by FROM article_sources WHERE source='b'").fetchone() == ("url",)


def test_store_title_match_only_within_window(db):
    save(db, "a", item(url="https://a.example.test/1"))
    near = save(db, "b", item(url="https://b.example.test/2", published="2025-09-10T20:00:00+00:00"))
    far = save(db, "c", item(url="https://c.example.test/3", published="2025-10-30T08:00:00+00:00"))
    assert near.duplicates == 1 and far.new == 1


def test_store_short_titles_need_matching_content(db):
    save(db, "a", item("Markets", summary="Stocks rose.", url="https://a.example.test/m1"))
    other = save(db, "b", item("Markets", summary="Stocks fell.", url="https://b.example.test/m2"))
    same = save(db, "c", item("Markets", summary="Stocks  ROSE!", url="https://c.example.test/m3"))
    assert other.new == 1 and same.duplicates == 1


def test_store_home_page_links_do_not_merge_stories(db):
    save(db, "a", item("First story about Tencent gaming revenue this quarter", url="https://site.example.test/"))
    stats = save(
        db,
        "a",
        item("Second story about Meituan delivery price war", url="https://site.example.test/", summary="Other."),
    )
    assert stats.new == 1


def test_store_duplicate_keeps_the_fuller_text(db):
    save(db, "a", item(summary="Alibaba said..."))
    save(db, "b", item(url="https://b.example.test/2", summary="Alibaba said on Tuesday it would spend more."))
    assert db.execute("SELECT text FROM articles").fetchone() == ("Alibaba said on Tuesday it would spend more.",)
    assert db.execute("SELECT count(*) FROM article_sources").fetchone() == (2,)


def test_store_batch_is_atomic(db):
    with pytest.raises(RuntimeError), db.atomic():
        save_items(db, source="a", source_kind="feed", items=[item()], window_hours=72, now=NOW)
        raise RuntimeError("crash mid-batch")
    assert db.execute("SELECT count(*) FROM articles").fetchone() == (0,)
    assert db.execute("SELECT count(*) FROM article_sources").fetchone() == (0,)


def test_store_migrations_are_recorded_and_idempotent(tmp_path):
    path = tmp_path / "m.db"
    open_db(path).close()
    db = open_db(path)
    names = [r[0] for r in db.execute("SELECT name FROM _sqlite_migrations")]
    assert names[0] == "m001_ingest_tables" and len(names) == len(set(names)) >= 2
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert "articles_fts" in db.table_names()
