"""The Python API: orchestration of ingest -> store. The CLI is a thin layer over this.

>>> from narrative import ingest
>>> summary = ingest(feeds_path="examples/demo/feeds.yaml", db_path="demo.db")  # doctest: +SKIP
>>> print(summary.line())  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from pathlib import Path
from typing import Any, Callable, Iterable

from sqlite_utils import Database

from ..config import FeedConfig, Settings, load_feeds
from ..errors import Errors, InputError
from ..ingest.archive import ArchiveRow, RowProblem, parse_archive_date, read_archive
from ..ingest.fetch import Fetcher, FetchLimits, FetchResult
from ..ingest.fulltext import extract_main_text
from ..ingest.normalize import (canonical_url, content_hash, detect_language, is_distinctive_title, time_zone,
                               title_hash, utc_now_iso)
from ..ingest.parse import Entry, parse_feed
from ..store import open_db, write_lock
from ..store.articles import Item, SaveStats, find_match, save_items
from ..store.feeds import feed_rows, feed_state, record_fetch, sync_feeds
from ..store.stats import store_summary
from .enrich import EnrichSummary, enrich_db

LOGGER = logging.getLogger(__name__)

ProgressCallback = Callable[[dict[str, Any]], None]

IMPORT_BATCH = 1000
MIN_HASHED_BODY = 20  # characters of text below which the content hash is not used for matching


@dataclasses.dataclass
class FeedOutcome:
    name: str
    status: str  # ok, not_modified, unchanged, error
    new: int = 0
    duplicates: int = 0
    seen: int = 0
    error: str | None = None
    bozo_reason: str | None = None
    seconds: float = 0.0
    new_ids: list[int] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class IngestSummary:
    feeds: list[FeedOutcome]
    seconds: float
    enrichment: EnrichSummary | None = None

    @property
    def failed(self) -> list[FeedOutcome]:
        return [f for f in self.feeds if f.status == "error"]

    @property
    def new(self) -> int:
        return sum(f.new for f in self.feeds)

    @property
    def duplicates(self) -> int:
        return sum(f.duplicates for f in self.feeds)

    @property
    def seen(self) -> int:
        return sum(f.seen for f in self.feeds)

    @property
    def nothing_done(self) -> bool:
        """Every feed failed: the run achieved nothing (exit code 1)."""
        return bool(self.feeds) and len(self.failed) == len(self.feeds)

    def line(self) -> str:
        ok = len(self.feeds) - len(self.failed)
        unchanged = sum(1 for f in self.feeds if f.status in ("not_modified", "unchanged"))
        line = (f"feeds: {ok} ok ({unchanged} unchanged), {len(self.failed)} failed; "
                f"articles: {self.new} new, {self.duplicates} duplicates, {self.seen} already seen; "
                f"{self.seconds:.2f}s")
        if self.enrichment is not None and self.enrichment.articles:
            line += f"\n{self.enrichment.line()}"
        return line


def open_store(db_path: str | None = None, *, readonly: bool = False, settings: Settings | None = None) -> Database:
    """Open the store at ``db_path`` (default: the ``db`` setting), creating and migrating it."""
    settings = settings or Settings.load(db=db_path)
    return open_db(settings.db, readonly=readonly)


def ingest(*, feeds_path: str | None = None, db_path: str | None = None, settings: Settings | None = None,
           only: Iterable[str] | None = None, progress: ProgressCallback | None = None,
           enrich: bool = True) -> IngestSummary:
    """Fetch every feed of the feeds file and store new articles once each, then (unless
    ``enrich=False``) extract entities, figures and phrases from the new articles.

    One feed's failure is recorded in ``fetches`` and never stops the run. Each feed's
    articles, its fetch log row and its conditional-GET state commit in one transaction.
    """
    settings = settings or Settings.load(db=db_path, feeds=feeds_path)
    feeds = load_feeds(settings.feeds)
    if only:
        wanted = set(only)
        unknown = wanted - {f.name for f in feeds}
        if unknown:
            raise InputError(f"{settings.feeds}: no feed named {', '.join(sorted(unknown))}; "
                             f"feeds are: {', '.join(f.name for f in feeds)}")
        feeds = [f for f in feeds if f.name in wanted]
    started = time.monotonic()
    with write_lock(settings.db, timeout=settings.lock_timeout):
        db = open_db(settings.db)
        try:
            with db.atomic():
                sync_feeds(db, feeds, now=utc_now_iso())
            outcomes = asyncio.run(_ingest_feeds(db, feeds, settings, progress or (lambda event: None)))
            fetched = time.monotonic() - started
            new_ids = [i for outcome in outcomes for i in outcome.new_ids]
            enrichment = enrich_db(db, article_ids=new_ids, settings=settings) if enrich and new_ids else None
        finally:
            db.close()
    return IngestSummary(feeds=outcomes, seconds=fetched, enrichment=enrichment)


async def _ingest_feeds(db: Database, feeds: list[FeedConfig], settings: Settings,
                        progress: ProgressCallback) -> list[FeedOutcome]:
    limits = FetchLimits(
        connect_timeout=settings.connect_timeout, read_timeout=settings.read_timeout,
        deadline=settings.feed_deadline, max_bytes=settings.max_bytes, max_redirects=settings.max_redirects,
        retries=settings.retries, backoff=settings.backoff, user_agent=settings.user_agent,
    )
    feed_slots = asyncio.Semaphore(max(1, settings.concurrency))
    page_slots = asyncio.Semaphore(max(1, settings.concurrency))
    progress({"event": "start", "total": len(feeds)})
    async with Fetcher(limits) as fetcher:

        async def one(feed: FeedConfig) -> FeedOutcome:
            async with feed_slots:
                outcome = await _ingest_feed(db, feed, fetcher, settings, page_slots)
            progress({"event": "feed", "name": feed.name, "status": outcome.status, "new": outcome.new})
            return outcome

        return list(await asyncio.gather(*(one(feed) for feed in feeds)))


async def _ingest_feed(db: Database, feed: FeedConfig, fetcher: Fetcher, settings: Settings,
                       page_slots: asyncio.Semaphore) -> FeedOutcome:
    started_at = utc_now_iso()
    state = feed_state(db, feed.name)
    result = await fetcher.fetch(feed.url, etag=state["etag"], last_modified=state["last_modified"])
    log = _fetch_log(feed, result, started_at)
    outcome = FeedOutcome(name=feed.name, status=result.status, error=result.error)
    validators = {"etag": result.etag, "last_modified": result.last_modified}
    if result.status == "ok" and result.sha1 == state["body_sha1"]:
        outcome.status = log["status"] = "unchanged"
        _commit(db, feed.name, log, validators)
    elif result.status == "ok":
        parsed = parse_feed(result.body or b"", url=result.final_url or feed.url,
                            content_type=result.content_type, language=feed.language, zone=feed.timezone)
        log.update(entries=len(parsed.entries), bozo=int(parsed.bozo), bozo_reason=parsed.bozo_reason)
        outcome.bozo_reason = parsed.bozo_reason
        if not parsed.entries and parsed.bozo:
            outcome.status, outcome.error = "error", f"unparseable feed: {parsed.bozo_reason}"
            log.update(status="error", error=outcome.error)
            _commit(db, feed.name, log, None)
        else:
            items = [_item_from_entry(e, source_tz=feed.timezone) for e in parsed.entries]
            if feed.full_text:
                log["fulltext_failures"] = await _add_full_text(db, feed, items, fetcher, settings, page_slots)
            stats = SaveStats()
            with db.atomic():
                stats = save_items(db, source=feed.name, source_kind="feed", items=items,
                                   window_hours=settings.dedup_window_hours, now=utc_now_iso())
                log.update(new_articles=stats.new, duplicates=stats.duplicates + stats.seen)
                state_update = {**validators, "body_sha1": result.sha1, "title": parsed.title,
                                "site_url": parsed.link}
                record_fetch(db, feed=feed.name, fetch=log, state=state_update)
            outcome.new, outcome.duplicates, outcome.seen = stats.new, stats.duplicates, stats.seen
            outcome.new_ids = stats.new_ids
    else:
        _commit(db, feed.name, log, validators if result.status == "not_modified" else None)
    outcome.seconds = log["duration_s"]
    if outcome.status == "error":
        LOGGER.info("%s: %s", feed.name, outcome.error)
    return outcome


def _commit(db: Database, name: str, log: dict[str, Any], validators: dict[str, Any] | None) -> None:
    state = {k: v for k, v in (validators or {}).items() if v is not None} or None
    with db.atomic():
        record_fetch(db, feed=name, fetch=log, state=state)


async def _add_full_text(db: Database, feed: FeedConfig, items: list[Item], fetcher: Fetcher,
                         settings: Settings, page_slots: asyncio.Semaphore) -> int:
    """Fetch and extract the page of every item not stored yet; keep the summary on failure."""
    fresh = [i for i in items if i.url and find_match(db, source=feed.name, item=i,
                                                       window_hours=settings.dedup_window_hours) is None]

    async def one(item: Item) -> bool:
        async with page_slots:
            page = await fetcher.fetch(item.url, max_bytes=settings.page_max_bytes,
                                       accept="text/html,application/xhtml+xml;q=0.9,*/*;q=0.5")
        if page.status != "ok":
            item.fulltext_error = page.error or page.status
            return False
        text, why = await asyncio.to_thread(extract_main_text, page.body or b"", url=item.url)
        if text is None:
            item.fulltext_error = why
            return False
        item.text, item.text_source = text, "full_text"
        return True

    results = await asyncio.gather(*(one(item) for item in fresh))
    return sum(1 for ok in results if not ok)


def _fetch_log(feed: FeedConfig, result: FetchResult, started_at: str) -> dict[str, Any]:
    return {
        "feed": feed.name, "started_at": started_at, "duration_s": round(result.duration, 4),
        "status": result.status, "http_status": result.http_status, "url": feed.url,
        "final_url": result.final_url, "bytes": len(result.body) if result.body is not None else None,
        "attempts": result.attempts, "error": result.error,
    }


def _item_from_entry(entry: Entry, *, source_tz: str | None = None) -> Item:
    return _item(title=entry.title, summary=entry.summary, text=None, url=entry.url, guid=entry.guid,
                 published=entry.published, published_source=entry.published_source,
                 language=entry.language, author=entry.author, canonical=entry.canonical_url,
                 title_derived=entry.title_derived, source_tz=source_tz)


def _item(*, title: str, summary: str, text: str | None, url: str | None, guid: str | None, published: str,
          published_source: str, language: str | None, author: str | None, canonical: str | None,
          title_derived: bool = False, source_tz: str | None = None) -> Item:
    return Item(
        title=title, summary=summary, text=text, url=url, canonical_url=canonical, guid=guid,
        published=published, published_source=published_source, source_tz=source_tz, language=language,
        author=author,
        # A hash of a title with next to no body would merge unrelated "Markets" items.
        title_hash=title_hash(title),
        content_hash=content_hash(title, text or summary) if len(text or summary) >= MIN_HASHED_BODY else "",
        distinctive_title=is_distinctive_title(title) and not title_derived,
    )


@dataclasses.dataclass
class ImportSummary:
    path: str
    rows: int = 0
    new: int = 0
    duplicates: int = 0
    seen: int = 0
    problems: list[RowProblem] = dataclasses.field(default_factory=list)
    seconds: float = 0.0
    enrichment: EnrichSummary | None = None

    def line(self) -> str:
        line = (f"{self.path}: {self.rows} rows read; {self.new} new articles, {self.duplicates} duplicates, "
                f"{self.seen} already imported; {len(self.problems)} rows skipped; {self.seconds:.1f}s")
        if self.enrichment is not None and self.enrichment.articles:
            line += f"\n{self.enrichment.line()}"
        return line


def import_archive(path: str, *, db_path: str | None = None, settings: Settings | None = None,
                   source: str | None = None, encoding: str | None = None,
                   column_map: dict[str, str] | None = None, as_of: str | None = None,
                   language: str | None = None, enrich: bool = True, timezone: str | None = None) -> ImportSummary:
    """Backfill a CSV/JSONL archive through the same normalisation and dedup as feeds.

    Bad rows are skipped and returned in ``problems`` with their line numbers. ``timezone`` (an IANA name) is
    the source's zone: a date-only row means that date there, a time without an offset that time there.
    """
    settings = settings or Settings.load(db=db_path)
    zone = None
    if timezone:
        try:
            zone = time_zone(timezone)
        except ValueError as exc:
            raise InputError(f"--timezone: {exc}") from None
    anchor = None
    if as_of:
        parsed = parse_archive_date(as_of, zone=zone)
        if isinstance(parsed, str):
            raise InputError(Errors.E030.format(value=as_of))
        anchor = parsed[0]
    default_source = source or f"import:{Path(path).name}"
    summary = ImportSummary(path=str(path))
    started = time.monotonic()
    rows = read_archive(path, encoding=encoding, column_map=column_map, as_of=anchor, zone=zone)
    new_ids: list[int] = []
    with write_lock(settings.db, timeout=settings.lock_timeout):
        db = open_db(settings.db)
        try:
            for batch in _batches(rows, IMPORT_BATCH):
                with db.atomic():
                    for source_name, items in _group_by_source(batch, default_source, language, summary):
                        stats = save_items(db, source=source_name, source_kind="import", items=items,
                                           window_hours=settings.dedup_window_hours, now=utc_now_iso())
                        summary.new += stats.new
                        summary.duplicates += stats.duplicates
                        summary.seen += stats.seen
                        new_ids += stats.new_ids
            if enrich and new_ids:
                summary.enrichment = enrich_db(db, article_ids=new_ids, settings=settings)
        finally:
            db.close()
    summary.seconds = time.monotonic() - started
    return summary


def _group_by_source(batch: list[ArchiveRow | RowProblem], default_source: str, language: str | None,
                     summary: ImportSummary) -> list[tuple[str, list[Item]]]:
    groups: dict[str, list[Item]] = {}
    for row in batch:
        if isinstance(row, RowProblem):
            summary.problems.append(row)
            continue
        summary.rows += 1
        item = _item(title=row.title, summary=row.summary, text=row.text, url=row.url, guid=None,
                     published=row.published, published_source=row.published_source,
                     language=language or detect_language(f"{row.title}\n{row.text}"), author=None,
                     canonical=canonical_url(row.url), title_derived=row.title_derived, source_tz=row.source_tz)
        groups.setdefault(row.source or default_source, []).append(item)
    return list(groups.items())


def _batches(rows: Iterable, size: int) -> Iterable[list]:
    batch: list = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def list_feeds(*, db_path: str | None = None, feeds_path: str | None = None,
               settings: Settings | None = None) -> list[dict[str, Any]]:
    """Feeds with their last status: those in the store, plus configured ones never fetched."""
    settings = settings or Settings.load(db=db_path, feeds=feeds_path)
    rows: dict[str, dict[str, Any]] = {}
    if Path(settings.db).exists():
        db = open_db(settings.db, readonly=True)
        try:
            if "feeds" in db.table_names():
                rows = {row["name"]: row for row in feed_rows(db)}
        finally:
            db.close()
    if Path(settings.feeds).exists():
        for feed in load_feeds(settings.feeds):
            rows.setdefault(feed.name, {"name": feed.name, "url": feed.url, "language": feed.language,
                                        "last_status": "never fetched", "articles": 0})
    return sorted(rows.values(), key=lambda r: r["name"])




def store_stats(*, db_path: str | None = None, settings: Settings | None = None) -> dict[str, Any]:
    """Counts by source and language and the published range, for ``narrative stats``."""
    settings = settings or Settings.load(db=db_path)
    if not Path(settings.db).exists():
        raise InputError(Errors.E001.format(path=settings.db).replace("--feeds feeds.yaml", "--db narrative.db"))
    db = open_db(settings.db, readonly=True)
    try:
        return store_summary(db)
    finally:
        db.close()
