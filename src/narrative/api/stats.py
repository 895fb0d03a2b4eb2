"""What the store holds, for ``narrative feeds`` and ``narrative stats``: read-only, and light to import (no asyncio,
HTTP client or feed parser), so those commands start fast (issue 12).

>>> from narrative.api import store_stats
>>> store_stats(db_path="demo.db")["articles"]  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..config import Settings
from ..store import reader
from ..store.db import is_postgres_url
from ..store.feeds import feed_rows
from ..store.stats import store_summary


def list_feeds(
    *, db_path: str | None = None, feeds_path: str | None = None, settings: Settings | None = None
) -> list[dict[str, Any]]:
    """Feeds with their last status: those in the store, plus configured ones never fetched."""
    from ..config import load_feeds

    settings = settings or Settings.load(db=db_path, feeds=feeds_path)
    rows: dict[str, dict[str, Any]] = {}
    if is_postgres_url(settings.db) or Path(settings.db).exists():
        with reader(settings) as db:
            if "feeds" in db.table_names():
                rows = {row["name"]: row for row in feed_rows(db)}
    if Path(settings.feeds).exists():
        for feed in load_feeds(settings.feeds):
            rows.setdefault(
                feed.name,
                {
                    "name": feed.name,
                    "url": feed.url,
                    "language": feed.language,
                    "last_status": "never fetched",
                    "articles": 0,
                },
            )
    return sorted(rows.values(), key=lambda r: r["name"])


def store_stats(*, db_path: str | None = None, settings: Settings | None = None) -> dict[str, Any]:
    """Counts by source and language and the published range, for ``narrative stats``."""
    settings = settings or Settings.load(db=db_path)
    with reader(settings) as db:  # a missing store is E013 (no such database), as for every read command
        return store_summary(db)
