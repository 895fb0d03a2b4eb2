"""Writing extraction results: each article's rows are replaced whole, in one transaction,
and stamped with the extractor version, so re-enrichment never leaves a mix of versions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Protocol

from sqlite_utils import Database

from .db import placeholders

_TABLES = ("sentences", "mentions", "people", "figures", "phrase_hits")


class ExtractionLike(Protocol):  # narrative.nlp.types.Extraction, without importing nlp here
    language: str
    sentences: list
    mentions: list
    people: list
    figures: list
    phrase_hits: list


def sync_entities(db: Database, catalog: Any) -> None:
    """Make the ``entities`` table a snapshot of the catalog (call inside a transaction)."""
    db.execute("DELETE FROM entities")
    rows = [
        [
            e.id,
            e.name,
            e.type,
            e.country,
            int(e.chinese),
            e.parent,
            json.dumps(list(e.aliases + e.exact_aliases)),
            json.dumps(list(e.zh), ensure_ascii=False),
            json.dumps(list(e.tickers)),
            json.dumps([listing.model_dump() for listing in e.listings]),
            catalog.version,
        ]
        for e in catalog.entities
    ]
    db.conn.executemany(
        "INSERT INTO entities (id, name, type, country, chinese, parent, aliases, zh, tickers, listings, "
        "catalog_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def pending_articles(
    db: Database, version: str, *, limit: int | None = None, article_ids: Iterable[int] | None = None
) -> list[tuple[int, str, str, str | None]]:
    """Articles not yet enriched by ``version``: (id, title, text, language)."""
    sql = (
        "SELECT a.id, a.title, a.text, a.language FROM articles a LEFT JOIN enrichments e "
        "ON e.article_id = a.id WHERE (e.extractor_version IS NULL OR e.extractor_version != ?)"
    )
    params: list[Any] = [version]
    if article_ids is not None:
        ids = list(article_ids)
        if not ids:
            return []
        sql += f" AND a.id IN ({placeholders(ids)})"
        params += ids
    sql += " ORDER BY a.id"
    if limit:
        sql += " LIMIT ?"
        params.append(limit)
    return db.execute(sql, params).fetchall()


def save_extraction(db: Database, article_id: int, result: ExtractionLike, *, version: str, now: str) -> None:
    """Replace every extraction row of one article (call inside ``db.atomic()``)."""
    for table in _TABLES:
        db.execute(f"DELETE FROM {table} WHERE article_id = ?", [article_id])
    conn = db.conn
    conn.executemany(
        'INSERT INTO sentences (article_id, idx, start, "end", text, extractor_version) VALUES (?, ?, ?, ?, ?, ?)',
        [(article_id, s.index, s.start, s.end, s.text, version) for s in result.sentences],
    )
    conn.executemany(
        'INSERT INTO mentions (article_id, sentence_idx, entity_id, name, label, surface, start, "end", method, '
        "extractor_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (article_id, m.sentence, m.entity_id, m.name, m.label, m.surface, m.start, m.end, m.method, version)
            for m in result.mentions
        ],
    )
    conn.executemany(
        "INSERT INTO people (article_id, sentence_idx, name, entity_id, role, org, org_entity_id, quote, start, "
        '"end", extractor_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [
            (
                article_id,
                p.sentence,
                p.name,
                p.entity_id,
                p.role,
                p.org,
                p.org_entity_id,
                p.quote,
                p.start,
                p.end,
                version,
            )
            for p in result.people
        ],
    )
    conn.executemany(
        "INSERT INTO figures (article_id, sentence_idx, subject_entity_id, subject, subject_method, value, "
        'value_high, unit, kind, direction, period, period_text, qualifier, negated, noun, surface, start, "end", '
        "extractor_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                article_id,
                f.sentence,
                f.subject_entity_id,
                f.subject,
                f.subject_method,
                f.value,
                f.value_high,
                f.unit,
                f.kind,
                f.direction,
                f.period,
                f.period_text,
                f.qualifier,
                int(f.negated),
                f.noun,
                f.surface,
                f.start,
                f.end,
                version,
            )
            for f in result.figures
        ],
    )
    conn.executemany(
        'INSERT INTO phrase_hits (article_id, sentence_idx, narrative, theme, surface, pattern, start, "end", '
        "extractor_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (article_id, h.sentence, h.narrative, h.theme, h.surface, h.pattern, h.start, h.end, version)
            for h in result.phrase_hits
        ],
    )
    conn.execute(
        "INSERT OR REPLACE INTO enrichments (article_id, extractor_version, language, sentences, mentions, figures, "
        "phrase_hits, enriched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            article_id,
            version,
            result.language,
            len(result.sentences),
            len(result.mentions),
            len(result.figures),
            len(result.phrase_hits),
            now,
        ),
    )
