"""Issue 11: property-based fuzzing of the three readers of untrusted files: the feed parser (and the store
behind it), the archive reader and the price-CSV reader. No exception escapes but the one user-facing error
(:class:`InputError`, a clean one-line message), and every date that comes out is in range.

Examples are bounded (a few hundred in all) so the suite stays fast; ``deadline=None`` because the first
example pays for imports.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from narrative.errors import InputError
from narrative.ingest.archive import ArchiveRow, RowProblem, read_archive
from narrative.ingest.fulltext import extract_main_text
from narrative.ingest.item import item_from_entry
from narrative.ingest.normalize import published_problem
from narrative.ingest.parse import parse_feed
from narrative.market.prices import read_price_csv
from narrative.store import open_db
from narrative.store.articles import save_items

FUZZ = settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
FETCHED_AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

# Dates as feeds and archives write them, good and bad: placeholders, impossible days, huge numbers, zones.
DATES = st.one_of(
    st.sampled_from(
        [
            "Fri, 31 Dec 9999 23:59:59 GMT",
            "Mon, 01 Jan 0001 00:00:00 GMT",
            "9999-12-31",
            "0001-01-01",
            "2025-02-30",
            "2025-09-02T08:00:00+14:00",
            "2025-09-02T08:00:00-12:00",
            "1969-12-31T23:59:59Z",
            "Tue, 02 Sep 2025 08:00:00 +9999",
            "99999999999999999999 days ago",
            "3 DAYS AGO",
            "",
            "0",
            "-1",
            "1e309",
            "NaN",
            "2025-13-01",
            "24:61",
            "2025-09-02 25:00",
            "\x00",
            "\u0660\u0661",
        ]
    ),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)).map(
        lambda d: d.strftime("%a, %d %b %Y %H:%M:%S GMT") if d.year > 999 else d.isoformat()
    ),
    st.text(max_size=30),
)
TEXT = st.text(max_size=80)
LINKS = st.one_of(
    st.sampled_from(
        [
            "",
            "/relative",
            "file:///etc/passwd",
            "http://",
            "http://[::1",
            "javascript:x",
            "http://127.0.0.1/",
            "https://example.test/a?utm_source=x#f",
            "//host/p",
        ]
    ),
    st.text(max_size=40),
)
ENCODINGS = st.sampled_from(
    [
        "utf-8",
        "utf-8-sig",
        "utf-16",
        "utf-16-le",
        "utf-16-be",
        "utf-32",
        "utf-32-le",
        "utf-32-be",
        "gb18030",
        "big5",
        "cp1252",
        "latin-1",
        "cp037",
    ]
)


def escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;")


@st.composite
def feeds(draw) -> tuple[bytes, str | None]:
    """An RSS or Atom document of random items, re-encoded, perhaps with a lying charset, perhaps truncated."""
    atom = draw(st.booleans())
    items = draw(
        st.lists(
            st.fixed_dictionaries(
                {"title": TEXT, "link": LINKS, "date": DATES, "body": TEXT, "guid": st.one_of(st.none(), TEXT)}
            ),
            max_size=5,
        )
    )
    raw = draw(st.booleans())  # unescaped text: markup and entities as servers send them
    esc = (lambda v: v) if raw else escape
    if atom:
        entries = "".join(
            f'<entry><title>{esc(i["title"])}</title><link href="{escape(i["link"])}"/>'
            f"<updated>{esc(i['date'])}</updated><summary>{esc(i['body'])}</summary>"
            + (f"<id>{esc(i['guid'])}</id>" if i["guid"] is not None else "")
            + "</entry>"
            for i in items
        )
        doc = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>{entries}</feed>'
    else:
        entries = "".join(
            f"<item><title>{esc(i['title'])}</title><link>{esc(i['link'])}</link>"
            f"<pubDate>{esc(i['date'])}</pubDate><description>{esc(i['body'])}</description>"
            + (f"<guid>{esc(i['guid'])}</guid>" if i["guid"] is not None else "")
            + "</item>"
            for i in items
        )
        doc = f'<rss version="2.0"><channel><title>t</title>{entries}</channel></rss>'
    encoding = draw(ENCODINGS)
    declared = draw(st.sampled_from([None, encoding, "utf-8", "utf-16", "gb2312", "bogus-charset"]))
    if declared:
        doc = f'<?xml version="1.0" encoding="{declared}"?>' + doc
    body = doc.encode(encoding, errors="replace")
    if draw(st.booleans()):
        body = body[: draw(st.integers(0, len(body)))]
    content_type = draw(
        st.sampled_from(
            [
                None,
                "application/rss+xml",
                "text/xml; charset=utf-16",
                "text/html; charset=iso-8859-1",
                'application/xml; charset="x"',
            ]
        )
    )
    return body, content_type


_STORE = {}


def store():
    if "db" not in _STORE:
        _STORE["db"] = open_db(":memory:")
    return _STORE["db"]


def check_parsed(body: bytes, content_type: str | None, zone: str | None = None) -> None:
    parsed = parse_feed(body, url="http://127.0.0.1/feed", content_type=content_type, fetched_at=FETCHED_AT, zone=zone)
    for entry in parsed.entries:
        published = datetime.fromisoformat(entry.published)
        assert published_problem(published, now=FETCHED_AT) is None, entry.published
    db = store()
    with db.atomic():  # the store behind the parser: windows, matching and inserts take whatever came out
        save_items(
            db,
            source="fuzz",
            source_kind="feed",
            items=[item_from_entry(e) for e in parsed.entries],
            window_hours=72.0,
            now="2026-01-02T03:04:05+00:00",
        )


@FUZZ
@given(feed=feeds(), zone=st.sampled_from([None, "Pacific/Kiritimati", "Etc/GMT+12", "Asia/Hong_Kong"]))
def test_issue_11_fuzz_feed_parser_and_store_never_raise(feed, zone):
    check_parsed(*feed, zone=zone)


@FUZZ
@given(body=st.binary(max_size=1500), content_type=st.one_of(st.none(), st.text(max_size=40)))
def test_issue_11_fuzz_feed_parser_on_arbitrary_bytes(body, content_type):
    check_parsed(body, content_type)


HEADERS = st.lists(
    st.sampled_from(
        [
            "title",
            "headline",
            "url",
            "link",
            "published",
            "date",
            "time",
            "text",
            "summary",
            "source",
            "extra",
            "",
            "Title ",
            "DATE",
        ]
    ),
    min_size=1,
    max_size=7,
)
CELLS = st.one_of(DATES, TEXT, LINKS, st.sampled_from(["N/A", "-", "<p>x</p>", "&amp;amp;", "\r\n", '"', "\x00"]))


@st.composite
def archives(draw) -> tuple[str, bytes]:
    header = draw(HEADERS)
    records = draw(st.lists(st.lists(CELLS, min_size=0, max_size=len(header) + 2), max_size=6))
    if draw(st.booleans()):
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(records)
        text = out.getvalue()
        if draw(st.booleans()):  # hand-made CSV: unbalanced quotes and stray separators
            text = text.replace('"', draw(st.sampled_from(['"', '""', "", '"\n'])))
        suffix = ".csv"
    else:
        lines = [
            json.dumps(dict(zip(header, r)))
            if draw(st.booleans())
            else draw(
                st.sampled_from(
                    [
                        "",
                        "[1, 2]",
                        "{",
                        "null",
                        '{"title": 1e400}',
                        '{"published": 99999999999999999999}',
                        '{"title": {"a": 1}, "date": "2024-01-01"}',
                    ]
                )
            )
            for r in records
        ]
        text = "\n".join(lines)
        suffix = draw(st.sampled_from([".jsonl", ".ndjson"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "gb18030"]))
    return suffix, text.encode(encoding, errors="replace")


@FUZZ
@given(
    archive=archives(),
    zone=st.sampled_from([None, ZoneInfo("Pacific/Kiritimati"), ZoneInfo("Etc/GMT+12")]),
    as_of=st.one_of(st.none(), st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30))),
)
def test_issue_11_fuzz_archive_reader_yields_rows_or_problems(tmp_path, archive, zone, as_of):
    suffix, data = archive
    path = tmp_path / f"archive{suffix}"
    path.write_bytes(data)
    try:
        rows = list(read_archive(path, as_of=as_of, zone=zone))
    except InputError as exc:  # the whole file is unusable (no header, no date column): one clean line
        assert str(exc).startswith(str(path)) and "\n" not in str(exc)
        return
    for row in rows:
        assert isinstance(row, (ArchiveRow, RowProblem))
        if isinstance(row, ArchiveRow):
            assert published_problem(datetime.fromisoformat(row.published)) is None, row.published


NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers().map(str),
    st.sampled_from(["", "null", "1e400", "-0", "1,234.5", "0x10", "١٢٣", "²", "nan", "--1"]),
    TEXT,
)
PRICE_HEADERS = st.lists(
    st.sampled_from(
        ["Date", "Open", "High", "Low", "Close", "Adj Close", "Volume", "Price", "Ticker", "Dividends", "x"]
    ),
    min_size=1,
    max_size=8,
)


@st.composite
def price_files(draw) -> bytes:
    if draw(st.integers(0, 4)) == 0:
        return draw(st.binary(max_size=800))
    header = draw(PRICE_HEADERS)
    rows = draw(st.lists(st.lists(st.one_of(NUMBERS, DATES), max_size=len(header) + 1), max_size=25))
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return out.getvalue().encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"])), errors="replace")


@FUZZ
@given(data=price_files())
def test_issue_11_fuzz_price_csv_reader_never_raises_but_input_error(tmp_path, data):
    path = tmp_path / "FUZZ.csv"
    path.write_bytes(data)
    try:
        prices = read_price_csv(path)
    except InputError as exc:
        assert str(exc).startswith(str(path)) and "\n" not in str(exc)
        return
    for row in prices.rows:
        assert row["close"] > 0 and row["adj_close"] > 0 and len(row["date"]) == 10
    assert all(isinstance(line, int) and why for line, why in prices.problems)


HTML_PARTS = st.one_of(
    st.sampled_from(
        [
            "<html>",
            "<body>",
            "<article>",
            "<p>",
            "</p>",
            "<div>",
            "</div>",
            "<script>",
            "<!--",
            "-->",
            "<![CDATA[",
            "]]>",
            "<meta charset='utf-16'>",
            "&#0;",
            "&#xD800;",
            "\x00",
            "<table><tr><td>",
            "<svg>",
            "<template>",
            "<frameset>",
        ]
    ),
    st.text(max_size=120),
)


@settings(max_examples=60, deadline=None, database=None)
@given(
    parts=st.lists(HTML_PARTS, max_size=30),
    encoding=st.sampled_from(["utf-8", "utf-16", "cp1252", "gb18030"]),
    raw=st.one_of(st.none(), st.binary(max_size=1500)),
)
def test_issue_11_fuzz_page_extraction_never_raises(parts, encoding, raw):
    """A page linked from a feed is untrusted too: main-text extraction gives text or a reason, never raises."""
    page = raw if raw is not None else "".join(parts).encode(encoding, errors="replace")
    text, why = extract_main_text(page, url="http://example.test/a")
    assert (text is None) != (why is None)


def test_issue_11_fuzz_examples_found_before_are_kept(tmp_path):
    """Inputs the fuzzing found, kept as plain regression cases."""
    undefined = tmp_path / "CP1252.csv"  # bytes that cp1252 leaves undefined: replaced, the rows still read
    undefined.write_bytes(b"Date,Close,Note\x81\n2024-01-02,10,x\x8d\x8f\n")
    assert [r["close"] for r in read_price_csv(undefined).rows] == [10.0]
    utf16 = tmp_path / "UTF16.csv"
    utf16.write_bytes(b"\xff\xfeD\x00a\x00t\x00e\x00\r\x00\n\x00\x81\x00\r\x00\n\x00")
    with pytest.raises(InputError, match="needs a Date and a Close column"):
        read_price_csv(utf16)
    binary = tmp_path / "BINARY.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(InputError, match="binary data, not a CSV of prices"):
        read_price_csv(binary)


def test_issue_11_offset_of_a_day_or_more_is_a_problem_not_a_crash(tmp_path):
    """Found by the archive fuzz test: dateutil reads "+9999" as an offset of 99 hours, which Python refuses to
    compare; the row is reported, never raised."""
    path = tmp_path / "archive.csv"
    path.write_text("title,published\nChip curbs widen,2020-01-01 10:00 +9999\nChip curbs ease,2020-01-02\n")
    rows = list(read_archive(path, as_of=datetime(2025, 1, 1, tzinfo=UTC), zone=None))
    assert [type(row).__name__ for row in rows] == ["RowProblem", "ArchiveRow"]
