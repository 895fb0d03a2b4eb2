"""ingest() end to end against the loopback server: one run, every kind of feed outcome."""

from __future__ import annotations

from conftest import make_items, rss, send, static, write_feeds
from conftest import query as rows

from narrative import api

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom test</title>
<entry><title>Huawei ships a new Ascend accelerator to cloud customers in China</title>
<link href="http://example.test/atom/1"/><id>tag:example.test,2025:1</id>
<published>2025-09-02T09:30:00+08:00</published><summary>Ascend &amp; friends.</summary></entry>
</feed>"""

RDF = b"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="http://example.test/rdf"><title>RDF test</title><link>http://example.test/</link>
<description>d</description></channel>
<item rdf:about="http://example.test/rdf/1">
<title>SMIC adds capacity at its Shanghai fab as demand for local chips grows</title>
<link>http://example.test/rdf/1</link><dc:date>2025-09-03T01:00:00Z</dc:date>
<description>SMIC text.</description></item>
</rdf:RDF>"""


def test_ingest_mixed_outcomes_never_stop_the_run(server, tmp_path, fast_settings):
    server.routes["/rss"] = static(rss(make_items("rss", 5)), etag='"r1"')
    server.routes["/atom"] = static(ATOM, content_type="application/atom+xml")
    server.routes["/rdf"] = static(RDF, content_type="application/rdf+xml")
    server.routes["/500"] = lambda h: send(h, 500, b"down", content_type="text/plain")
    server.routes["/html"] = static(b"<html><body><p>Not a feed</p></body></html>", content_type="text/html")
    feeds = [{"name": n, "url": server.url("/" + n)} for n in ("rss", "atom", "rdf", "500", "html", "404")]
    settings = fast_settings(feeds=str(write_feeds(tmp_path / "feeds.yaml", feeds)))

    summary = api.ingest(settings=settings, enrich=False)

    by_name = {f.name: f for f in summary.feeds}
    assert [by_name[n].status for n in ("rss", "atom", "rdf")] == ["ok", "ok", "ok"]
    assert {by_name[n].status for n in ("500", "html", "404")} == {"error"}
    assert "not a feed" in by_name["html"].error
    assert summary.new == 7 and not summary.nothing_done
    log = dict(rows(settings.db, "SELECT feed, status FROM fetches"))
    assert log["500"] == "error" and log["rss"] == "ok"
    assert rows(settings.db, "SELECT attempts FROM fetches WHERE feed = '500'") == [(2,)]
    atom = rows(settings.db, "SELECT published FROM articles WHERE title LIKE 'Huawei%'")
    assert atom == [("2025-09-02T01:30:00+00:00",)]


def test_ingest_second_run_uses_conditional_get(server, tmp_path, fast_settings):
    server.routes["/rss"] = static(rss(make_items("rss", 3)), etag='"r1"')
    server.routes["/plain"] = static(rss(make_items("plain", 3)))  # no validators: body hash decides
    feeds = [{"name": "rss", "url": server.url("/rss")}, {"name": "plain", "url": server.url("/plain")}]
    settings = fast_settings(feeds=str(write_feeds(tmp_path / "feeds.yaml", feeds)))
    assert api.ingest(settings=settings, enrich=False).new == 6

    second = api.ingest(settings=settings, enrich=False)

    statuses = {f.name: f.status for f in second.feeds}
    assert statuses == {"rss": "not_modified", "plain": "unchanged"} and second.new == 0
    conditional = [h for p, h in server.requests if p == "/rss"][-1]
    assert conditional.get("If-None-Match") == '"r1"'


def test_ingest_every_feed_failing_is_nothing_done(server, tmp_path, fast_settings):
    feeds = [{"name": "a", "url": server.url("/nope-a")}, {"name": "b", "url": server.url("/nope-b")}]
    settings = fast_settings(feeds=str(write_feeds(tmp_path / "feeds.yaml", feeds)))
    summary = api.ingest(settings=settings, enrich=False)
    assert summary.nothing_done and len(summary.failed) == 2


def test_ingest_same_story_in_two_feeds_is_one_article_with_two_sources(server, tmp_path, fast_settings):
    story = {
        "title": "Alibaba lifts AI spending plan as cloud revenue accelerates",
        "pubDate": "Tue, 02 Sep 2025 08:00:00 GMT",
        "description": "Alibaba Group said on Tuesday it would raise AI infrastructure spending.",
    }
    one = dict(story, link="http://wire.example.test/a/1?utm_source=rss&amp;utm_medium=feed#top", guid="w-1")
    two = dict(
        story,
        title=story["title"].upper() + " - Example Wire",
        link="http://news.example.test/x/77",
        guid="n-77",
        description=story["description"][:40] + "...",
    )
    server.routes["/one"] = static(rss([one]))
    server.routes["/two"] = static(rss([two, two]))  # the repeat inside one feed is seen, not new
    feeds = [{"name": "one", "url": server.url("/one")}, {"name": "two", "url": server.url("/two")}]
    settings = fast_settings(feeds=str(write_feeds(tmp_path / "feeds.yaml", feeds)), concurrency=1)

    summary = api.ingest(settings=settings, enrich=False)

    assert summary.new == 1 and summary.duplicates == 1 and summary.seen == 1
    sources = rows(settings.db, "SELECT source, matched_by FROM article_sources ORDER BY id")
    assert sources == [("one", "new"), ("two", "title")]
    assert rows(settings.db, "SELECT canonical_url FROM articles") == [("http://wire.example.test/a/1",)]


def test_ingest_full_text_fetches_new_pages_and_keeps_summary_on_failure(server, tmp_path, fast_settings):
    paragraph = "Cambricon reported revenue that rose more than fortyfold from a year earlier. " * 8
    page = (
        f"<html><head><title>t</title></head><body><nav>menu</nav><article><h1>Cambricon</h1>"
        f"<p>{paragraph}</p><p>{paragraph}</p></article><footer>footer</footer></body></html>".encode()
    )
    server.routes["/page/1"] = static(page, content_type="text/html; charset=utf-8")
    items = [
        {
            "title": "Cambricon revenue soars on demand for domestic AI chips",
            "link": server.url("/page/1"),
            "guid": "p1",
            "pubDate": "Wed, 27 Aug 2025 10:00:00 GMT",
            "description": "Short summary one.",
        },
        {
            "title": "Page that is gone leaves only the feed summary behind",
            "link": server.url("/page/2"),
            "guid": "p2",
            "pubDate": "Wed, 27 Aug 2025 11:00:00 GMT",
            "description": "Short summary two.",
        },
    ]
    server.routes["/full"] = static(rss(items))
    feeds = [{"name": "full", "url": server.url("/full"), "full_text": True}]
    # The pages are on the loopback server, which page fetches refuse unless allowed (issue 11).
    settings = fast_settings(feeds=str(write_feeds(tmp_path / "feeds.yaml", feeds)), allow_private_addresses=True)

    api.ingest(settings=settings, enrich=False)

    got = dict(
        (r[0].rsplit("/", 1)[-1], r[1:])
        for r in rows(
            settings.db,
            "SELECT guid, text_source, fulltext_error, text FROM articles "
            "JOIN article_sources s ON s.article_id = articles.id",
        )
    )
    assert got["p1"][0] == "full_text" and "fortyfold" in got["p1"][2] and "menu" not in got["p1"][2]
    assert got["p2"][0] == "summary" and "404" in got["p2"][1] and got["p2"][2] == "Short summary two."
    assert rows(settings.db, "SELECT fulltext_failures FROM fetches") == [(1,)]
    # A second run with a changed feed body fetches no page for items already stored.
    server.routes["/full"] = static(
        rss([*items, dict(items[0], guid="p3", title="Another new item here today", link=server.url("/page/3"))])
    )
    before = server.hits.get("/page/1", 0)
    api.ingest(settings=settings, enrich=False)
    assert server.hits.get("/page/1", 0) == before and server.hits.get("/page/3") == 1


def test_ingest_fts_finds_articles(server, tmp_path, fast_settings):
    server.routes["/rss"] = static(rss(make_items("fts", 3)))
    settings = fast_settings(
        feeds=str(write_feeds(tmp_path / "feeds.yaml", [{"name": "rss", "url": server.url("/rss")}]))
    )
    api.ingest(settings=settings, enrich=False)
    hits = rows(settings.db, "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'Tencent'")
    assert hits == [(3,)]


def test_list_feeds_shows_last_status(server, tmp_path, fast_settings):
    server.routes["/rss"] = static(rss(make_items("l", 2)))
    feeds = [{"name": "good", "url": server.url("/rss")}, {"name": "bad", "url": server.url("/gone")}]
    settings = fast_settings(feeds=str(write_feeds(tmp_path / "feeds.yaml", feeds)))
    api.ingest(settings=settings, enrich=False)
    listed = {r["name"]: r for r in api.list_feeds(settings=settings)}
    assert listed["good"]["last_status"] == "ok" and listed["good"]["articles"] == 2
    assert listed["bad"]["last_status"] == "error" and "404" in listed["bad"]["last_error"]


def test_ingest_undeclared_and_header_declared_chinese_encodings_over_http(server, tmp_path, fast_settings):
    from conftest import FEEDS_DIR

    from narrative.ingest.parse import parse_feed

    gb = (FEEDS_DIR / "wellformed" / "gb2312_undeclared.xml").read_bytes()
    big5 = (FEEDS_DIR / "wellformed" / "big5_header_charset.xml").read_bytes()
    server.routes["/gb"] = static(gb, content_type="application/rss+xml")  # no charset anywhere
    server.routes["/big5"] = static(big5, content_type="application/rss+xml; charset=big5")
    feeds = [{"name": "gb", "url": server.url("/gb")}, {"name": "big5", "url": server.url("/big5")}]
    settings = fast_settings(feeds=str(write_feeds(tmp_path / "feeds.yaml", feeds)))

    api.ingest(settings=settings, enrich=False)

    for name, body, content_type in (("gb", gb, None), ("big5", big5, "application/rss+xml; charset=big5")):
        expected = [e.title for e in parse_feed(body, url="x", content_type=content_type).entries]
        stored = [
            r[0]
            for r in rows(
                settings.db,
                "SELECT a.title FROM articles a JOIN article_sources s "
                "ON s.article_id = a.id WHERE s.source = ? ORDER BY a.id",
                (name,),
            )
        ]
        assert stored == expected and stored
        assert all("\ufffd" not in t and any("\u4e00" <= ch <= "\u9fff" for ch in t) for t in stored)
        assert rows(
            settings.db,
            "SELECT language FROM articles a JOIN article_sources s ON s.article_id = a.id WHERE s.source = ? LIMIT 1",
            (name,),
        ) == [("zh",)]
