"""Reads that feed narrative scoring, and the writes of its results (one article at a time,
replaced whole and stamped with the scoring version)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from .db import placeholders, published_window, rows


def pending_for_scoring(
    db: Database,
    narrative: str,
    version: str,
    *,
    article_ids: Iterable[int] | None = None,
    force: bool = False,
    limit: int | None = None,
) -> list[int]:
    """Enriched articles without a current score for ``narrative``."""
    sql = (
        "SELECT e.article_id FROM enrichments e LEFT JOIN article_scores s ON s.article_id = e.article_id "
        "AND s.narrative = ? WHERE 1 = 1"
    )
    params: list[Any] = [narrative]
    if not force:
        sql += " AND (s.model_version IS NULL OR s.model_version != ?)"
        params.append(version)
    if article_ids is not None:
        ids = list(article_ids)
        if not ids:
            return []
        sql += f" AND e.article_id IN ({placeholders(ids)})"
        params += ids
    sql += " ORDER BY e.article_id"
    if limit:
        sql += " LIMIT ?"
        params.append(limit)
    return [row[0] for row in db.execute(sql, params)]


def article_material(db: Database, article_ids: list[int], narrative: str) -> dict[int, dict[str, Any]]:
    """Per article: language, sentences, linked entity ids per sentence, theme hits per sentence."""
    if not article_ids:
        return {}
    marks = placeholders(article_ids)
    material: dict[int, dict[str, Any]] = {
        row[0]: {"language": row[1], "sentences": [], "entities": defaultdict(set), "themes": defaultdict(set)}
        for row in db.execute(
            f"SELECT a.id, coalesce(e.language, a.language) FROM articles a "
            f"LEFT JOIN enrichments e ON e.article_id = a.id WHERE a.id IN ({marks})",
            article_ids,
        )
    }
    for article_id, idx, text in db.execute(
        f"SELECT article_id, idx, text FROM sentences WHERE article_id IN ({marks}) ORDER BY article_id, idx",
        article_ids,
    ):
        material[article_id]["sentences"].append((idx, text))
    for article_id, idx, entity_id in db.execute(
        f"SELECT article_id, sentence_idx, entity_id FROM mentions WHERE article_id IN ({marks}) "
        f"AND entity_id IS NOT NULL",
        article_ids,
    ):
        material[article_id]["entities"][idx].add(entity_id)
    for article_id, idx, theme in db.execute(
        f"SELECT article_id, sentence_idx, theme FROM phrase_hits WHERE narrative = ? AND article_id IN ({marks})",
        [narrative, *article_ids],
    ):
        material[article_id]["themes"][idx].add(theme)
    return material


def save_scores(
    db: Database,
    article_id: int,
    narrative: str,
    *,
    sentences: list[dict],
    entities: list[dict],
    article: dict,
    version: str,
    now: str,
) -> None:
    """Replace one article's scores for one narrative (call inside ``db.atomic()``)."""
    db.execute("DELETE FROM sentence_scores WHERE article_id = ? AND narrative = ?", [article_id, narrative])
    db.execute("DELETE FROM entity_sentiment WHERE article_id = ?", [article_id])
    db.execute("DELETE FROM article_scores WHERE article_id = ? AND narrative = ?", [article_id, narrative])
    db.conn.executemany(
        "INSERT INTO sentence_scores (article_id, sentence_idx, narrative, relevance, stance, label, negative, "
        "neutral, positive, themes, entities, model_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                article_id,
                s["index"],
                narrative,
                s["relevance"],
                s["stance"],
                s["label"],
                s["negative"],
                s["neutral"],
                s["positive"],
                json.dumps(s["themes"]),
                json.dumps(s["entities"]),
                version,
            )
            for s in sentences
        ],
    )
    db.conn.executemany(
        "INSERT OR REPLACE INTO entity_sentiment (article_id, sentence_idx, entity_id, label, negative, neutral, "
        "positive, model_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                article_id,
                e["sentence_idx"],
                e["entity_id"],
                e["label"],
                e["negative"],
                e["neutral"],
                e["positive"],
                version,
            )
            for e in entities
        ],
    )
    db.execute(
        "INSERT INTO article_scores (article_id, narrative, relevance, stance, tone, relevant_sentences, evidence, "
        "model_version, scored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            article_id,
            narrative,
            article["relevance"],
            article["stance"],
            article["tone"],
            article["relevant_sentences"],
            json.dumps(article["evidence"]),
            version,
            now,
        ],
    )


def scored_articles(
    db: Database, narrative: str, *, since: str | None = None, until: str | None = None
) -> list[dict[str, Any]]:
    """Every scored article of a narrative (``china-ai`` or ``china_ai``) with its date, title,
    URL and number of sources, oldest first."""
    if "article_scores" not in db.table_names():
        return []
    # m005 (issue 8) adds precision and zone; a read-only store opened before that migration derives the precision
    # from published_source as m005's backfill does.
    point_in_time = (
        "a.published_precision AS precision, a.source_tz"
        if "source_tz" in db["articles"].columns_dict
        else "CASE WHEN a.published_source IN ('date_only', 'relative', 'fetched') THEN a.published_source "
        "ELSE 'exact' END AS precision, NULL AS source_tz"
    )
    # m006 (issue 9): an article not yet placed in a story is its own story, and new.
    stories = (
        "COALESCE(a.story_id, a.id) AS story_id, COALESCE(a.novelty, 1.0) AS novelty"
        if "story_id" in db["articles"].columns_dict
        else "a.id AS story_id, 1.0 AS novelty"
    )
    sql = (
        f"SELECT s.article_id, a.published, {point_in_time}, a.title, a.url, s.relevance, s.stance, s.tone, "
        "s.evidence, (SELECT count(*) FROM article_sources x WHERE x.article_id = a.id) AS sources, "
        f"{stories} "
        "FROM article_scores s JOIN articles a ON a.id = s.article_id WHERE s.narrative IN (?, ?)"
    )
    params: list[Any] = [narrative, narrative.replace("-", "_")]
    sql += published_window("a", since, until, params)
    return rows(db, sql + " ORDER BY a.published", params)
