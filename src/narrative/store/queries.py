"""The query SQL of mentions, figures and top entities, in one place: the CLI's pages (:mod:`.recent`), the reference
readers below and Datasette's canned queries (:data:`CANNED_QUERIES`, served by ``narrative serve``) are all built
from these pieces, so the columns and the order a user sees are the same everywhere. Every value goes in as a
parameter.

>>> from narrative.store import open_db
>>> db = open_db(":memory:")
>>> mention_rows(db, entity_id="alibaba"), figure_rows(db, kind="change"), top_entity_rows(db)
([], [], [])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .db import published_window
from .db import rows as _rows

if TYPE_CHECKING:  # type hints only: a read command does not import sqlite-utils (issue 12)
    from sqlite_utils import Database

# A mention with its article and sentence: the columns of `narrative mentions --format json` and of the canned query.
MENTION_COLUMNS = (
    "m.entity_id, m.name AS entity, m.surface, m.label, m.article_id, a.url, a.published, a.title, "
    's.text AS sentence, m.sentence_idx, m.start, m."end", m.method, m.extractor_version'
)
MENTION_TABLES = (
    "mentions m JOIN articles a ON a.id = m.article_id "
    "JOIN sentences s ON s.article_id = m.article_id AND s.idx = m.sentence_idx"
)
MENTION_ORDER = "a.published DESC, m.article_id, m.start"

FIGURE_COLUMNS = (
    "f.subject_entity_id, f.subject, f.value, f.value_high, f.unit, f.kind, f.direction, f.period, f.period_text, "
    "f.qualifier, f.negated, f.noun, f.surface, s.text AS sentence, a.published, a.url, f.article_id, "
    'f.sentence_idx, f.start, f."end", f.subject_method, f.extractor_version'
)
FIGURE_TABLES = (
    "figures f JOIN articles a ON a.id = f.article_id "
    "JOIN sentences s ON s.article_id = f.article_id AND s.idx = f.sentence_idx"
)
FIGURE_ORDER = "a.published DESC, f.article_id, f.start"

TOP_ENTITY_COLUMNS = (
    "m.entity_id, coalesce(e.name, m.name) AS entity, coalesce(e.type, lower(m.label)) AS type, "
    "count(*) AS mentions, count(DISTINCT m.article_id) AS articles, "
    "min(a.published) AS first_seen, max(a.published) AS last_seen"
)
TOP_ENTITY_TABLES = "mentions m JOIN articles a ON a.id = m.article_id LEFT JOIN entities e ON e.id = m.entity_id"
TOP_ENTITY_GROUP = "GROUP BY coalesce(m.entity_id, lower(m.name)) ORDER BY mentions DESC, articles DESC, entity"


def entity_match(id_column: str, name_column: str, parameter: str = ":entity") -> str:
    """SQL true when a row's entity (``id_column``, or ``name_column`` for an unlinked name) is ``parameter``: a
    catalog id, name, alias, Chinese name or ticker. Datasette has no catalog to resolve names with, so its canned
    queries match through the ``entities`` table; the CLI resolves the name first (``api.query.resolve_entity``).

    >>> "m.entity_id = lower(:entity)" in entity_match("m.entity_id", "m.name")
    True
    """
    p = parameter
    return (
        f"({id_column} = lower({p}) OR ({id_column} IS NULL AND {name_column} = {p} COLLATE NOCASE) "
        f"OR {id_column} IN (SELECT id FROM entities WHERE name = {p} COLLATE NOCASE "
        f"OR aliases LIKE '%\"' || {p} || '\"%' OR zh LIKE '%\"' || {p} || '\"%' "
        f"OR tickers LIKE '%\"' || {p} || '\"%'))"
    )


CANNED_LIMIT = 1000
CANNED_QUERIES: dict[str, dict[str, Any]] = {
    "mentions": {
        "title": "Mentions of an entity",
        "description": "Every sentence naming an entity: its id, name, an alias, a Chinese name or a ticker.",
        "sql": f"SELECT {MENTION_COLUMNS} FROM {MENTION_TABLES} WHERE {entity_match('m.entity_id', 'm.name')} "
        f"ORDER BY {MENTION_ORDER} LIMIT {CANNED_LIMIT}",
    },
    "figures": {
        "title": "Figures about an entity",
        "description": "Stated figures (value, unit, kind, direction, period) whose subject is the entity.",
        "sql": f"SELECT {FIGURE_COLUMNS} FROM {FIGURE_TABLES} "
        f"WHERE {entity_match('f.subject_entity_id', 'f.subject')} ORDER BY {FIGURE_ORDER} LIMIT {CANNED_LIMIT}",
    },
    "top_entities": {
        "title": "Top entities since a date",
        "description": "Entities by number of mentions in articles published on or after :since (YYYY-MM-DD).",
        "sql": f"SELECT {TOP_ENTITY_COLUMNS} FROM {TOP_ENTITY_TABLES} WHERE a.published >= :since "
        f"{TOP_ENTITY_GROUP} LIMIT 100",
    },
}


def mention_rows(
    db: Database,
    *,
    entity_id: str | None = None,
    name: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int | None = None,
) -> list[dict]:
    """Mentions of a catalog entity (by id) or of an unlinked name, newest first: the reference that
    :func:`narrative.store.recent.mention_page` pages through quickly."""
    params: list[Any] = []
    if entity_id is not None:
        where = "m.entity_id = ?"
        params.append(entity_id)
    else:
        where = "m.entity_id IS NULL AND m.name = ? COLLATE NOCASE"
        params.append(name)
    window = published_window("a", since, until, params)
    sql = f"SELECT {MENTION_COLUMNS} FROM {MENTION_TABLES} WHERE {where}{window} ORDER BY {MENTION_ORDER}"
    if limit:
        sql += " LIMIT ?"
        params.append(limit)
    return _rows(db, sql, params)


def figure_rows(
    db: Database,
    *,
    entity_id: str | None = None,
    name: str | None = None,
    since: str | None = None,
    until: str | None = None,
    kind: str | None = None,
    limit: int | None = None,
) -> list[dict]:
    """Figures, optionally about one subject, newest first (the reference of
    :func:`narrative.store.recent.figure_page`)."""
    params: list[Any] = []
    where = "1 = 1"
    if entity_id is not None:
        where += " AND f.subject_entity_id = ?"
        params.append(entity_id)
    elif name is not None:
        where += " AND f.subject_entity_id IS NULL AND f.subject = ? COLLATE NOCASE"
        params.append(name)
    if kind:
        where += " AND f.kind = ?"
        params.append(kind)
    window = published_window("a", since, until, params)
    sql = f"SELECT {FIGURE_COLUMNS} FROM {FIGURE_TABLES} WHERE {where}{window} ORDER BY {FIGURE_ORDER}"
    if limit:
        sql += " LIMIT ?"
        params.append(limit)
    return _rows(db, sql, params)


def top_entity_rows(
    db: Database, *, since: str | None = None, until: str | None = None, limit: int = 20, linked_only: bool = False
) -> list[dict]:
    """Entities by number of mentions (and of distinct articles) in the window, counted from the mentions."""
    params: list[Any] = []
    window = published_window("a", since, until, params)
    linked = " AND m.entity_id IS NOT NULL" if linked_only else ""
    sql = f"SELECT {TOP_ENTITY_COLUMNS} FROM {TOP_ENTITY_TABLES} WHERE 1 = 1{linked}{window} {TOP_ENTITY_GROUP} LIMIT ?"
    params.append(limit)
    return _rows(db, sql, params)


def unlinked_names(db: Database, name: str) -> list[str]:
    """Every stored spelling of the unlinked name ``name`` (any case)."""
    sql = "SELECT DISTINCT name FROM mentions WHERE entity_id IS NULL AND name = ? COLLATE NOCASE"
    return [r[0] for r in db.execute(sql, [name])]


def known_names(db: Database) -> list[str]:
    """Every unlinked name in the store (the candidates of "did you mean")."""
    return [r[0] for r in db.execute("SELECT DISTINCT name FROM mentions WHERE entity_id IS NULL")]
