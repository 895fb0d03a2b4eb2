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
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlite_utils import Database

from ..clock import utc_now_iso
from ..config import Settings
from ..errors import Errors, InputError
from ..store import open_db, writer
from ..store.articles import SaveStats, find_match, save_items
from ..store.feeds import feed_state, last_full_response_at, record_fetch, sync_feeds

if TYPE_CHECKING:  # ingest.item imports the feed parser (feedparser, ftfy, lxml): not for feeds/stats (issue 12)
    from ..config import FeedConfig
    from ..ingest.fetch import Fetcher, FetchResult
    from ..ingest.item import Item
    from .enrich import EnrichSummary

# Fetching, parsing, normalising and enriching import httpx, feedparser, ftfy/lxml and the NLP stack: imported
# where used (issue 12; `narrative feeds` and `narrative stats` read api/stats.py, which needs none of them). With
# annotations postponed, the names in signatures below need no import.
_MOVED = {
    "ImportSummary": ".imports",
    "import_archive": ".imports",
    "EnrichSummary": ".enrich",
    "list_feeds": ".stats",
    "store_stats": ".stats",
}


def __getattr__(name: str):  # narrative.api.ingest was the home of these: still importable from here
    if name in _MOVED:
        import importlib

        return getattr(importlib.import_module(_MOVED[name], __package__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


LOGGER = logging.getLogger(__name__)

ProgressCallback = Callable[[dict[str, Any]], None]


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
        line = (
            f"feeds: {ok} ok ({unchanged} unchanged), {len(self.failed)} failed; "
            f"articles: {self.new} new, {self.duplicates} duplicates, {self.seen} already seen; "
            f"{self.seconds:.2f}s"
        )
        if self.enrichment is not None and (self.enrichment.articles or self.enrichment.scoring is not None):
            line += f"\n{self.enrichment.line()}"
        return line


def open_store(db_path: str | None = None, *, readonly: bool = False, settings: Settings | None = None) -> Database:
    """Open the store at ``db_path`` (default: the ``db`` setting), creating and migrating it."""
    settings = settings or Settings.load(db=db_path)
    return open_db(settings.db, readonly=readonly)


def ingest(
    *,
    feeds_path: str | None = None,
    db_path: str | None = None,
    settings: Settings | None = None,
    only: Iterable[str] | None = None,
    progress: ProgressCallback | None = None,
    enrich: bool = True,
) -> IngestSummary:
    """Fetch every feed of the feeds file and store new articles once each, then (unless
    ``enrich=False``) extract entities, figures and phrases from the new articles and score them, together with
    every article an earlier run stored but was killed before enriching or scoring (issue 11).

    One feed's failure is recorded in ``fetches`` and never stops the run. Each feed's
    articles, its fetch log row and its conditional-GET state commit in one transaction.
    """
    from ..config import load_feeds  # pydantic + yaml: not imported by `narrative stats`

    settings = settings or Settings.load(db=db_path, feeds=feeds_path)
    feeds = load_feeds(settings.feeds)
    if only:
        wanted = set(only)
        unknown = wanted - {f.name for f in feeds}
        if unknown:
            raise InputError(
                Errors.E034.format(
                    path=settings.feeds, unknown=", ".join(sorted(unknown)), names=", ".join(f.name for f in feeds)
                )
            )
        feeds = [f for f in feeds if f.name in wanted]
    started = time.monotonic()
    from .enrich import enrich_pending

    with writer(settings) as db:
        with db.atomic():
            sync_feeds(db, feeds, now=utc_now_iso())
        outcomes = asyncio.run(_ingest_feeds(db, feeds, settings, progress or (lambda event: None)))
        fetched = time.monotonic() - started
        new_ids = [i for outcome in outcomes for i in outcome.new_ids]
        enrichment = enrich_pending(db, new_ids=new_ids, settings=settings) if enrich else None
    return IngestSummary(feeds=outcomes, seconds=fetched, enrichment=enrichment)


async def _ingest_feeds(
    db: Database, feeds: list[FeedConfig], settings: Settings, progress: ProgressCallback
) -> list[FeedOutcome]:
    from ..ingest.fetch import Fetcher, FetchLimits
    from ..ingest.guard import AddressPolicy

    limits = FetchLimits.from_settings(settings)
    feed_slots = asyncio.Semaphore(max(1, settings.concurrency))
    page_slots = asyncio.Semaphore(max(1, settings.concurrency))
    progress({"event": "start", "total": len(feeds)})
    page_policy = AddressPolicy(allow_private=settings.allow_private_addresses)
    async with Fetcher(limits, page_policy=page_policy) as fetcher:

        async def one(feed: FeedConfig) -> FeedOutcome:
            async with feed_slots:
                outcome = await _ingest_feed(db, feed, fetcher, settings, page_slots)
            progress({"event": "feed", "name": feed.name, "status": outcome.status, "new": outcome.new})
            return outcome

        return list(await asyncio.gather(*(one(feed) for feed in feeds)))


async def _ingest_feed(
    db: Database, feed: FeedConfig, fetcher: Fetcher, settings: Settings, page_slots: asyncio.Semaphore
) -> FeedOutcome:
    from ..ingest.item import item_from_entry
    from ..ingest.parse import parse_feed

    started_at = utc_now_iso()
    deadline_at = asyncio.get_running_loop().time() + settings.feed_deadline  # the feed and its pages, together
    state = feed_state(db, feed.name)
    conditional = _conditional(db, feed.name, settings)
    result = await fetcher.fetch(
        feed.url,
        etag=state["etag"] if conditional else None,
        last_modified=state["last_modified"] if conditional else None,
        deadline_at=deadline_at,
    )
    log = _fetch_log(feed, result, started_at)
    outcome = FeedOutcome(name=feed.name, status=result.status, error=result.error)
    validators = {"etag": result.etag, "last_modified": result.last_modified}
    if result.status == "ok" and result.sha1 == state["body_sha1"]:
        outcome.status = log["status"] = "unchanged"
        _commit(db, feed.name, log, validators)
    elif result.status == "ok":
        parsed = parse_feed(
            result.body or b"",
            url=result.final_url or feed.url,
            content_type=result.content_type,
            language=feed.language,
            zone=feed.timezone,
        )
        log.update(entries=len(parsed.entries), bozo=int(parsed.bozo), bozo_reason=parsed.bozo_reason)
        outcome.bozo_reason = parsed.bozo_reason
        if not parsed.entries and parsed.bozo:
            outcome.status, outcome.error = "error", f"unparseable feed: {parsed.bozo_reason}"
            log.update(status="error", error=outcome.error)
            _commit(db, feed.name, log, None)
        else:
            items = [item_from_entry(e, source_tz=feed.timezone) for e in parsed.entries]
            if feed.full_text:
                log["fulltext_failures"] = await _add_full_text(
                    db, feed, items, fetcher, settings, page_slots, deadline_at
                )
            stats = SaveStats()
            with db.atomic():
                stats = save_items(
                    db,
                    source=feed.name,
                    source_kind="feed",
                    items=items,
                    window_hours=settings.dedup_window_hours,
                    now=utc_now_iso(),
                )
                log.update(new_articles=stats.new, duplicates=stats.duplicates + stats.seen)
                state_update = {**validators, "body_sha1": result.sha1, "title": parsed.title, "site_url": parsed.link}
                record_fetch(db, feed=feed.name, fetch=log, state=state_update)
            outcome.new, outcome.duplicates, outcome.seen = stats.new, stats.duplicates, stats.seen
            outcome.new_ids = stats.new_ids
    else:
        _commit(db, feed.name, log, validators if result.status == "not_modified" else None)
    outcome.seconds = log["duration_s"]
    if outcome.status == "error":
        LOGGER.info("%s: %s", feed.name, outcome.error)
    return outcome


def _conditional(db: Database, name: str, settings: Settings) -> bool:
    """Whether to send the stored validators. Some servers keep the ETag and answer 304 after the content
    changed, so with ``unconditional_refetch_hours`` a feed whose last full (200) response is that old is fetched
    without them; the body hash then says whether anything changed. ``conditional_get`` off never sends them."""
    if not settings.conditional_get:
        return False
    if settings.unconditional_refetch_hours <= 0:
        return True
    last = last_full_response_at(db, name)
    if last is None:
        return False
    when = datetime.fromisoformat(last)
    age = datetime.now(UTC) - (when if when.tzinfo else when.replace(tzinfo=UTC))
    return age < timedelta(hours=settings.unconditional_refetch_hours)


def _commit(db: Database, name: str, log: dict[str, Any], validators: dict[str, Any] | None) -> None:
    state = {k: v for k, v in (validators or {}).items() if v is not None} or None
    with db.atomic():
        record_fetch(db, feed=name, fetch=log, state=state)


async def _add_full_text(
    db: Database,
    feed: FeedConfig,
    items: list[Item],
    fetcher: Fetcher,
    settings: Settings,
    page_slots: asyncio.Semaphore,
    deadline_at: float,
) -> int:
    """Fetch and extract the page of every item not stored yet, by the feed's deadline; keep the summary on failure.

    Pages go through :meth:`Fetcher.fetch_page`: http(s) only and no private addresses unless
    ``allow_private_addresses`` (issue 11).
    """
    from ..ingest.fulltext import extract_main_text

    fresh = [
        (i, i.url)
        for i in items
        if i.url and find_match(db, source=feed.name, item=i, window_hours=settings.dedup_window_hours) is None
    ]
    out_of_time = f"the feed deadline of {settings.feed_deadline:g}s passed before this page was read"

    async def one(item: Item, url: str) -> bool:
        try:
            async with asyncio.timeout_at(deadline_at):
                await page_slots.acquire()
        except TimeoutError:
            item.fulltext_error = out_of_time
            return False
        try:
            page = await fetcher.fetch_page(url, max_bytes=settings.page_max_bytes, deadline_at=deadline_at)
        finally:
            page_slots.release()
        if page.status != "ok":
            item.fulltext_error = page.error or page.status
            return False
        try:
            async with asyncio.timeout_at(deadline_at):
                text, why = await asyncio.to_thread(extract_main_text, page.body or b"", url=url)
        except TimeoutError:
            item.fulltext_error = out_of_time
            return False
        if text is None:
            item.fulltext_error = why
            return False
        item.text, item.text_source = text, "full_text"
        return True

    results = await asyncio.gather(*(one(item, url) for item, url in fresh))
    return sum(1 for ok in results if not ok)


def _fetch_log(feed: FeedConfig, result: FetchResult, started_at: str) -> dict[str, Any]:
    return {
        "feed": feed.name,
        "started_at": started_at,
        "duration_s": round(result.duration, 4),
        "status": result.status,
        "http_status": result.http_status,
        "url": feed.url,
        "final_url": result.final_url,
        "bytes": len(result.body) if result.body is not None else None,
        "attempts": result.attempts,
        "error": result.error,
    }
