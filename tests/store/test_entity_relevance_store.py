"""Issue 10 item 5: enrich stores each entity's relevance to each article (m012 ``article_entities``), stamped with
the extractor and relevance versions, replaces them on re-enrichment, and recomputes them when the version changes."""

from __future__ import annotations

import pytest

from narrative.api.enrich import enrich_db
from narrative.nlp import entity_relevance as relevance
from narrative.store import open_db
from narrative.store.entity_relevance import article_entity_rows, stale_articles

ARTICLES = [
    (
        "Nvidia wins licence to sell AI chips in China",
        "Nvidia said on Monday it had received a licence to ship a slower data-centre chip to Chinese customers. "
        "Nvidia expects shipments to start next quarter. Rival Advanced Micro Devices was little changed, "
        "according to Reuters.",
    ),
    (
        "Oil prices climb as supply tightens",
        "Oil rose 2% on Tuesday. Exxon Mobil and Chevron gained in New York trading.",
    ),
]


def _store(path):
    db = open_db(path)
    with db.atomic():
        for n, (title, text) in enumerate(ARTICLES, start=1):
            db.execute(
                "INSERT INTO articles (id, title, text, published, published_source, title_hash, content_hash, "
                "first_seen_at, updated_at, ingest_version, language) VALUES (?, ?, ?, ?, 'archive', ?, ?, ?, ?, "
                "'test', 'en')",
                [n, title, text, f"2025-03-0{n}T09:00:00+00:00", f"t{n}", f"c{n}", "2025-03-10", "2025-03-10"],
            )
    return db


@pytest.fixture
def db(tmp_path):
    db = _store(str(tmp_path / "relevance.db"))
    yield db
    db.close()


def _relevance(db, article_id):
    return {row["entity_key"]: row for row in article_entity_rows(db, article_id)}


def test_issue_10_enrich_stores_relevance_per_article_and_entity(db):
    summary = enrich_db(db, score=False)
    assert summary.articles == 2
    chips = _relevance(db, 1)
    assert chips["nvidia"]["relevance"] >= 70 and chips["nvidia"]["in_title"] == 1
    assert chips["nvidia"]["mentions"] == 3 and chips["nvidia"]["linked"] == 1
    assert chips["amd"]["relevance"] < chips["nvidia"]["relevance"] - 30
    assert chips["reuters"]["linked"] == 0 and chips["reuters"]["relevance"] < 40
    assert set(chips["nvidia"]["features"]) == set(relevance.FEATURES)
    stamps = {v for (v,) in db.execute("SELECT DISTINCT version FROM article_entities")}
    assert stamps == {f"{summary.version}/{relevance.relevance_version()}"}
    # every (article, entity key) of the mentions has its row, and nothing else
    keys = set(
        db.execute(
            "SELECT DISTINCT article_id, entity_id IS NOT NULL, coalesce(entity_id, lower(name)) FROM mentions"
        ).fetchall()
    )
    assert keys == set(db.execute("SELECT article_id, linked, entity_key FROM article_entities").fetchall())


def test_issue_10_re_enrich_is_idempotent_and_a_new_version_recomputes(db, monkeypatch):
    enrich_db(db, score=False)
    before = db.execute("SELECT * FROM article_entities ORDER BY 1, 2, 3").fetchall()
    assert enrich_db(db, score=False).articles == 0  # nothing stale: nothing done
    assert stale_articles(db, db.execute("SELECT version FROM article_entities").fetchone()[0]) == []
    monkeypatch.setattr(relevance, "relevance_version", lambda: "relevance-test+00000000")
    assert enrich_db(db, score=False).articles == 2  # a new relevance version: every article's rows recomputed
    after = db.execute("SELECT * FROM article_entities ORDER BY 1, 2, 3").fetchall()
    assert [row[:-1] for row in after] == [row[:-1] for row in before]
    assert {row[-1].rsplit("/", 1)[1] for row in after} == {"relevance-test+00000000"}


def test_issue_10_articles_enriched_before_m012_get_their_rows(db):
    enrich_db(db, score=False)
    with db.atomic():
        db.execute("DELETE FROM article_entities WHERE article_id = 2")  # as a store enriched before m012
    version = db.execute("SELECT version FROM article_entities").fetchone()[0]
    assert [row[0] for row in stale_articles(db, version)] == [2]
    assert enrich_db(db, score=False).articles == 1
    assert _relevance(db, 2)
