"""Reads that feed story assignment and the writes of its results: each article's story, novelty and assigner
version, and one ``stories`` row per story (first seen, first article, size, languages, version)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from .db import placeholders, published_window, rows

HEAD_SENTENCES = 8  # title and lead sit in the first few stored sentences; later ones are never read
TEXT_CHARS = 2000  # enough text for a lead when an article has no stored sentences


def earliest_unassigned(db: Database, version: str, *, article_ids: Iterable[int] | None = None) -> str | None:
    """Publication time of the earliest article (of ``article_ids``, or of all) not placed by ``version``.

    >>> from narrative.store import open_db
    >>> earliest_unassigned(open_db(":memory:"), "stories-1") is None
    True
    """
    sql = "SELECT min(published) FROM articles WHERE (story_version IS NULL OR story_version != ?)"
    params: list[Any] = [version]
    if article_ids is not None:
        ids = list(article_ids)
        if not ids:
            return None
        sql += f" AND id IN ({placeholders(ids)})"
        params += ids
    return db.execute(sql, params).fetchone()[0]


def story_material(
    db: Database, *, since: str, until: str | None = None, placed_only: bool = False
) -> list[dict[str, Any]]:
    """Articles published in ``[since, until)``, oldest first, with what story assignment reads: title, the head
    of the text, language, current story, and their first stored sentences with the catalog entities and
    figures found in each (``sentences``: list of ``{idx, start, text, entities, figures}``).

    ``placed_only`` keeps articles that already have a story (the context of a later run).
    """
    sql = (
        "SELECT a.id, a.published, a.title, substr(a.text, 1, ?) AS text, "
        "coalesce(e.language, a.language) AS language, a.story_id, a.story_version, s.first_seen "
        "FROM articles a LEFT JOIN enrichments e ON e.article_id = a.id "
        "LEFT JOIN stories s ON s.id = a.story_id WHERE a.published >= ?"
    )
    params: list[Any] = [TEXT_CHARS, since]
    if until is not None:
        sql += " AND a.published < ?"
        params.append(until)
    if placed_only:
        sql += " AND a.story_id IS NOT NULL"
    articles = rows(db, sql + " ORDER BY a.published, a.id", params)
    by_id = {a["id"]: a | {"sentences": {}} for a in articles}
    if not by_id:
        return []
    window = "a.published >= ?" + (" AND a.published < ?" if until is not None else "")
    window_params = [since] + ([until] if until is not None else [])
    for article_id, idx, start, text in db.execute(
        f"SELECT s.article_id, s.idx, s.start, s.text FROM sentences s JOIN articles a ON a.id = s.article_id "
        f"WHERE {window} AND s.idx < ?",
        [*window_params, HEAD_SENTENCES],
    ):
        if article_id in by_id:
            by_id[article_id]["sentences"][idx] = {
                "idx": idx,
                "start": start,
                "text": text,
                "entities": set(),
                "figures": set(),
            }
    for article_id, idx, entity_id in db.execute(
        f"SELECT m.article_id, m.sentence_idx, m.entity_id FROM mentions m JOIN articles a ON a.id = m.article_id "
        f"WHERE {window} AND m.sentence_idx < ? AND m.entity_id IS NOT NULL",
        [*window_params, HEAD_SENTENCES],
    ):
        sentence = by_id.get(article_id, {}).get("sentences", {}).get(idx)
        if sentence is not None:
            sentence["entities"].add(entity_id)
    for article_id, idx, unit, value in db.execute(
        f"SELECT f.article_id, f.sentence_idx, f.unit, f.value FROM figures f JOIN articles a ON a.id = f.article_id "
        f"WHERE {window} AND f.sentence_idx < ?",
        [*window_params, HEAD_SENTENCES],
    ):
        sentence = by_id.get(article_id, {}).get("sentences", {}).get(idx)
        if sentence is not None:
            sentence["figures"].add((unit, value))
    for article in by_id.values():
        article["sentences"] = [article["sentences"][k] for k in sorted(article["sentences"])]
    return list(by_id.values())


def save_placements(db: Database, placements: Iterable[tuple[int, int, float]], *, version: str, now: str) -> int:
    """Write ``(article_id, story_id, novelty)`` rows and rebuild every story they touch (the stories the
    articles leave and the ones they join). Call inside ``db.atomic()``. Returns the number of stories rebuilt."""
    placements = list(placements)
    if not placements:
        return 0
    ids = [p[0] for p in placements]
    touched: set[int] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        touched |= {
            r[0]
            for r in db.execute(
                f"SELECT story_id FROM articles WHERE id IN ({placeholders(chunk)}) AND story_id IS NOT NULL", chunk
            )
        }
    db.conn.executemany(
        "UPDATE articles SET story_id = ?, novelty = ?, story_version = ? WHERE id = ?",
        [(story, novelty, version, article) for article, story, novelty in placements],
    )
    touched |= {p[1] for p in placements}
    rebuild_stories(db, touched, version=version, now=now)
    return len(touched)


def rebuild_stories(db: Database, story_ids: Iterable[int], *, version: str, now: str) -> None:
    """Recompute the ``stories`` rows of ``story_ids`` from their articles (deleting stories left empty)."""
    story_ids = sorted(set(story_ids))
    for start in range(0, len(story_ids), 500):
        chunk = story_ids[start : start + 500]
        marks = placeholders(chunk)
        db.execute(f"DELETE FROM stories WHERE id IN ({marks})", chunk)
        members: dict[int, list[tuple[str, int, str | None]]] = defaultdict(list)
        for story, published, article_id, language in db.execute(
            f"SELECT a.story_id, a.published, a.id, coalesce(e.language, a.language) FROM articles a "
            f"LEFT JOIN enrichments e ON e.article_id = a.id WHERE a.story_id IN ({marks}) "
            f"ORDER BY a.published, a.id",
            chunk,
        ):
            members[story].append((published, article_id, language))
        db.conn.executemany(
            "INSERT INTO stories (id, first_seen, first_article_id, articles, languages, assigner_version, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    story,
                    group[0][0],
                    group[0][1],
                    len(group),
                    json.dumps(sorted({g[2] for g in group if g[2]})),
                    version,
                    now,
                )
                for story, group in members.items()
            ],
        )


def story_rows(
    db: Database, *, since: str | None = None, until: str | None = None, min_articles: int = 1, limit: int | None = None
) -> list[dict[str, Any]]:
    """Stories first seen in ``[since, until)``, newest first, with their first article's title.

    >>> from narrative.store import open_db
    >>> story_rows(open_db(":memory:"))
    []
    """
    sql = (
        "SELECT s.id, s.first_seen, s.articles, s.languages, a.title, a.url, s.assigner_version "
        "FROM stories s JOIN articles a ON a.id = s.first_article_id WHERE s.articles >= ?"
    )
    params: list[Any] = [min_articles]
    sql += published_window("s", since, until, params, column="first_seen")
    sql += " ORDER BY s.first_seen DESC, s.id DESC"
    if limit:
        sql += " LIMIT ?"
        params.append(limit)
    return rows(db, sql, params)
