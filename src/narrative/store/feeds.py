"""The ``feeds`` table (configuration and conditional-GET state) and the ``fetches`` log."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .db import rows

if TYPE_CHECKING:  # type hints only: a read command does not import sqlite-utils (issue 12)
    from sqlite_utils import Database


def sync_feeds(db: Database, feeds: Iterable[Any], *, now: str) -> None:
    """Insert new feeds and refresh the configuration of known ones; state is kept.

    A feed whose URL changed loses its ETag/Last-Modified, which belonged to the old URL.
    """
    for feed in feeds:
        row = db.execute("SELECT url FROM feeds WHERE name = ?", [feed.name]).fetchone()
        config = [feed.url, feed.language, json.dumps(list(feed.tags)), int(feed.full_text)]
        if row is None:
            db.execute(
                "INSERT INTO feeds (url, language, tags, full_text, name, added_at) VALUES (?, ?, ?, ?, ?, ?)",
                [*config, feed.name, now],
            )
        elif row[0] != feed.url:
            db.execute(
                "UPDATE feeds SET url = ?, language = ?, tags = ?, full_text = ?, "
                "etag = NULL, last_modified = NULL, body_sha1 = NULL WHERE name = ?",
                [*config, feed.name],
            )
        else:
            db.execute(
                "UPDATE feeds SET url = ?, language = ?, tags = ?, full_text = ? WHERE name = ?", [*config, feed.name]
            )


def feed_state(db: Database, name: str) -> dict[str, Any]:
    """ETag, Last-Modified and the hash of the last body seen for a feed."""
    row = db.execute("SELECT etag, last_modified, body_sha1 FROM feeds WHERE name = ?", [name]).fetchone()
    return dict(zip(("etag", "last_modified", "body_sha1"), row or (None, None, None)))


def last_full_response_at(db: Database, name: str) -> str | None:
    """When the feed last answered 200 (a full body, not a 304): the clock of the periodic unconditional fetch."""
    row = db.execute("SELECT max(started_at) FROM fetches WHERE feed = ? AND http_status = 200", [name]).fetchone()
    return row[0] if row else None


def record_fetch(db: Database, *, feed: str, fetch: dict[str, Any], state: dict[str, Any] | None) -> None:
    """Log one fetch and update the feed's last status; ``state`` (validators) only on success."""
    db.table("fetches").insert(fetch)
    ok = fetch["status"] != "error"
    updates = {
        "last_status": fetch["status"],
        "last_error": fetch.get("error"),
        "last_fetched_at": fetch["started_at"],
    }
    if ok:
        updates["last_ok_at"] = fetch["started_at"]
    if state:
        updates.update(state)
    assignments = ", ".join(f"{column} = ?" for column in updates)
    db.execute(f"UPDATE feeds SET {assignments} WHERE name = ?", [*updates.values(), feed])


def feed_rows(db: Database) -> list[dict[str, Any]]:
    """Every feed with its last status and article count, for ``narrative feeds``."""
    sql = """
        SELECT f.name, f.url, f.language, f.tags, f.full_text, f.last_status, f.last_error,
               f.last_fetched_at, f.last_ok_at,
               (SELECT count(DISTINCT s.article_id) FROM article_sources s WHERE s.source = f.name) AS articles
        FROM feeds f ORDER BY f.name"""
    return rows(db, sql)
