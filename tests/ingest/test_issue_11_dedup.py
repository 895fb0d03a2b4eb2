"""Issue 11 item 10: items with no GUID, no link of their own and no date, and a short title or body, are
matched by a fingerprint of the feed and the item's content: re-parsing never adds copies, even after the
dedup window."""

from __future__ import annotations

import sqlite3

from conftest import query as rows
from conftest import rss, static, write_feeds

from narrative import api

ANONYMOUS = [
    {"title": "Markets", "description": "Up."},
    {"title": "Update", "description": "Down."},
    {"title": "Markets", "description": "Flat."},
    {"description": "Oil higher."},
    {"title": "Home", "link": "http://example.test/", "description": "Same link for all."},
]


def age_everything(db_path) -> None:
    """Move every stored time a year back: the dedup window has long passed."""
    with sqlite3.connect(db_path) as conn:
        conn.execute(
            "UPDATE articles SET published = '2024-01-01T00:00:00+00:00', first_seen_at = '2024-01-01T00:00:00+00:00'"
        )
        conn.execute("UPDATE article_sources SET published = '2024-01-01T00:00:00+00:00'")
    conn.close()


def test_issue_11_anonymous_items_are_stored_once_however_often_reparsed(server, tmp_path, fast_settings):
    server.routes["/anon"] = static(rss(ANONYMOUS, title="Anonymous items"))
    feeds = [{"name": "anon", "url": server.url("/anon")}]
    settings = fast_settings(feeds=str(write_feeds(tmp_path / "feeds.yaml", feeds)))
    assert api.ingest(settings=settings, enrich=False).new == len(ANONYMOUS)

    for title in ("Anonymous items, edited", "Anonymous items, edited again"):
        server.routes["/anon"] = static(rss(ANONYMOUS, title=title))  # a new body: re-parsed, not "unchanged"
        age_everything(settings.db)
        again = api.ingest(settings=settings, enrich=False)
        assert again.feeds[0].status == "ok" and again.new == 0 and again.seen == len(ANONYMOUS)

    assert rows(settings.db, "SELECT count(*) FROM articles") == [(len(ANONYMOUS),)]
    keys = [r[0] for r in rows(settings.db, "SELECT guid FROM article_sources")]
    assert all(k.startswith("fingerprint:") for k in keys) and len(set(keys)) == len(ANONYMOUS)


def test_issue_11_same_anonymous_text_on_different_own_dates_is_different_items(server, tmp_path, fast_settings):
    daily = [{"title": "Markets", "description": "Up.", "pubDate": f"Mon, 0{d} Sep 2025 16:00:00 GMT"} for d in (1, 2)]
    server.routes["/daily"] = static(rss(daily))
    settings = fast_settings(
        feeds=str(write_feeds(tmp_path / "feeds.yaml", [{"name": "d", "url": server.url("/daily")}]))
    )
    assert api.ingest(settings=settings, enrich=False).new == 2
    server.routes["/daily"] = static(rss(daily, title="Edited"))
    assert api.ingest(settings=settings, enrich=False).new == 0


def test_issue_11_fingerprint_is_per_feed(server, tmp_path, fast_settings):
    """The same anonymous item in two feeds: one article (content match within the window), two sources."""
    body = rss([{"title": "Markets", "description": "Shares of Alibaba rose two percent today."}])
    server.routes["/a"] = static(body)
    server.routes["/b"] = static(body)
    feeds = [{"name": "a", "url": server.url("/a")}, {"name": "b", "url": server.url("/b")}]
    settings = fast_settings(feeds=str(write_feeds(tmp_path / "feeds.yaml", feeds)), concurrency=1)
    summary = api.ingest(settings=settings, enrich=False)
    assert summary.new == 1 and summary.duplicates == 1
    assert sorted(r[0] for r in rows(settings.db, "SELECT source FROM article_sources")) == ["a", "b"]
