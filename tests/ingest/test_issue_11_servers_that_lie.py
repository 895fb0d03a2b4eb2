"""Issue 11 item 9: servers that answer 304 to changed content, and Retry-After in both forms."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from conftest import make_items, rss, send, static, write_feeds
from conftest import query as rows

from narrative import api
from narrative.ingest.fetch import Fetcher, FetchLimits

LIMITS = FetchLimits(
    connect_timeout=2,
    read_timeout=2,
    deadline=20,
    max_bytes=1_000_000,
    max_redirects=3,
    retries=2,
    backoff=0.01,
    user_agent="narrative-test/1",
)


def lying(feed: dict) -> callable:
    """Answers 304 to the ETag it once gave, whatever the body is now (the ETag never changes)."""

    def route(handler) -> None:
        if handler.headers.get("If-None-Match") == '"forever"':
            send(handler, 304, content_type="", headers={"ETag": '"forever"'})
        else:
            send(handler, 200, feed["body"], headers={"ETag": '"forever"'})

    return route


def setup(server, tmp_path, fast_settings, **overrides):
    feed = {"body": rss(make_items("lie", 3))}
    server.routes["/lie"] = lying(feed)
    feeds = [{"name": "lie", "url": server.url("/lie")}]
    settings = fast_settings(feeds=str(write_feeds(tmp_path / "feeds.yaml", feeds)), **overrides)
    assert api.ingest(settings=settings, enrich=False).new == 3
    feed["body"] = rss(make_items("lie", 5))  # two new items; the server still says 304
    return settings


def last_request_headers(server, path="/lie") -> dict[str, str]:
    return [h for p, h in server.requests if p == path][-1]


def test_issue_11_periodic_unconditional_fetch_picks_up_what_a_304_hid(server, tmp_path, fast_settings):
    settings = setup(server, tmp_path, fast_settings, unconditional_refetch_hours=24.0)
    hidden = api.ingest(settings=settings, enrich=False)
    assert hidden.feeds[0].status == "not_modified" and hidden.new == 0  # within the day: conditional, lied to
    # A day passes since the last full response.
    day_ago = (datetime.now(UTC) - timedelta(hours=25)).isoformat()
    with sqlite3.connect(settings.db) as conn:
        conn.execute("UPDATE fetches SET started_at = ? WHERE http_status = 200", [day_ago])
    conn.close()

    refetched = api.ingest(settings=settings, enrich=False)

    assert "If-None-Match" not in last_request_headers(server)
    assert refetched.feeds[0].status == "ok" and refetched.new == 2
    # Right after a full response, conditional GET is back on.
    api.ingest(settings=settings, enrich=False)
    assert last_request_headers(server).get("If-None-Match") == '"forever"'


def test_issue_11_unconditional_fetch_of_the_same_body_is_unchanged(server, tmp_path, fast_settings):
    server.routes["/same"] = static(rss(make_items("same", 2)), etag='"s1"')
    feeds = [{"name": "same", "url": server.url("/same")}]
    settings = fast_settings(feeds=str(write_feeds(tmp_path / "feeds.yaml", feeds)), conditional_get=False)
    api.ingest(settings=settings, enrich=False)
    again = api.ingest(settings=settings, enrich=False)
    assert again.feeds[0].status == "unchanged"  # the content hash decides


def test_issue_11_conditional_get_can_be_turned_off(server, tmp_path, fast_settings):
    settings = setup(server, tmp_path, fast_settings, conditional_get=False)
    second = api.ingest(settings=settings, enrich=False)
    assert "If-None-Match" not in last_request_headers(server) and "If-Modified-Since" not in last_request_headers(
        server
    )
    assert second.feeds[0].status == "ok" and second.new == 2


def fetch(url: str, limits: FetchLimits = LIMITS):
    async def run():
        async with Fetcher(limits) as fetcher:
            return await fetcher.fetch(url)

    return asyncio.run(run())


def test_issue_11_long_retry_after_records_the_429_not_a_deadline(server, tmp_path, fast_settings):
    server.routes["/busy"] = lambda h: send(
        h, 429, b"slow down", content_type="text/plain", headers={"Retry-After": "3600"}
    )
    feeds = [{"name": "busy", "url": server.url("/busy")}]
    settings = fast_settings(feeds=str(write_feeds(tmp_path / "feeds.yaml", feeds)), retries=3)

    summary = api.ingest(settings=settings, enrich=False)

    error = summary.feeds[0].error
    assert "HTTP 429" in error and "Retry-After 3600s" in error and "deadline of" not in error
    assert server.hits["/busy"] == 1
    assert rows(settings.db, "SELECT http_status, error FROM fetches") == [(429, error)]


def test_issue_11_retry_after_as_an_http_date(server):
    later = format_datetime(datetime.now(UTC) + timedelta(hours=2), usegmt=True)
    server.routes["/later"] = lambda h: send(h, 503, b"", content_type="text/plain", headers={"Retry-After": later})
    result = fetch(server.url("/later"))
    assert result.status == "error" and "HTTP 503" in result.error and result.attempts == 1
    assert 7000 < result.retry_after <= 7200  # the date was read, not ignored


def test_issue_11_retry_after_date_in_the_past_retries_at_once(server):
    calls = {"n": 0}

    def once_busy(handler) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            send(handler, 429, b"", content_type="text/plain", headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
        else:
            send(handler, 200, rss(make_items("back", 1)))

    server.routes["/once"] = once_busy
    result = fetch(server.url("/once"))
    assert result.status == "ok" and result.attempts == 2
