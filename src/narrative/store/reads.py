"""What the market analysis and the claim check read from the store besides prices: stated figures, article scores,
evidence sentences, and the entities and phrases of a window. Parameterised SQL, pandas out."""

from __future__ import annotations

import json

import pandas as pd
from sqlite_utils import Database

from .db import placeholders
from .scores import scored_articles

CLAIM_PERIODS_SQL = "f.period IS NOT NULL AND f.period != ''"


def claim_figures(db: Database, *, entity_ids: list[str] | None = None) -> pd.DataFrame:
    """Return figures (kind change, unit %) with a subject and a period, with their sentence and article."""
    sql = ("SELECT f.id AS figure_id, f.article_id, a.published, a.published_source, a.title, a.url, "
           "f.subject_entity_id, f.subject, f.value, f.direction, f.period, f.period_text, f.qualifier, f.negated, "
           "f.surface, s.text AS sentence, f.start - s.start AS position "
           "FROM figures f JOIN articles a ON a.id = f.article_id "
           "LEFT JOIN sentences s ON s.article_id = f.article_id AND s.idx = f.sentence_idx "
           f"WHERE f.kind = 'change' AND f.unit = '%' AND f.subject_entity_id IS NOT NULL AND {CLAIM_PERIODS_SQL}")
    params: list = []
    if entity_ids:
        sql += f" AND f.subject_entity_id IN ({placeholders(entity_ids)})"
        params += entity_ids
    return _frame(db, sql + " ORDER BY a.published, f.id", params)


def article_scores(db: Database, narrative: str, *, since: str | None = None, until: str | None = None
                   ) -> pd.DataFrame:
    """Per-article scores of ``narrative`` with the article's UTC publication time."""
    return pd.DataFrame(scored_articles(db, narrative, since=since, until=until),
                        columns=["article_id", "published", "title", "url", "relevance", "stance", "tone",
                                 "evidence", "sources"])


def evidence_sentences(db: Database, rows: pd.DataFrame, *, limit: int = 3) -> list[dict]:
    """The strongest evidence sentences of the article score ``rows`` (``evidence`` JSON -> sentences)."""
    picked: list[tuple[float, int, int, float]] = []
    for row in rows.itertuples():
        try:
            evidence = json.loads(row.evidence or "[]")
        except (TypeError, ValueError):
            continue
        for item in evidence:
            if "sentence_idx" not in item:
                continue
            weight = abs(float(item.get("stance", 0.0))) * float(item.get("relevance", 1.0))
            picked.append((weight, int(row.article_id), int(item["sentence_idx"]), float(item.get("stance", 0.0))))
    picked.sort(reverse=True)
    out = []
    for weight, article_id, idx, stance in picked:
        found = db.execute("SELECT s.text, a.title, a.published, a.url FROM sentences s JOIN articles a "
                           "ON a.id = s.article_id WHERE s.article_id = ? AND s.idx = ?", [article_id, idx]).fetchone()
        if found and all(o["sentence"] != found[0] for o in out):
            out.append({"article_id": article_id, "sentence_idx": idx, "stance": round(stance, 3),
                        "sentence": found[0], "title": found[1], "published": found[2], "url": found[3]})
        if len(out) >= limit:
            break
    return out


def window_terms(db: Database, article_ids: list[int], narrative: str, *, limit: int = 5) -> dict[str, list[dict]]:
    """Top entities (by mentions) and narrative phrases (by hits) in ``article_ids``."""
    if not article_ids:
        return {"entities": [], "phrases": []}
    marks = placeholders(article_ids)
    entities = db.execute(
        f"SELECT COALESCE(e.name, m.name) AS name, COUNT(*) AS n FROM mentions m LEFT JOIN entities e "
        f"ON e.id = m.entity_id WHERE m.article_id IN ({marks}) GROUP BY 1 ORDER BY n DESC, name LIMIT ?",
        [*article_ids, limit]).fetchall()
    phrases = db.execute(
        f"SELECT theme, COUNT(*) AS n FROM phrase_hits WHERE article_id IN ({marks}) AND narrative IN (?, ?) "
        f"GROUP BY theme ORDER BY n DESC, theme LIMIT ?",
        [*article_ids, narrative, narrative.replace("-", "_"), limit]).fetchall()
    return {"entities": [{"name": n, "count": c} for n, c in entities],
            "phrases": [{"theme": t, "count": c} for t, c in phrases]}


def _frame(db: Database, sql: str, params: list) -> pd.DataFrame:
    cursor = db.execute(sql, params)
    return pd.DataFrame(cursor.fetchall(), columns=[d[0] for d in cursor.description])
