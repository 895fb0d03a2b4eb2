"""The per-mention entity sentiment table (m011, issue 10 item 4): what is pending, round trip, versions, and that a
mention's sentiment goes with the mention."""

from __future__ import annotations

from narrative.store import open_db
from narrative.store.mention_sentiment import (
    attach_mention_sentiment,
    pending_mentions,
    save_mention_sentiment,
    sentiment_rows,
)


def _store():
    db = open_db(":memory:")
    db.execute(
        "INSERT INTO articles (id, title, published, published_source, title_hash, content_hash, first_seen_at, "
        "updated_at, ingest_version) VALUES (1, 't', '2025-01-02T08:00:00+00:00', 'feed', 'h', 'c', 'n', 'n', "
        "'v'), (2, 't2', '2025-01-03T08:00:00+00:00', 'feed', 'h2', 'c2', 'n', 'n', 'v')"
    )
    sentence = "Report. Infosys gains while Wipro slips"
    db.execute(
        'INSERT INTO sentences (article_id, idx, start, "end", text, extractor_version) VALUES '
        "(1, 1, 8, 47, ?, 'x'), (2, 0, 0, 11, 'Wipro falls', 'x')",
        [sentence[8:]],
    )
    db.execute(
        'INSERT INTO mentions (id, article_id, sentence_idx, entity_id, name, label, surface, start, "end", '
        "method, extractor_version) VALUES (10, 1, 1, NULL, 'Infosys', 'ORG', 'Infosys', 8, 15, 'ner', 'x'), "
        "(11, 1, 1, NULL, 'Wipro', 'ORG', 'Wipro', 28, 33, 'ner', 'x'), "
        "(12, 2, 0, NULL, 'Wipro', 'ORG', 'Wipro', 0, 5, 'ner', 'x')"
    )
    return db


def test_issue_10_pending_offsets_are_in_the_sentence():
    pending = {m.mention_id: m for m in pending_mentions(_store(), "v1")}
    assert set(pending) == {10, 11, 12}
    wipro = pending[11]
    assert wipro.sentence[wipro.start : wipro.end] == "Wipro" and wipro.surface == "Wipro"


def test_issue_10_round_trip_and_new_version_makes_rows_pending():
    db = _store()
    pending = pending_mentions(db, "v1", article_ids=[1, 2])
    labels = {10: ("positive", 0.05, 0.1, 0.85), 11: ("negative", 0.8, 0.15, 0.05), 12: ("negative", 0.7, 0.2, 0.1)}
    with db.atomic():
        written = save_mention_sentiment(
            db, [(m, *labels[m.mention_id], "model") for m in pending], version="v1", now="2025-01-04T00:00:00+00:00"
        )
    assert written == 3
    assert pending_mentions(db, "v1") == [] and pending_mentions(db, "v1", article_ids=[2]) == []
    assert {m.mention_id for m in pending_mentions(db, "v2", article_ids=[])} == {10, 11, 12}
    rows = sentiment_rows(db, name="wipro")
    assert [(r["day"], r["label"], r["polarity"]) for r in rows] == [
        ("2025-01-02", "negative", -0.75),
        ("2025-01-03", "negative", -0.6),
    ]
    assert all(r["scorer_version"] == "v1" and r["relevance"] is None for r in rows)
    shown = attach_mention_sentiment(
        db, [{"article_id": 1, "start": 8, "end": 15}, {"article_id": 2, "start": 0, "end": 4}]
    )
    assert shown[0]["sentiment"] == "positive" and shown[0]["polarity"] == 0.8 and shown[1]["sentiment"] is None


def test_issue_10_sentiment_goes_with_its_mention():
    db = _store()
    with db.atomic():
        save_mention_sentiment(
            db, [(m, "neutral", 0.1, 0.8, 0.1, "model") for m in pending_mentions(db, "v1")], version="v1", now="n"
        )
    db.execute("DELETE FROM mentions WHERE article_id = 1")  # what re-enrichment does before writing new rows
    assert [r[0] for r in db.execute("SELECT mention_id FROM mention_sentiment")] == [12]


def test_issue_10_unscored_mentions_outside_the_hint_are_found():
    db = _store()
    with db.atomic():
        save_mention_sentiment(
            db,
            [(m, "neutral", 0.1, 0.8, 0.1, "model") for m in pending_mentions(db, "v1") if m.article_id == 2],
            version="v1",
            now="n",
        )
    # article 1 was never scored (a store from before m011): a hint naming article 2 only still finds it
    assert {m.mention_id for m in pending_mentions(db, "v1", article_ids=[2])} == {10, 11}


def test_issue_10_a_backlog_comes_in_pieces():
    db = _store()
    seen, version = [], "v1"
    for _ in range(10):  # a stale version and unscored rows, two at a time, until nothing is pending
        piece = pending_mentions(db, version, limit=2)
        if not piece:
            break
        assert len(piece) <= 2
        seen += [m.mention_id for m in piece]
        with db.atomic():
            save_mention_sentiment(
                db, [(m, "neutral", 0.1, 0.8, 0.1, "model") for m in piece], version=version, now="n"
            )
        if seen == [10, 11, 12]:
            version = "v2"  # a new model: every row is pending again
    assert seen == [10, 11, 12, 10, 11, 12]
