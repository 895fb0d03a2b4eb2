"""What ingest produces: an :class:`Item` (a feed entry or an archive row, source-agnostic) with the keys the store
matches duplicates by (title and content hashes, the fingerprint of an item without GUID or link).

The store takes any object with these attributes (:class:`narrative.store.articles.IncomingArticle`) and never
imports this module: imports point one way, ingest -> store.
"""

from __future__ import annotations

import dataclasses
import hashlib

from .normalize import content_hash, is_distinctive_title, precision_of, title_hash
from .parse import Entry

MIN_HASHED_BODY = 20  # characters of text below which the content hash is not used for matching


@dataclasses.dataclass
class Item:
    """A source-agnostic article on its way in (from a feed entry or an archive row)."""

    title: str
    summary: str
    url: str | None
    canonical_url: str | None
    published: str
    published_source: str
    guid: str | None = None
    language: str | None = None
    author: str | None = None
    text: str | None = None  # full text when extracted; falls back to summary
    text_source: str = "summary"
    fulltext_error: str | None = None
    title_hash: str = ""
    content_hash: str = ""
    distinctive_title: bool = False  # specific enough to match on title alone
    # Issue 8: exact | date_only | fetched | relative, from published_source when not given; and the source's IANA
    # zone where known (feeds.yaml ``timezone:``, ``import --timezone``).
    published_precision: str | None = None
    source_tz: str | None = None
    # Issue 11: identity of an item with no GUID and no link of its own (normalised title, text, author and its own
    # date), matched per source with no time window, as a GUID is; stored in article_sources.guid.
    fingerprint: str | None = None

    def __post_init__(self) -> None:
        if self.published_precision is None:
            self.published_precision = precision_of(self.published_source)


def item_from_entry(entry: Entry, *, source_tz: str | None = None) -> Item:
    """The item for a parsed feed entry (:func:`narrative.ingest.parse.parse_feed`).

    Example: ``[item_from_entry(e, source_tz=feed.timezone) for e in parse_feed(body).entries]``
    """
    return make_item(
        title=entry.title,
        summary=entry.summary,
        text=None,
        url=entry.url,
        guid=entry.guid,
        published=entry.published,
        published_source=entry.published_source,
        language=entry.language,
        author=entry.author,
        canonical=entry.canonical_url,
        title_derived=entry.title_derived,
        source_tz=source_tz,
    )


def make_item(
    *,
    title: str,
    summary: str,
    text: str | None,
    url: str | None,
    guid: str | None,
    published: str,
    published_source: str,
    language: str | None,
    author: str | None,
    canonical: str | None,
    title_derived: bool = False,
    source_tz: str | None = None,
) -> Item:
    """An :class:`Item` with its matching keys (title and content hashes, the anonymous-item fingerprint).

    >>> make_item(title="Markets", summary="Up.", text=None, url=None, guid=None, published="2025-01-02T00:00:00+00:00",
    ...           published_source="fetched", language="en", author=None, canonical=None).fingerprint[:12]
    'fingerprint:'
    """
    return Item(
        title=title,
        summary=summary,
        text=text,
        url=url,
        canonical_url=canonical,
        guid=guid,
        published=published,
        published_source=published_source,
        source_tz=source_tz,
        language=language,
        author=author,
        # A hash of a title with next to no body would merge unrelated "Markets" items.
        title_hash=title_hash(title),
        content_hash=content_hash(title, text or summary) if len(text or summary) >= MIN_HASHED_BODY else "",
        distinctive_title=is_distinctive_title(title) and not title_derived,
        fingerprint=anonymous_fingerprint(
            title=title, text=text or summary, author=author, published=published, published_source=published_source
        ),
    )


def anonymous_fingerprint(*, title: str, text: str, author: str | None, published: str, published_source: str) -> str:
    """A stable identity for an item that gives no GUID and no link (issue 11): its normalised title, text and
    author, and its own date when it has one (a fetch time is not the item's). The store uses it, per source,
    where a GUID would be, so re-parsing the same feed never adds a copy, however much later.

    >>> anonymous_fingerprint(title="Markets", text="Up.", author=None, published="2025-01-02T00:00:00+00:00",
    ...                       published_source="fetched").startswith("fingerprint:")
    True
    """
    date = "" if published_source == "fetched" else published
    key = "\n".join((content_hash(title, text), (author or "").casefold().strip(), date))
    return "fingerprint:" + hashlib.sha1(key.encode()).hexdigest()
