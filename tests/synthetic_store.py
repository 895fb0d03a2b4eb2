"""Helpers building a small synthetic store for the report and market-API tests: real exchange sessions,
prices, scored articles with sentences, themes and per-entity sentiment, some of them dated by day only."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pandas as pd

LISTINGS = (
    ("BABA", "NYSE", "XNYS"),
    ("QQQ", "NASDAQ", "XNYS"),
    ("9988.HK", "HKEX", "XHKG"),
    ("^HSI", "Hang Seng Indexes", "XHKG"),
)


def sessions(code: str, start: str = "2023-06-01", end: str = "2024-12-31") -> pd.DatetimeIndex:
    import exchange_calendars as xcals

    return xcals.get_calendar(code).sessions_in_range(start, end)


def insert_prices(db, ticker: str, exchange: str, days, closes) -> None:
    now = datetime.now(UTC).isoformat()
    db["prices"].insert_all(
        [
            {
                "ticker": ticker,
                "date": str(pd.Timestamp(d).date()),
                "close": float(c),
                "adj_close": float(c),
                "currency": "USD",
                "exchange": exchange,
                "source": "test",
                "imported_at": now,
            }
            for d, c in zip(days, closes)
        ]
    )


def insert_articles(db, items: list[dict]) -> None:
    """``items``: dicts with published, precision, relevance, stance, sentences [(text, stance, themes)],
    entities [(entity_id, positive, negative)]."""
    now = datetime.now(UTC).isoformat()
    for i, item in enumerate(items, 1):
        db["articles"].insert(
            {
                "id": i,
                "title": item.get("title", f"Story {i}"),
                "published": item["published"],
                "published_source": "date_only" if item["precision"] == "date_only" else "published",
                "published_precision": item["precision"],
                "title_hash": f"t{i}",
                "content_hash": f"c{i}",
                "first_seen_at": now,
                "updated_at": now,
                "ingest_version": "test",
            },
            alter=True,
        )
        evidence = []
        for j, (text, stance, themes) in enumerate(item["sentences"]):
            db["sentences"].insert(
                {"article_id": i, "idx": j, "start": 0, "end": len(text), "text": text, "extractor_version": "test"}
            )
            db["sentence_scores"].insert(
                {
                    "article_id": i,
                    "sentence_idx": j,
                    "narrative": "china-ai",
                    "relevance": item["relevance"],
                    "stance": stance,
                    "label": "neutral",
                    "negative": 0.0,
                    "neutral": 1.0,
                    "positive": 0.0,
                    "themes": json.dumps(themes),
                    "entities": "[]",
                    "model_version": "test",
                }
            )
            evidence.append({"sentence_idx": j, "stance": stance, "relevance": item["relevance"]})
        for entity_id, positive, negative in item.get("entities", []):
            db["entity_sentiment"].insert(
                {
                    "article_id": i,
                    "sentence_idx": 0,
                    "entity_id": entity_id,
                    "label": "positive" if positive > negative else "negative",
                    "negative": negative,
                    "neutral": 1 - positive - negative,
                    "positive": positive,
                    "model_version": "test",
                }
            )
        db["article_scores"].insert(
            {
                "article_id": i,
                "narrative": "china-ai",
                "relevance": item["relevance"],
                "stance": item["stance"],
                "tone": 0.0,
                "relevant_sentences": 1,
                "evidence": json.dumps(evidence),
                "model_version": "test",
                "scored_at": now,
            }
        )


def synthetic_articles(n: int = 120, *, date_only_every: int = 4) -> list[dict]:
    """``n`` relevant articles every ~2.5 days through 2024, stance negative then positive; every
    ``date_only_every``-th is dated by day only (stored at midnight UTC)."""
    start = datetime(2024, 1, 2, 14, tzinfo=UTC)
    items = []
    for i in range(n):
        moment = start + timedelta(hours=61 * i)
        date_only = date_only_every and i % date_only_every == 0
        if date_only:
            moment = moment.replace(hour=0)
        stance = (0.6 if i > n // 2 else -0.4) + 0.1 * (i % 3)
        items.append(
            {
                "published": moment.isoformat(),
                "precision": "date_only" if date_only else "exact",
                "relevance": 0.8 if i % 5 else 0.3,
                "stance": stance,
                "title": f"Story {i}",
                "sentences": [
                    (
                        f"Sentence {i} on the narrative, leaning {'up' if stance > 0 else 'down'}.",
                        stance,
                        ["export_controls"] if i % 2 else ["model_competitiveness"],
                    ),
                    (f"Counterpoint {i}.", -stance / 2, []),
                ],
                "entities": [("alibaba", 0.7, 0.1) if stance > 0 else ("alibaba", 0.1, 0.8)],
            }
        )
    return items


def build_report_store(path) -> None:
    """The report tests' store at ``path``: the four listings' prices (a seeded random walk over their real sessions)
    and the 120 synthetic articles."""
    import numpy as np

    from narrative.store import open_db

    db = open_db(path)
    rng = np.random.default_rng(5)
    for ticker, exchange, code in LISTINGS:
        days = sessions(code)
        insert_prices(db, ticker, exchange, days, 100 * np.exp(np.cumsum(rng.normal(0.0005, 0.015, len(days)))))
    insert_articles(db, synthetic_articles())
    db.close()
