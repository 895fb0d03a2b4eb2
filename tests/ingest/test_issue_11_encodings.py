"""Issue 11 item 3: every encoding feedparser decodes, narrative decodes: UTF-16 and UTF-32 in both byte orders,
with and without a BOM, with and without an XML declaration, and EBCDIC. One case per oddity: a small
UTF-8 feed re-encoded, whose entries must come out exactly as from the UTF-8 original.
"""

from __future__ import annotations

import codecs

import feedparser
import pytest
from conftest import FEEDS_DIR, static, write_feeds
from conftest import query as rows

from narrative import api
from narrative.ingest.parse import decode_body, parse_feed

SOURCE = FEEDS_DIR / "wellformed" / "utf8_chinese_declared.xml"
BOMS = {
    "utf-16-le": codecs.BOM_UTF16_LE,
    "utf-16-be": codecs.BOM_UTF16_BE,
    "utf-32-le": codecs.BOM_UTF32_LE,
    "utf-32-be": codecs.BOM_UTF32_BE,
}
DECLARED = {"utf-16-le": "UTF-16", "utf-16-be": "UTF-16", "utf-32-le": "UTF-32", "utf-32-be": "UTF-32"}
# (codec, with BOM, XML declaration kept)
CASES = [(codec, bom, declared) for codec in BOMS for bom in (True, False) for declared in (True, False)]


def reencode(codec: str, *, bom: bool, declared: bool) -> bytes:
    text = SOURCE.read_text(encoding="utf-8")
    head, _, rest = text.partition("?>")
    assert 'encoding="UTF-8"' in head
    text = (
        (head.replace('encoding="UTF-8"', f'encoding="{DECLARED[codec]}"') + "?>" + rest) if declared else rest.lstrip()
    )
    return (BOMS[codec] if bom else b"") + text.encode(codec)


def expected_titles() -> list[tuple[str, str]]:
    return [(e.title, e.summary) for e in parse_feed(SOURCE.read_bytes(), url="http://127.0.0.1/f").entries]


@pytest.mark.parametrize(
    ("codec", "bom", "declared"),
    CASES,
    ids=[f"{c}-{'bom' if b else 'nobom'}-{'decl' if d else 'nodecl'}" for c, b, d in CASES],
)
def test_issue_11_wide_encodings_decode_like_utf8(codec, bom, declared):
    body = reencode(codec, bom=bom, declared=declared)
    parsed = parse_feed(body, url="http://127.0.0.1/f")
    assert parsed.encoding == codec and not parsed.bozo, parsed.bozo_reason
    assert [(e.title, e.summary) for e in parsed.entries] == expected_titles()
    if declared:  # feedparser itself reads these; so must we (the issue's yardstick)
        assert len(feedparser.parse(body).entries) == len(parsed.entries)


def test_issue_11_utf16_header_charset_does_not_beat_the_bytes():
    """A server may say charset=utf-16 of a UTF-8 body: without zero bytes it is not UTF-16."""
    text, encoding, _ = decode_body(SOURCE.read_bytes(), "application/rss+xml; charset=utf-16")
    assert encoding == "utf-8" and "<rss" in text


def test_issue_11_ebcdic_feed_decodes():
    body = (
        '<?xml version="1.0" encoding="cp037"?><rss version="2.0"><channel><title>EBCDIC</title>'
        "<item><title>Mainframe feed of market news</title><description>Shares rose.</description></item>"
        "</channel></rss>"
    ).encode("cp037")
    parsed = parse_feed(body, url="http://127.0.0.1/f")
    assert parsed.encoding == "cp037" and [e.title for e in parsed.entries] == ["Mainframe feed of market news"]


def test_issue_11_utf16_without_bom_over_http_loses_no_item(server, tmp_path, fast_settings):
    server.routes["/le"] = static(reencode("utf-16-le", bom=False, declared=True), content_type="text/xml")
    server.routes["/be"] = static(reencode("utf-32-be", bom=True, declared=True), content_type="text/xml")
    feeds = [{"name": "le", "url": server.url("/le")}, {"name": "be", "url": server.url("/be")}]
    settings = fast_settings(feeds=str(write_feeds(tmp_path / "feeds.yaml", feeds)), concurrency=1)

    summary = api.ingest(settings=settings, enrich=False)

    assert not summary.failed
    titles = sorted(t for t, _ in expected_titles())
    stored = sorted(r[0] for r in rows(settings.db, "SELECT title FROM articles"))
    assert stored == titles and summary.duplicates == len(titles)
