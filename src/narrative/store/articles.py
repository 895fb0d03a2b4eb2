"""Writing articles once: matching each incoming item against what is stored.

An item is the same story as a stored article when, in this order:

1. its source already gave this GUID (or, without a GUID, this URL; without either, or with only a home-page link,
   this fingerprint of the item's content: issue 11);
2. its canonical URL is a stored article's (unless it is a bare home page);
3. its normalised title is distinctive and equal to one published within the window;
4. its normalised title + text hash equals one published within the window.

A match from another source adds a row to ``article_sources``: one article, two sources. The article keeps the
fuller text, and a copy with an exact time replaces a date-only one when it falls on that date.
Call :func:`save_items` inside ``db.atomic()`` so a feed's batch lands whole or not at all.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta, timezone
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlite_utils import Database

INGEST_VERSION = "ingest-2"  # ingest-2: published_precision and source_tz (issue 8)


@runtime_checkable
class IncomingArticle(Protocol):
    """What the store reads of an article on its way in: :class:`narrative.ingest.item.Item` has it (the store
    takes the shape, not the class, so that imports point one way: ingest -> store)."""

    @property
    def title(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def url(self) -> str | None: ...
    @property
    def canonical_url(self) -> str | None: ...
    @property
    def published(self) -> str: ...
    @property
    def published_source(self) -> str: ...
    @property
    def published_precision(self) -> str | None: ...
    @property
    def source_tz(self) -> str | None: ...
    @property
    def guid(self) -> str | None: ...
    @property
    def language(self) -> str | None: ...
    @property
    def author(self) -> str | None: ...
    @property
    def text(self) -> str | None: ...
    @property
    def text_source(self) -> str: ...
    @property
    def fulltext_error(self) -> str | None: ...
    @property
    def title_hash(self) -> str: ...
    @property
    def content_hash(self) -> str: ...
    @property
    def distinctive_title(self) -> bool: ...
    @property
    def fingerprint(self) -> str | None: ...


@dataclasses.dataclass
class SaveStats:
    new: int = 0
    duplicates: int = 0  # the story was already stored from another source or under another id
    seen: int = 0  # this source had already given us this item
    new_ids: list[int] = dataclasses.field(default_factory=list)

    def add(self, other: SaveStats) -> None:
        self.new += other.new
        self.duplicates += other.duplicates
        self.seen += other.seen
        self.new_ids += other.new_ids


def find_match(db: Database, *, source: str, item: IncomingArticle, window_hours: float) -> tuple[int, str] | None:
    """The id of the stored article ``item`` duplicates, and how it matched; else None."""
    if key := source_key(item):
        row = _one(db, "SELECT article_id FROM article_sources WHERE source = ? AND guid = ?", [source, key])
        if row:
            return row[0], "seen"
    elif item.url and not (item.canonical_url and _is_home_page(item.canonical_url)):
        row = _one(
            db,
            "SELECT article_id FROM article_sources WHERE source = ? AND url = ? AND guid IS NULL",
            [source, item.url],
        )
        if row:
            return row[0], "seen"
    if item.canonical_url and not _is_home_page(item.canonical_url):
        row = _one(db, "SELECT id FROM articles WHERE canonical_url = ? ORDER BY id LIMIT 1", [item.canonical_url])
        if row:
            return row[0], "url"
    low, high = _window(item.published, window_hours)
    if item.title_hash and item.distinctive_title:
        row = _one(
            db,
            "SELECT id FROM articles WHERE title_hash = ? AND published BETWEEN ? AND ? ORDER BY id LIMIT 1",
            [item.title_hash, low, high],
        )
        if row:
            return row[0], "title"
    if item.content_hash:
        row = _one(
            db,
            "SELECT id FROM articles WHERE content_hash = ? AND published BETWEEN ? AND ? ORDER BY id LIMIT 1",
            [item.content_hash, low, high],
        )
        if row:
            return row[0], "content"
    return None


def unfinished_articles(db: Database, *, narrative: str) -> list[int]:
    """Articles never enriched, or enriched but never scored for ``narrative``: work a run was killed before
    finishing (issue 11), which the next ingest or import finishes.

    >>> from narrative.store import open_db
    >>> unfinished_articles(open_db(":memory:"), narrative="china-ai")
    []
    """
    sql = (
        "SELECT a.id FROM articles a LEFT JOIN enrichments e ON e.article_id = a.id WHERE e.article_id IS NULL "
        "OR NOT EXISTS (SELECT 1 FROM article_scores s WHERE s.article_id = a.id AND s.narrative = ?) ORDER BY a.id"
    )
    return [row[0] for row in db.execute(sql, [narrative])]


def source_key(item: IncomingArticle) -> str | None:
    """What identifies ``item`` within its source where a GUID would: the GUID, else (no link of its own) the
    content fingerprint; None when its URL does."""
    if item.guid:
        return item.guid
    if not item.url or (item.canonical_url and _is_home_page(item.canonical_url)):
        return item.fingerprint
    return None


def save_items(
    db: Database, *, source: str, source_kind: str, items: Iterable[IncomingArticle], window_hours: float, now: str
) -> SaveStats:
    """Store each item once, linking duplicates to the article they repeat."""
    stats = SaveStats()
    for item in items:
        match = find_match(db, source=source, item=item, window_hours=window_hours)
        if match is None:
            article_id = _insert_article(db, item, now)
            _insert_source(db, article_id, source, source_kind, item, "new", now)
            stats.new += 1
            stats.new_ids.append(article_id)
            continue
        article_id, matched_by = match
        if matched_by == "seen":
            stats.seen += 1
            continue
        _insert_source(db, article_id, source, source_kind, item, matched_by, now)
        _keep_fuller_text(db, article_id, item, now)
        _keep_exact_time(db, article_id, item, now)
        stats.duplicates += 1
    return stats


def _insert_article(db: Database, item: IncomingArticle, now: str) -> int:
    cursor = db.execute(
        """INSERT INTO articles (url, canonical_url, title, published, published_source, published_precision,
               source_tz, summary, text, text_source, fulltext_error, language, author, title_hash, content_hash,
               first_seen_at, updated_at, ingest_version)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            item.url,
            item.canonical_url,
            item.title,
            item.published,
            item.published_source,
            item.published_precision,
            item.source_tz,
            item.summary,
            item.text or item.summary,
            item.text_source,
            item.fulltext_error,
            item.language,
            item.author,
            item.title_hash,
            item.content_hash,
            now,
            now,
            INGEST_VERSION,
        ],
    )
    assert cursor.lastrowid is not None  # an INSERT always sets it
    return cursor.lastrowid


def _insert_source(
    db: Database, article_id: int, source: str, source_kind: str, item: IncomingArticle, matched_by: str, now: str
) -> None:
    db.execute(
        """INSERT OR IGNORE INTO article_sources
               (article_id, source, source_kind, guid, url, title, published, matched_by, seen_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [article_id, source, source_kind, source_key(item), item.url, item.title, item.published, matched_by, now],
    )


def _keep_fuller_text(db: Database, article_id: int, item: IncomingArticle, now: str) -> None:
    """A second copy of a story may carry the untruncated summary or the full text: keep the longest."""
    text = item.text or item.summary
    row = _one(db, "SELECT length(text), text_source FROM articles WHERE id = ?", [article_id])
    if row and len(text) > (row[0] or 0) and not (row[1] == "full_text" and item.text_source != "full_text"):
        db.execute(
            "UPDATE articles SET text = ?, summary = ?, text_source = ?, updated_at = ? WHERE id = ?",
            [text, item.summary, item.text_source, now, article_id],
        )


def _keep_exact_time(db: Database, article_id: int, item: IncomingArticle, now: str) -> None:
    """A copy with an exact time sharpens a date-only or relative article (issue 8) when that time falls on the
    article's date somewhere on earth: the story certainly existed then, so the time is still point-in-time."""
    if item.published_precision != "exact":
        return
    row = _one(db, "SELECT published, published_precision, source_tz FROM articles WHERE id = ?", [article_id])
    if not row or row[1] not in ("date_only", "relative"):
        return
    stored, zone = datetime.fromisoformat(row[0]), row[2]
    exact = datetime.fromisoformat(item.published)
    day = stored.astimezone(ZoneInfo(zone) if zone else UTC).date()
    if zone:
        first = datetime.combine(day, time(0), ZoneInfo(zone))
        last = datetime.combine(day + timedelta(days=1), time(0), ZoneInfo(zone))
    else:  # the date as written anywhere from UTC+14 to UTC-12
        first = datetime.combine(day, time(0), timezone(timedelta(hours=14)))
        last = datetime.combine(day + timedelta(days=1), time(0), timezone(timedelta(hours=-12)))
    if first <= exact < last:
        db.execute(
            "UPDATE articles SET published = ?, published_source = ?, published_precision = 'exact', "
            "updated_at = ? WHERE id = ?",
            [item.published, item.published_source, now, article_id],
        )


def _one(db: Database, sql: str, params: list) -> tuple | None:
    return db.execute(sql, params).fetchone()


def _is_home_page(url: str) -> bool:
    parts = urlsplit(url)
    return parts.path in ("", "/") and not parts.query


def _window(published: str, hours: float) -> tuple[str, str]:
    """The dedup window around ``published``, clamped to the calendar: ingest/ keeps dates in range (issue 11),
    and a stored time at the calendar's edge still must not overflow and end the run."""
    moment = datetime.fromisoformat(published)
    delta = timedelta(hours=hours)
    try:
        low = (moment - delta).isoformat()
    except OverflowError:
        low = datetime.min.replace(tzinfo=moment.tzinfo).isoformat()
    try:
        high = (moment + delta).isoformat()
    except OverflowError:
        high = datetime.max.replace(tzinfo=moment.tzinfo).isoformat()
    return low, high
