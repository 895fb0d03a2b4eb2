"""Feed parsing: feedparser on bytes we fetched ourselves, then normalisation.

feedparser never fetches here (it is given bytes, as its docs advise for
untrusted input). We settle the character encoding before it does, because an
undeclared GB2312 or Big5 feed would otherwise be read as windows-1252.
"""

from __future__ import annotations

import calendar
import dataclasses
import re
import time
import xml.sax
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import charset_normalizer
import feedparser
from lxml import etree

from .normalize import canonical_url, clean_title, detect_language, html_to_text, published_problem, to_utc_iso

# Codecs that are strict supersets of what feeds declare, so one stray character
# outside GB2312 (common in real feeds) does not fail the whole document.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "big5": "big5hkscs",
    "x-big5": "big5hkscs",
    "cp950": "big5hkscs",
    "iso-8859-1": "cp1252",
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
}
_XML_DECL_RE = re.compile(rb"^\s*<\?xml[^>]*?>", re.IGNORECASE)
_DECL_ENCODING_RE = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""", re.IGNORECASE)
_CHARSET_RE = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)
# UTF-32's BOMs first: FF FE 00 00 also starts with UTF-16LE's.
_BOMS = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
# Without a BOM, the first characters of an XML document are ASCII ("<?xml", "<rss", whitespace), so the
# places of the zero bytes tell UTF-16/32 and their byte order (XML 1.0 Appendix F, as feedparser does).
_WIDE_PATTERNS = (
    ("utf-32-be", 4, (0, 1, 2)),
    ("utf-32-le", 4, (1, 2, 3)),
    ("utf-16-be", 2, (0,)),
    ("utf-16-le", 2, (1,)),
)
_EBCDIC_XML = b"\x4c\x6f\xa7\x94"  # "<?xm" in EBCDIC (cp037)
_WIDE_NAMES = ("utf-16", "utf-32", "ucs-2", "ucs-4", "utf16", "utf32")


@dataclasses.dataclass
class Entry:
    """One feed item, normalised."""

    title: str
    summary: str
    url: str | None
    canonical_url: str | None
    guid: str | None
    published: str
    published_source: str  # "published", "updated", "date_only" (a date without a time) or "fetched" (no date)
    author: str | None = None
    language: str | None = None
    title_derived: bool = False  # the item had no title; this one is the summary's first words
    date_problem: str | None = None  # why the item's own date was not used (it is then the fetch time)


@dataclasses.dataclass
class ParsedFeed:
    """The outcome of parsing one feed body. ``bozo`` feeds may still carry entries."""

    entries: list[Entry]
    title: str | None = None
    link: str | None = None
    language: str | None = None
    version: str | None = None
    encoding: str | None = None
    bozo: bool = False
    bozo_reason: str | None = None
    skipped: int = 0  # entries with neither title nor text

    @property
    def ok(self) -> bool:
        return bool(self.entries) or not self.bozo


def decode_body(body: bytes, content_type: str | None = None) -> tuple[str, str, str | None]:
    """Decode a feed body: BOM, then the XML declaration, then the HTTP charset,
    then UTF-8, then detection. Returns ``(text, encoding, note)``; ``note`` says
    when the encoding was guessed or a declaration was wrong.
    """
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            if encoding == "utf-8":
                return body[len(bom) :].decode(encoding, errors="replace"), encoding, None
            return _decode_wide(body[len(bom) :], encoding)
    if (sniffed := _sniff_wide(body)) is not None:
        return _decode_wide(body, sniffed)
    if body.startswith(_EBCDIC_XML):
        return body.decode("cp037", errors="replace"), "cp037", None
    declared: list[str] = []
    decl = _XML_DECL_RE.match(body)
    if decl and (match := _DECL_ENCODING_RE.search(decl.group(0))):
        declared.append(match.group(1).decode("ascii").lower())
    if content_type and (charset := _CHARSET_RE.search(content_type)):
        header = charset.group(1).lower()
        # Servers default to ISO-8859-1 whatever the document is; the document knows better.
        if not (declared and header in _SINGLE_BYTE):
            declared.append(header)
    # A body without BOM or zero bytes is not UTF-16/32, whatever it claims (its declaration read as ASCII).
    declared = [name for name in declared if not name.startswith(_WIDE_NAMES)]
    for name in declared:
        codec = _SUPERSETS.get(name, name)
        if name in _SINGLE_BYTE and not body.isascii() and _is_utf8(body):
            # Multi-byte UTF-8 that decodes cleanly is never really windows-1252 text.
            return body.decode("utf-8"), "utf-8", f"declared {name} but is utf-8"
        try:
            return body.decode(codec), codec, None
        except LookupError:
            continue
        except UnicodeDecodeError:
            return _decode_damaged(body, codec, declared=name)
    if _is_utf8(body):
        return body.decode("utf-8"), "utf-8", None
    return _decode_damaged(body, "utf-8", declared=None)


def _sniff_wide(body: bytes) -> str | None:
    """UTF-16/32 without a BOM, told by where the zero bytes of the first four characters are."""
    for encoding, width, zeros in _WIDE_PATTERNS:
        head = body[: 4 * width]
        if len(head) < 4 * width:
            continue
        units = [head[i : i + width] for i in range(0, len(head), width)]
        if all(all(unit[z] == 0 for z in zeros) and any(unit) for unit in units):
            return encoding
    return None


def _decode_wide(body: bytes, encoding: str) -> tuple[str, str, str | None]:
    try:
        return body.decode(encoding), encoding, None
    except UnicodeDecodeError:
        text = body.decode(encoding, errors="replace")
        return text, encoding, f"{text.count(chr(0xFFFD))} invalid {encoding} sequence(s) replaced"


_SINGLE_BYTE = {"iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii", "windows-1252", "cp1252"}
_DAMAGE_TOLERANCE = 0.01  # share of replaced characters still read as a few bad bytes


def _is_utf8(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _decode_damaged(body: bytes, codec: str, *, declared: str | None) -> tuple[str, str, str | None]:
    """A body that does not decode as ``codec``: a few bad bytes, or another encoding altogether."""
    text = body.decode(codec, errors="replace")
    damaged = text.count("\ufffd")
    if damaged <= max(3, _DAMAGE_TOLERANCE * len(text)):
        return text, codec, f"{damaged} invalid {codec} byte sequence(s) replaced"
    best = charset_normalizer.from_bytes(body).best()
    what = f"declared {declared}, which does not decode" if declared else "no encoding declared"
    if best is not None:
        guess = _SUPERSETS.get(best.encoding.replace("_", "-"), best.encoding)
        return body.decode(guess, errors="replace"), guess, f"{what}; detected {guess}"
    return text, codec, f"{what}; {damaged} undecodable byte sequence(s) replaced"


def parse_feed(
    body: bytes,
    *,
    url: str,
    content_type: str | None = None,
    fetched_at: datetime | None = None,
    language: str | None = None,
    zone: str | None = None,
) -> ParsedFeed:
    """Parse a feed body into normalised entries. Never raises on bad input.

    ``language`` (from feeds.yaml) wins over the feed's own and over detection.
    ``fetched_at`` stands in for missing dates, flagged as ``published_source="fetched"``. A date without a time
    ("2020-03-10") is flagged ``date_only`` and stored as midnight in ``zone`` (the feed's ``timezone:``, else UTC).
    """
    fetched_at = fetched_at or datetime.now(UTC)
    text, encoding, note = decode_body(body, content_type)
    utf8 = b'<?xml version="1.0" encoding="utf-8"?>' + _XML_DECL_RE.sub(b"", text.encode("utf-8"), count=1)
    result = _feedparser(utf8, url)
    reasons = [note] if note else []
    ill_formed = bool(result.get("bozo"))
    if ill_formed:
        reasons.append(_describe(result.get("bozo_exception")))
        if isinstance(result.get("bozo_exception"), xml.sax.SAXParseException):
            recovered = _recover(utf8, url)
            if recovered is not None and _yield(recovered) > _yield(result):
                result = recovered
                reasons.append("recovered with lxml")
    channel = result.get("feed", {})
    feed_language = _language_code(channel.get("language"))
    parsed = ParsedFeed(
        entries=[],
        title=clean_title(channel.get("title")) or None,
        link=channel.get("link"),
        language=language or feed_language,
        version=result.get("version") or None,
        encoding=encoding,
        bozo=ill_formed or note is not None,
        bozo_reason="; ".join(r for r in reasons if r) or None,
    )
    for raw in result.get("entries", []):
        entry = _entry(
            raw,
            url=url,
            fetched_at=fetched_at,
            language=language,
            feed_language=feed_language,
            dated_by_updated=parsed.version in _DC_DATE_VERSIONS,
            zone=zone,
        )
        if entry is None:
            parsed.skipped += 1
        else:
            parsed.entries.append(entry)
    undated = [e for e in parsed.entries if e.date_problem]
    if undated:
        parsed.bozo = True
        reasons.append(
            f"{len(undated)} item(s) stored with the fetch time because their date was unusable "
            f"(first: {undated[0].title[:60]!r}: {undated[0].date_problem})"
        )
        parsed.bozo_reason = "; ".join(r for r in reasons if r)
    if not parsed.entries and not result.get("version"):
        parsed.bozo = True
        parsed.bozo_reason = "; ".join(["not a feed: no RSS, Atom or RDF elements found", *reasons])
    return parsed


def _feedparser(data: bytes, url: str) -> feedparser.FeedParserDict:
    return feedparser.parse(
        data,
        response_headers={"content-type": "application/xml; charset=utf-8", "content-location": url},
        resolve_relative_uris=True,
        sanitize_html=False,  # we reduce HTML to text ourselves
    )


def _recover(data: bytes, url: str) -> feedparser.FeedParserDict | None:
    """Re-parse ill-formed XML with libxml2's recovering parser: it keeps items that
    feedparser's loose parser drops after an unclosed or mismatched tag."""
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError:
        return None
    if root is None:
        return None
    return _feedparser(etree.tostring(root, encoding="utf-8", xml_declaration=True), url)


def _yield(result: Mapping) -> tuple[int, int]:
    """How much usable content a parse produced: entries with text, then characters."""
    entries = result.get("entries", [])
    usable = sum(1 for e in entries if e.get("title") or e.get("summary"))
    return usable, sum(len(e.get("title", "")) + len(e.get("summary", "")) for e in entries)


# RSS 0.90/1.0 items carry only dc:date, their publication date, which feedparser files as "updated".
_DC_DATE_VERSIONS = {"rss090", "rss10"}


def _entry(
    raw: Mapping,
    *,
    url: str,
    fetched_at: datetime,
    language: str | None,
    feed_language: str | None,
    dated_by_updated: bool = False,
    zone: str | None = None,
) -> Entry | None:
    bodies = [c.get("value", "") for c in raw.get("content", []) or []]
    bodies.append(raw.get("summary", "") or "")
    summary = max((html_to_text(b) for b in bodies), key=len, default="")
    title = clean_title(raw.get("title"))
    if not title and not summary:
        return None
    derived = not title
    if derived:
        title = _title_from(summary)
    link = raw.get("feedburner_origlink") or raw.get("link") or _guid_link(raw)
    if link:
        link = urljoin(url, link.strip()) if "://" not in link else link.strip()
    published, source, date_problem = _published(raw, fetched_at, zone)
    if dated_by_updated and source == "updated":
        source = "published"
    entry_language = _language_code(raw.get("language"))
    return Entry(
        title=title,
        summary=summary,
        url=link or None,
        canonical_url=canonical_url(link),
        guid=(raw.get("id") or "").strip() or None,
        published=published,
        published_source=source,
        author=clean_title(raw.get("author")) or None,
        title_derived=derived,
        date_problem=date_problem,
        # Detection only when neither feeds.yaml nor the feed says: it costs more than parsing.
        language=language or entry_language or feed_language or detect_language(f"{title}\n{summary}"),
    )


def _published(raw: Mapping, fetched_at: datetime, zone: str | None = None) -> tuple[str, str, str | None]:
    """``(time, source, problem)``: the first usable date of the item, else the fetch time; ``problem`` says why
    a date the item gave was not used (issue 11: year 9999 or 0001 is recorded, never a crash)."""
    problem = None
    for key, source in (
        ("published_parsed", "published"),
        ("updated_parsed", "updated"),
        ("created_parsed", "published"),
    ):
        value = raw.get(key)
        if not isinstance(value, time.struct_time):
            continue
        try:
            # feedparser gives UTC struct_times; timegm keeps them in UTC.
            moment = datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
        except (OverflowError, ValueError, OSError):
            problem = problem or f"date {raw.get(key.removesuffix('_parsed'))!r} cannot be represented"
            continue
        if why := published_problem(moment, now=fetched_at):
            problem = problem or why
            continue
        written = str(raw.get(key.removesuffix("_parsed")) or "")
        if written and not _TIME_OF_DAY.search(written):
            # feedparser reads "2020-03-10" as midnight UTC; it is that date, some time (issue 8).
            local = datetime(moment.year, moment.month, moment.day, tzinfo=ZoneInfo(zone) if zone else UTC)
            return to_utc_iso(local), "date_only", None
        return to_utc_iso(moment), source, None
    return to_utc_iso(fetched_at), "fetched", problem


_TIME_OF_DAY = re.compile(r"\d{1,2}:\d{2}|T\d{2}")


def _guid_link(raw: Mapping) -> str | None:
    guid = raw.get("id") or ""
    return guid if guid.startswith(("http://", "https://")) else None


def _title_from(summary: str, limit: int = 120) -> str:
    first = summary.split("\n", 1)[0]
    return first if len(first) <= limit else first[:limit].rsplit(" ", 1)[0] + "…"


def _language_code(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip().lower().replace("_", "-")
    return value.split("-")[0] if re.match(r"^[a-z]{2,3}(-|$)", value) else None


def _describe(exc: BaseException | None) -> str:
    if exc is None:
        return "ill-formed feed"
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
