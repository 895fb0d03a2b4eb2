"""What the market analysis and the claim check read from the store besides prices: stated figures, the articles
frame, sentence scores with their themes, per-entity sentiment and entity mentions. Parameterised SQL, pandas out;
nothing here computes a statistic (that is ``market/``'s job, on the frames returned here)."""

from __future__ import annotations

import json

import pandas as pd
from sqlite_utils import Database

from .db import placeholders
from .scores import scored_articles

# The articles frame (INTERFACES.md): the columns market/ may rely on, and the value a column takes while the
# migration that adds it has not run on this store (precision unknown -> "exact" as stored before m005;
# no story clustering -> each article is its own story and counts as new).
ARTICLE_COLUMNS = [
    "article_id",
    "published",
    "precision",
    "source_tz",
    "title",
    "url",
    "relevance",
    "stance",
    "tone",
    "evidence",
    "sources",
    "story_id",
    "novelty",
]


def claim_figures(db: Database, *, entity_ids: list[str] | None = None) -> pd.DataFrame:
    """Return figures (kind change, unit %) with a subject, with their sentence and article. A figure without a
    period is included (the claim checker reads it as YTD or 1D, issue 8)."""
    sql = (
        "SELECT f.id AS figure_id, f.article_id, a.published, a.published_source, a.title, a.url, "
        "f.subject_entity_id, f.subject, f.value, f.direction, f.period, f.period_text, f.qualifier, f.negated, "
        "f.surface, f.kind, f.unit, s.text AS sentence, f.start - s.start AS position "
        "FROM figures f JOIN articles a ON a.id = f.article_id "
        "LEFT JOIN sentences s ON s.article_id = f.article_id AND s.idx = f.sentence_idx "
        "WHERE f.kind = 'change' AND f.unit = '%' AND f.subject_entity_id IS NOT NULL"
    )
    params: list = []
    if entity_ids:
        sql += f" AND f.subject_entity_id IN ({placeholders(entity_ids)})"
        params += entity_ids
    return _frame(db, sql + " ORDER BY a.published, f.id", params)


def article_scores(db: Database, narrative: str, *, since: str | None = None, until: str | None = None) -> pd.DataFrame:
    """The articles frame of ``narrative``: one row per scored article, oldest first (columns ``ARTICLE_COLUMNS``).

    >>> from narrative.store import open_db
    >>> list(article_scores(open_db(":memory:"), "china-ai").columns) == ARTICLE_COLUMNS
    True
    """
    frame = pd.DataFrame(scored_articles(db, narrative, since=since, until=until))
    if frame.empty:
        return pd.DataFrame(columns=ARTICLE_COLUMNS)
    if "precision" not in frame:
        frame["precision"] = "exact"
    if "source_tz" not in frame:
        frame["source_tz"] = None
    if "story_id" not in frame:
        frame["story_id"] = frame["article_id"]
    if "novelty" not in frame:
        frame["novelty"] = 1.0
    frame["precision"] = frame["precision"].fillna("exact")
    frame["story_id"] = frame["story_id"].fillna(frame["article_id"]).astype(int)
    frame["novelty"] = frame["novelty"].fillna(1.0).astype(float)
    return frame[ARTICLE_COLUMNS + [c for c in frame.columns if c not in ARTICLE_COLUMNS]]


def sentence_scores(db: Database, narrative: str, *, article_ids: list[int]) -> pd.DataFrame:
    """Every scored sentence of ``article_ids`` for ``narrative``: ``article_id, sentence_idx, text, relevance,
    stance, themes`` (a list of theme ids), with the article's ``published``, ``title`` and ``url``."""
    columns = ["article_id", "sentence_idx", "text", "relevance", "stance", "themes", "published", "title", "url"]
    if not article_ids or "sentence_scores" not in db.table_names():
        return pd.DataFrame(columns=columns)
    frames = []
    for start in range(0, len(article_ids), 500):  # SQLite caps the parameters of one statement
        chunk = [int(a) for a in article_ids[start : start + 500]]
        frames.append(
            _frame(
                db,
                "SELECT ss.article_id, ss.sentence_idx, s.text, ss.relevance, ss.stance, ss.themes, a.published, "
                "a.title, a.url FROM sentence_scores ss JOIN articles a ON a.id = ss.article_id "
                "LEFT JOIN sentences s ON s.article_id = ss.article_id AND s.idx = ss.sentence_idx "
                f"WHERE ss.narrative IN (?, ?) AND ss.article_id IN ({placeholders(chunk)}) "
                "ORDER BY a.published, ss.article_id, ss.sentence_idx",
                [narrative, narrative.replace("-", "_"), *chunk],
            )
        )
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    frame["themes"] = [_json_list(v) for v in frame["themes"]]
    return frame[columns]


def entity_sentiment(db: Database, *, article_ids: list[int]) -> pd.DataFrame:
    """Sentiment toward each entity in ``article_ids``: ``article_id, published, entity_id, entity, sentiment``
    (positive minus negative probability, -1..1), one row per sentence and entity."""
    columns = ["article_id", "published", "entity_id", "entity", "sentiment"]
    if not article_ids or "entity_sentiment" not in db.table_names():
        return pd.DataFrame(columns=columns)
    return _frame_for_articles(
        db,
        "SELECT es.article_id, a.published, es.entity_id, COALESCE(e.name, es.entity_id) AS entity, "
        "es.positive - es.negative AS sentiment FROM entity_sentiment es JOIN articles a "
        "ON a.id = es.article_id LEFT JOIN entities e ON e.id = es.entity_id "
        "WHERE es.article_id IN ({ids}) ORDER BY a.published",
        article_ids,
        columns,
    )


def article_entities(db: Database, *, article_ids: list[int]) -> pd.DataFrame:
    """The entities named in ``article_ids`` (linked name, else the surface name): ``article_id, entity``."""
    columns = ["article_id", "entity"]
    if not article_ids:
        return pd.DataFrame(columns=columns)
    return _frame_for_articles(
        db,
        "SELECT m.article_id, COALESCE(e.name, m.name) AS entity FROM mentions m LEFT JOIN entities e "
        "ON e.id = m.entity_id WHERE m.article_id IN ({ids})",
        article_ids,
        columns,
    )


def _json_list(value) -> list:
    try:
        parsed = json.loads(value or "[]")
    except (TypeError, ValueError):
        return []
    return parsed if isinstance(parsed, list) else []


def _frame(db: Database, sql: str, params: list) -> pd.DataFrame:
    cursor = db.execute(sql, params)
    return pd.DataFrame(cursor.fetchall(), columns=[d[0] for d in cursor.description])


def _frame_for_articles(db: Database, sql: str, article_ids: list[int], columns: list[str]) -> pd.DataFrame:
    """Run ``sql`` (whose ``{ids}`` is the IN list) over ``article_ids`` in chunks of 500 (SQLite's variable
    limit) and return ``columns`` of the rows, in chunk order."""
    frames = []
    for start in range(0, len(article_ids), 500):
        chunk = [int(a) for a in article_ids[start : start + 500]]
        frames.append(_frame(db, sql.format(ids=placeholders(chunk)), chunk))
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)
