"""Read queries over the extraction tables. Every value goes in as a parameter."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from .db import published_window
from .db import rows as _rows


def mention_rows(db: Database, *, entity_id: str | None = None, name: str | None = None,
                 since: str | None = None, until: str | None = None, limit: int | None = None) -> list[dict]:
    """Mentions of a catalog entity (by id) or of an unlinked name, newest first."""
    params: list[Any] = []
    if entity_id is not None:
        where = "m.entity_id = ?"
        params.append(entity_id)
    else:
        where = "m.entity_id IS NULL AND m.name = ? COLLATE NOCASE"
        params.append(name)
    sql = f"""
        SELECT m.entity_id, m.name AS entity, m.surface, m.label, m.article_id, a.url, a.published, a.title,
               s.text AS sentence, m.sentence_idx, m.start, m."end", m.method, m.extractor_version
        FROM mentions m JOIN articles a ON a.id = m.article_id
        JOIN sentences s ON s.article_id = m.article_id AND s.idx = m.sentence_idx
        WHERE {where}{published_window("a", since, until, params)}
        ORDER BY a.published DESC, m.article_id, m.start"""
    if limit:
        sql += " LIMIT ?"
        params.append(limit)
    return _rows(db, sql, params)


def figure_rows(db: Database, *, entity_id: str | None = None, name: str | None = None,
                since: str | None = None, until: str | None = None, kind: str | None = None,
                limit: int | None = None) -> list[dict]:
    """Figures, optionally about one subject, newest first."""
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
    sql = f"""
        SELECT f.subject_entity_id, f.subject, f.value, f.value_high, f.unit, f.kind, f.direction, f.period,
               f.period_text, f.qualifier, f.negated, f.noun, f.surface, s.text AS sentence, a.published, a.url,
               f.article_id, f.sentence_idx, f.start, f."end", f.subject_method, f.extractor_version
        FROM figures f JOIN articles a ON a.id = f.article_id
        JOIN sentences s ON s.article_id = f.article_id AND s.idx = f.sentence_idx
        WHERE {where}{published_window("a", since, until, params)}
        ORDER BY a.published DESC, f.article_id, f.start"""
    if limit:
        sql += " LIMIT ?"
        params.append(limit)
    return _rows(db, sql, params)


def top_entity_rows(db: Database, *, since: str | None = None, until: str | None = None, limit: int = 20,
                    linked_only: bool = False) -> list[dict]:
    """Entities by number of mentions (and of distinct articles) in the window."""
    params: list[Any] = []
    window = published_window("a", since, until, params)
    linked = " AND m.entity_id IS NOT NULL" if linked_only else ""
    sql = f"""
        SELECT m.entity_id, coalesce(e.name, m.name) AS entity, coalesce(e.type, lower(m.label)) AS type,
               count(*) AS mentions, count(DISTINCT m.article_id) AS articles,
               min(a.published) AS first_seen, max(a.published) AS last_seen
        FROM mentions m JOIN articles a ON a.id = m.article_id LEFT JOIN entities e ON e.id = m.entity_id
        WHERE 1 = 1{linked}{window}
        GROUP BY coalesce(m.entity_id, lower(m.name))
        ORDER BY mentions DESC, articles DESC, entity
        LIMIT ?"""
    params.append(limit)
    return _rows(db, sql, params)


def unlinked_names(db: Database, name: str) -> list[str]:
    return [r[0] for r in db.execute(
        "SELECT DISTINCT name FROM mentions WHERE entity_id IS NULL AND name = ? COLLATE NOCASE", [name])]


def known_names(db: Database) -> list[str]:
    return [r[0] for r in db.execute("SELECT DISTINCT name FROM mentions WHERE entity_id IS NULL")]
