"""Small, pure normalisers shared by feeds and archives: text, URLs, dates, keys."""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import ftfy
import lxml.html
from lxml import etree

from ..clock import time_zone, to_utc_iso, utc_now_iso  # noqa: F401  (their home is narrative.clock; importable here too)
from ..errors import Problems

_TAG_RE = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>")
_SPACE_RE = re.compile(r"[ \t\r\f\v\u00a0\u2000-\u200b\u3000]+")
_BLANK_LINES_RE = re.compile(r"\n\s*\n+")
_BLOCK_TAGS = {
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "tr",
    "table",
    "section",
    "article",
    "pre",
    "hr",
    "figure",
    "figcaption",
}
_DROP_TAGS = ("script", "style", "noscript", "iframe", "object", "embed", "template", "svg")


def html_to_text(value: str | None) -> str:
    """Turn an HTML fragment (or plain text) into clean text with paragraph breaks.

    >>> html_to_text("<p>Alibaba&nbsp;<b>jumped</b> 5%</p><p>More&#8230;</p>")
    'Alibaba jumped 5%\\n\\nMore…'
    """
    if not value:
        return ""
    text = _strip_html(value) if _TAG_RE.search(value) else html.unescape(value)
    # Feeds double-escape often enough ("&amp;amp;"), and mojibake from cp1252 round trips too.
    if "&" in text and re.search(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]{2,8});", text):
        text = html.unescape(text)
    if _TAG_RE.search(text):  # the unescaping revealed markup: "&lt;p&gt;" was "<p>"
        text = _strip_html(text)
    return clean_text(repair_text(text))


# ftfy's defaults also straighten curly quotes and fold full-width characters, which would
# rewrite correct Chinese punctuation ("，") and typography; we want only the mojibake repair.
_FTFY_CONFIG = ftfy.TextFixerConfig(uncurl_quotes=False, fix_character_width=False, normalization="NFC")


def repair_text(text: str) -> str:
    """Undo mojibake ("Alibabaâ€™s" -> "Alibaba’s") without touching correct text."""
    return ftfy.fix_text(text, config=_FTFY_CONFIG) if text else ""


def _strip_html(value: str) -> str:
    try:
        root = lxml.html.fragment_fromstring(value, create_parent="div")
    except (etree.ParserError, ValueError):
        return html.unescape(_TAG_RE.sub(" ", value))
    for bad in root.iter(*_DROP_TAGS):
        bad.drop_tree()
    for element in root.iter():
        if not isinstance(element.tag, str):  # comments, processing instructions
            continue
        if element.tag.lower() in _BLOCK_TAGS:
            element.tail = "\n\n" + (element.tail or "") if element.tag.lower() != "br" else "\n" + (element.tail or "")
            if element.tag.lower() == "li":
                element.text = "- " + (element.text or "")
    for comment in root.iter(etree.Comment):
        comment.drop_tree()
    return root.text_content()


def clean_text(text: str) -> str:
    """Collapse runs of spaces, keep paragraph breaks, strip control characters."""
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    lines = [_SPACE_RE.sub(" ", line).strip() for line in text.split("\n")]
    text = "\n".join(lines)
    text = _BLANK_LINES_RE.sub("\n\n", text)
    return text.strip()


def clean_title(value: str | None) -> str:
    """A title as one line of clean text."""
    return " ".join(html_to_text(value).split())


# Query parameters that identify a campaign or a click, never the document.
_TRACKING_PARAMS = {
    "fbclid",
    "gclid",
    "dclid",
    "msclkid",
    "yclid",
    "mc_cid",
    "mc_eid",
    "igshid",
    "ref",
    "ref_src",
    "cmpid",
    "ncid",
    "src",
    "ito",
    "taid",
    "sr_share",
    "mod",
    "rss",
    "feedtype",
    "feedname",
    "cid",
    "ocid",
    "smid",
    "smtyp",
    "guccounter",
    "guce_referrer",
    "guce_referrer_sig",
    "spm",
}
_TRACKING_PREFIXES = ("utm_", "__twitter", "_hs", "hsa_", "pk_", "mtm_", "at_")


def canonical_url(url: str | None) -> str | None:
    """The URL that identifies a document: no tracking parameters, no fragment,
    lower-case scheme and host, no default port, sorted query.

    >>> canonical_url("HTTPS://News.Example.com:443/a/b?utm_source=rss&id=7#top")
    'https://news.example.com/a/b?id=7'
    """
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.scheme.lower() not in ("http", "https"):
        return url
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port if parts.port not in (None, 80, 443) else None
    netloc = host if port is None else f"{host}:{port}"
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in _TRACKING_PARAMS and not key.lower().startswith(_TRACKING_PREFIXES)
    ]
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), netloc, path, urlencode(sorted(query)), ""))


# How precise an article's time is (issue 8): market/ maps imprecise items to sessions conservatively.
PRECISIONS = ("exact", "date_only", "fetched", "relative")
_PRECISION_OF_SOURCE = {"date_only": "date_only", "relative": "relative", "fetched": "fetched"}


def precision_of(published_source: str) -> str:
    """The precision of a time taken from ``published_source`` (``published``, ``updated``, ``archive`` are
    exact; ``date_only``, ``relative`` and ``fetched`` keep their name).

    >>> precision_of("updated"), precision_of("date_only")
    ('exact', 'date_only')
    """
    return _PRECISION_OF_SOURCE.get(published_source, "exact")


# Issue 11: the one range every publication time must fall in, for feeds and archives alike. Year 9999 or 0001
# is a placeholder, never a date; a time days ahead of the fetch would put a story before its own news.
EARLIEST_PUBLISHED = datetime(1900, 1, 1, tzinfo=UTC)
LATEST_AHEAD = timedelta(days=2)


def published_problem(moment: datetime, *, now: datetime | None = None) -> str | None:
    """Why ``moment`` cannot be a publication time, or None when it can: it must lie between 1900-01-01 and two
    days after ``now`` (default: the current time). Naive times are read as UTC.

    >>> published_problem(datetime(9999, 12, 31), now=datetime(2025, 1, 1, tzinfo=UTC))
    'date 9999-12-31 is out of range (1900-01-01 to 2025-01-03)'
    >>> published_problem(datetime(2024, 6, 1)) is None
    True
    """
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    latest = now + LATEST_AHEAD
    try:
        inside = EARLIEST_PUBLISHED <= moment <= latest
    except OverflowError:  # comparing aware times converts to UTC, which can overflow at the year's edges
        inside = False
    except ValueError:  # an offset of a day or more ("+9999"): Python refuses to convert it, so no instant is known
        inside = False
    if inside:
        return None
    return Problems.W015.format(
        value=moment.date().isoformat(),
        earliest=EARLIEST_PUBLISHED.date().isoformat(),
        latest=latest.date().isoformat(),
    )


_TITLE_SUFFIX_RE = re.compile(r"\s+[-|–—:]\s+[\w .&'’]{2,30}$")
_NON_WORD_RE = re.compile(r"[\W_]+", re.UNICODE)


def title_key(title: str) -> str:
    """A normalised title for matching the same story across feeds: case-folded,
    punctuation dropped, a trailing " - Source" suffix removed.

    >>> title_key("Alibaba SURGES 5%! - Example Wire") == title_key("alibaba surges 5%")
    True
    """
    title = unicodedata.normalize("NFKC", title or "").strip()
    title = _TITLE_SUFFIX_RE.sub("", title)
    return _NON_WORD_RE.sub(" ", title.casefold()).strip()


def content_hash(title: str, text: str) -> str:
    """SHA-1 of the normalised title and text: equal for copies of one story."""
    body = _NON_WORD_RE.sub(" ", unicodedata.normalize("NFKC", text or "").casefold()).strip()
    return hashlib.sha1(f"{title_key(title)}\n{body}".encode()).hexdigest()


def title_hash(title: str) -> str:
    return hashlib.sha1(title_key(title).encode()).hexdigest()


def is_distinctive_title(title: str) -> bool:
    """Whether a title alone is specific enough to identify a story (not "Markets" or "Update")."""
    key = title_key(title)
    cjk = sum(1 for ch in key if "\u4e00" <= ch <= "\u9fff")
    return len(key.split()) >= 5 or cjk >= 8


_CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_KANA_RE = re.compile(r"[\u3040-\u30ff]")
_HANGUL_RE = re.compile(r"[\uac00-\ud7af]")


def detect_language(text: str, default: str | None = None) -> str | None:
    """Guess an ISO 639-1 code. Scripts decide CJK at once; Latin text goes to py3langid.

    Returns ``default`` when the text is too short to tell.
    """
    sample = (text or "")[:2000]
    letters = sum(1 for ch in sample if ch.isalpha())
    if letters < 12:
        return default
    if len(_KANA_RE.findall(sample)) > 5:
        return "ja"
    if len(_HANGUL_RE.findall(sample)) > 5:
        return "ko"
    if len(_CJK_RE.findall(sample)) / letters > 0.2:
        return "zh"
    return _langid(sample) or default


def _langid(text: str) -> str | None:
    try:
        import py3langid
    except ImportError:  # pragma: no cover - declared dependency
        return None
    code, _score = py3langid.classify(text)
    return code
