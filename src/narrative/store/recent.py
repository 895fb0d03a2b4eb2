"""Newest-first pages of mentions and figures that stay fast on a large store (issue 12 item 3).

The rows and their order are those of :func:`narrative.store.queries.mention_rows` and
:func:`~narrative.store.queries.figure_rows`; a page is found in two steps: first the keys of its rows (joining only
``articles`` for the order), then the rows themselves with their sentences, so the sentence text is read for the
page only. For an entity with many mentions (per ``entity_totals``) the first step walks articles newest first and
looks up their mentions, stopping when the page is full, instead of sorting every mention of the entity.

>>> from narrative.store import open_db
>>> mention_page(open_db(":memory:"), entity_id="alibaba", limit=50)
[]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .db import placeholders, published_window, rows
from .queries import FIGURE_COLUMNS, FIGURE_ORDER, FIGURE_TABLES, MENTION_COLUMNS, MENTION_ORDER, MENTION_TABLES

if TYPE_CHECKING:  # type hints only: a read command does not import sqlite-utils (issue 12)
    from sqlite_utils import Database

# Past this many mentions an entity's newest page is found by walking articles newest first.
WALK_ARTICLES_FROM = 2000


def mention_page(
    db: Database,
    *,
    entity_id: str | None = None,
    name: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Mentions of a catalog entity (by id) or of an unlinked name, newest first, ``limit`` rows from ``offset``
    (every row when ``limit`` is None)."""
    params: list[Any] = []
    if entity_id is not None:
        where, key = "m.entity_id = ?", (1, entity_id)
        params.append(entity_id)
    else:
        where, key = "m.entity_id IS NULL AND m.name = ? COLLATE NOCASE", (0, (name or "").lower())
        params.append(name)
    window = published_window("a", since, until, params)
    # CROSS JOIN keeps articles outermost: SQLite then reads them by idx_articles_published, newest first, and looks
    # up each article's mentions (by article: "+m.name" keeps it off the name index, which lists every mention).
    walk = limit is not None and _mentions_of(db, *key) > WALK_ARTICLES_FROM
    if walk:
        where = where.replace("m.name", "+m.name")
    source = (
        "articles a CROSS JOIN mentions m ON m.article_id = a.id"
        if walk
        else "mentions m JOIN articles a ON a.id = m.article_id"
    )
    return _two_steps(
        db,
        f"SELECT m.id FROM {source} WHERE {where}{window}",
        params,
        limit,
        offset,
        f"SELECT {MENTION_COLUMNS} FROM {MENTION_TABLES} WHERE m.id IN ({{ids}}) ORDER BY {MENTION_ORDER}",
        MENTION_ORDER,
    )


def figure_page(
    db: Database,
    *,
    entity_id: str | None = None,
    name: str | None = None,
    since: str | None = None,
    until: str | None = None,
    kind: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Figures, optionally about one subject (catalog id, or unlinked name), newest first, ``limit`` rows from
    ``offset`` (every row when ``limit`` is None)."""
    params: list[Any] = []
    where = "1 = 1"
    # Every figure, or those of a much-mentioned subject: walk articles newest first, looking up each one's figures.
    subject_key = entity_id if entity_id is not None else name.lower() if name is not None else None
    walk = limit is not None and (
        subject_key is None or _mentions_of(db, int(entity_id is not None), subject_key) > WALK_ARTICLES_FROM
    )
    column = "+f." if walk else "f."
    if entity_id is not None:
        where += f" AND {column}subject_entity_id = ?"
        params.append(entity_id)
    elif name is not None:
        where += f" AND {column}subject_entity_id IS NULL AND {column}subject = ? COLLATE NOCASE"
        params.append(name)
    if kind:
        where += " AND f.kind = ?"
        params.append(kind)
    window = published_window("a", since, until, params)
    source = (
        "articles a CROSS JOIN figures f ON f.article_id = a.id"
        if walk
        else "figures f JOIN articles a ON a.id = f.article_id"
    )
    return _two_steps(
        db,
        f"SELECT f.id FROM {source} WHERE {where}{window}",
        params,
        limit,
        offset,
        f"SELECT {FIGURE_COLUMNS} FROM {FIGURE_TABLES} WHERE f.id IN ({{ids}}) ORDER BY {FIGURE_ORDER}",
        FIGURE_ORDER,
    )


def _two_steps(
    db: Database, keys_sql: str, params: list[Any], limit: int | None, offset: int, rows_sql: str, order: str
) -> list[dict[str, Any]]:
    """The page's keys by ``keys_sql`` (ordered newest first), then its rows by ``rows_sql`` (whose ``{ids}`` is
    the key list, and whose ORDER BY is the same). Without a limit, one statement: the rows of every key."""
    order = f" ORDER BY {order}"
    if limit is None:
        return rows(db, rows_sql.format(ids=keys_sql + order + " LIMIT -1 OFFSET ?"), [*params, offset])
    ids = [row[0] for row in db.execute(keys_sql + order + " LIMIT ? OFFSET ?", [*params, limit, offset])]
    return rows(db, rows_sql.format(ids=placeholders(ids)), ids) if ids else []


def first_unlinked_name(db: Database, name: str) -> str | None:
    """The stored spelling of an unlinked name (any case), or None: the first found, without reading them all."""
    row = db.execute(
        "SELECT name FROM mentions WHERE entity_id IS NULL AND name = ? COLLATE NOCASE LIMIT 1", [name]
    ).fetchone()
    return row[0] if row else None


def _mentions_of(db: Database, linked: int, entity_key: str) -> int:
    row = db.execute(
        "SELECT mentions FROM entity_totals WHERE linked = ? AND entity_key = ?", [linked, entity_key]
    ).fetchone()
    return row[0] if row else 0
