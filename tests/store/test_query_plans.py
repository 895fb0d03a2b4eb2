"""Issue 12 item 3: every query command's SQL searches an index of the big tables; none scans them whole
(EXPLAIN QUERY PLAN on a migrated store). A page of every figure, or of a popular entity's mentions, walks the
articles' publication-time index newest first and stops when the page is full: a covering-index walk, allowed."""

from __future__ import annotations

import re

import pytest

from narrative.store import aggregates, open_db, recent

BIG = {
    "articles",
    "mentions",
    "sentences",
    "figures",
    "article_scores",
    "article_sources",
    "phrase_hits",
    "people",
    "sentence_scores",
    "entity_sentiment",
    "entity_days",
}
ALIASES = {"a": "articles", "m": "mentions", "s": "sentences", "f": "figures", "d": "entity_days"}


class Recorder:
    """Wraps a store and keeps every SELECT the query functions run, with its parameters."""

    def __init__(self, db):
        self.db, self.statements = db, []

    def execute(self, sql, params=()):
        if sql.lstrip().upper().startswith("SELECT"):
            self.statements.append((sql, list(params)))
        return self.db.execute(sql, params)

    def __getattr__(self, name):
        return getattr(self.db, name)


def _scans(db, sql, params) -> list[str]:
    plan = [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql, params)]
    found = []
    for line in plan:
        match = re.match(r"SCAN (\w+)", line)
        if match and ALIASES.get(match.group(1), match.group(1)) in BIG and "COVERING INDEX" not in line:
            found.append(line)
    return found


@pytest.mark.parametrize(
    "call",
    [
        lambda db: aggregates.top_entities(db),
        lambda db: aggregates.top_entities(db, linked_only=True),
        lambda db: aggregates.top_entities(db, since_day="2025-03-01", until_day="2025-03-08"),
        lambda db: aggregates.top_entities(db, since_day="2025-03-01", linked_only=True),
        lambda db: aggregates.narrative_day_rows(db, "china-ai", "all", first_day="2025-01-01", last_day="2025-03-01"),
        lambda db: aggregates.dirty_days(db, "index", "china-ai"),
        lambda db: aggregates.has_scores(db, "china-ai"),
        lambda db: aggregates.index_inputs(db, "china-ai", since="2025-01-01", until="2025-03-01", min_relevance=0.5),
        lambda db: recent.mention_page(db, entity_id="alibaba", limit=50),
        lambda db: recent.mention_page(db, name="Jack Ma", limit=50, since="2025-03-01T00:00:00+00:00"),
        lambda db: recent.figure_page(db, entity_id="alibaba", limit=50),
        lambda db: recent.figure_page(db, name="Jack Ma", limit=50),
        lambda db: recent.figure_page(db, limit=50, kind="change"),
    ],
    ids=[
        "entities",
        "entities-linked",
        "entities-window",
        "entities-window-linked",
        "index-days",
        "index-dirty",
        "index-known",
        "index-window",
        "mentions-entity",
        "mentions-name",
        "figures-entity",
        "figures-name",
        "figures-all",
    ],
)
def test_issue_12_query_commands_scan_no_big_table(call):
    db = open_db(":memory:")
    recorder = Recorder(db)
    call(recorder)
    assert recorder.statements
    for sql, params in recorder.statements:
        assert _scans(db, sql, params) == [], sql


def test_issue_12_a_popular_entity_is_paged_by_walking_articles_newest_first(monkeypatch):
    db = open_db(":memory:")
    db.execute(
        "INSERT INTO entity_totals (linked, entity_key, entity_id, name, label, mentions, articles, "
        "first_seen, last_seen, aggregator_version) "
        "VALUES (1, 'alibaba', 'alibaba', 'Alibaba', 'ORG', 5000, 4000, "
        "'2020-01-01', '2021-01-01', 'agg-1')"
    )
    recorder = Recorder(db)
    recent.mention_page(recorder, entity_id="alibaba", limit=50)
    sql, params = next(st for st in recorder.statements if st[0].startswith("SELECT m.id"))  # the page's keys
    plan = [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql, params)]
    assert plan[0].startswith("SCAN a USING") and "idx_articles_published" in plan[0], plan
    assert "idx_mentions_entity" in plan[1], plan


def test_issue_12_popular_unlinked_names_and_subjects_walk_articles_by_article():
    db = open_db(":memory:")
    db.execute(
        "INSERT INTO entity_totals (linked, entity_key, entity_id, name, label, mentions, articles, "
        "first_seen, last_seen, aggregator_version) VALUES (0, 'u.s', NULL, 'U.S', 'GPE', 5000, 4000, "
        "'2020-01-01', '2021-01-01', 'agg-1')"
    )
    for call, keys in (
        (lambda r: recent.mention_page(r, name="U.S", limit=50), "SELECT m.id"),
        (lambda r: recent.figure_page(r, name="U.S", limit=50), "SELECT f.id"),
    ):
        recorder = Recorder(db)
        call(recorder)
        sql, params = next(st for st in recorder.statements if st[0].startswith(keys))
        plan = [row[3] for row in db.execute("EXPLAIN QUERY PLAN " + sql, params)]
        assert "idx_articles_published" in plan[0] and "article_id=?)" in plan[1], plan
