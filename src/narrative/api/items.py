"""Turning a parsed feed entry or an archive row into a store :class:`~narrative.store.articles.Item`."""

from __future__ import annotations

import hashlib

from ..ingest.normalize import content_hash, is_distinctive_title, title_hash
from ..ingest.parse import Entry
from ..store.articles import Item

MIN_HASHED_BODY = 20  # characters of text below which the content hash is not used for matching


def item_from_entry(entry: Entry, *, source_tz: str | None = None) -> Item:
    """The store item for a feed entry."""
    return make_item(title=entry.title, summary=entry.summary, text=None, url=entry.url, guid=entry.guid,
                     published=entry.published, published_source=entry.published_source,
                     language=entry.language, author=entry.author, canonical=entry.canonical_url,
                     title_derived=entry.title_derived, source_tz=source_tz)


def make_item(*, title: str, summary: str, text: str | None, url: str | None, guid: str | None, published: str,
              published_source: str, language: str | None, author: str | None, canonical: str | None,
              title_derived: bool = False, source_tz: str | None = None) -> Item:
    """An :class:`Item` with its matching keys (title and content hashes, the anonymous-item fingerprint).

    >>> make_item(title="Markets", summary="Up.", text=None, url=None, guid=None, published="2025-01-02T00:00:00+00:00",
    ...           published_source="fetched", language="en", author=None, canonical=None).fingerprint[:12]
    'fingerprint:'
    """
    return Item(
        title=title, summary=summary, text=text, url=url, canonical_url=canonical, guid=guid,
        published=published, published_source=published_source, source_tz=source_tz, language=language,
        author=author,
        # A hash of a title with next to no body would merge unrelated "Markets" items.
        title_hash=title_hash(title),
        content_hash=content_hash(title, text or summary) if len(text or summary) >= MIN_HASHED_BODY else "",
        distinctive_title=is_distinctive_title(title) and not title_derived,
        fingerprint=anonymous_fingerprint(title=title, text=text or summary, author=author, published=published,
                                          published_source=published_source),
    )


def anonymous_fingerprint(*, title: str, text: str, author: str | None, published: str,
                          published_source: str) -> str:
    """A stable identity for an item that gives no GUID and no link (issue 11): its normalised title, text and
    author, and its own date when it has one (a fetch time is not the item's). The store uses it, per source,
    where a GUID would be, so re-parsing the same feed never adds a copy, however much later.
    """
    date = "" if published_source == "fetched" else published
    key = "\n".join((content_hash(title, text), (author or "").casefold().strip(), date))
    return "fingerprint:" + hashlib.sha1(key.encode()).hexdigest()
