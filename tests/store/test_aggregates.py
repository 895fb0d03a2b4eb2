"""Issue 12 item 3: the per-day aggregates give exactly what a recomputation from every row gives, after
re-enrichment and rescoring too (never double counted), and an older store gets them from migration m009."""

from __future__ import annotations

import itertools
import json
from types import SimpleNamespace

import pandas as pd
import pytest

from narrative import api
from narrative.api.aggregates import refresh_aggregates
from narrative.market.index import narrative_index as compute_index
from narrative.store import open_db, recent
from narrative.store.aggregates import dirty_days, top_entities, top_entities_direct
from narrative.store.entity_relevance import save_article_entities
from narrative.store.extraction import save_extraction
from narrative.store.queries import figure_rows, mention_rows, top_entity_rows
from narrative.store.schema import migrations
from narrative.store.scores import save_scores, scored_articles

NARRATIVE = "china-ai"
# (published, precision, source_tz, mentions as (entity_id, name, label), relevance, stance, story of)
ARTICLES = [
    (
        "2025-03-01T09:00:00+00:00",
        "exact",
        None,
        [("alibaba", "Alibaba", "ORG"), (None, "Jack Ma", "PERSON")],
        0.9,
        0.4,
        None,
    ),
    (
        "2025-03-01T23:30:00+00:00",
        "exact",
        None,
        [("alibaba", "Alibaba", "ORG"), ("alibaba", "Alibaba", "ORG")],
        0.7,
        -0.2,
        1,
    ),
    ("2025-03-01T16:00:00+00:00", "date_only", "Asia/Hong_Kong", [("tencent", "Tencent", "ORG")], 0.8, 0.6, None),
    ("2025-03-02T05:00:00+00:00", "date_only", "America/New_York", [(None, "Jack Ma", "PERSON")], 0.6, 0.1, None),
    (
        "2025-03-04T12:00:00+00:00",
        "fetched",
        None,
        [("tencent", "Tencent", "ORG"), (None, "Pony Ma", "PERSON")],
        0.3,
        0.9,
        None,
    ),
    ("2025-03-04T13:00:00+00:00", "exact", None, [("baidu", "Baidu", "ORG")], 0.95, -0.7, None),
    ("2025-03-07T01:00:00+00:00", "relative", None, [("alibaba", "Alibaba", "ORG")], 0.55, 0.0, 6),
    (
        "2025-03-07T02:00:00+00:00",
        "exact",
        None,
        [(None, "Pony Ma", "PERSON"), ("baidu", "Baidu", "ORG")],
        0.65,
        0.3,
        6,
    ),
]


def _extraction(mentions):
    text = " ".join(name for _, name, _ in mentions)
    found, start = [], 0
    for entity_id, name, label in mentions:
        found.append(
            SimpleNamespace(
                sentence=0,
                entity_id=entity_id,
                name=name,
                label=label,
                surface=name,
                start=start,
                end=start + len(name),
                method="catalog" if entity_id else "ner",
            )
        )
        start += len(name) + 1
    figures = [
        SimpleNamespace(
            sentence=0,
            subject_entity_id=m.entity_id,
            subject=m.name,
            subject_method="nearest",
            value=float(m.start),
            value_high=None,
            unit="%",
            kind="change",
            direction="up",
            period=None,
            period_text=None,
            qualifier=None,
            negated=False,
            noun=None,
            surface="1%",
            start=m.start,
            end=m.end,
        )
        for m in found
    ]
    return SimpleNamespace(
        language="en",
        sentences=[SimpleNamespace(index=0, start=0, end=len(text), text=text)],
        mentions=found,
        people=[],
        figures=figures,
        phrase_hits=[],
    )


def _entity_relevance(mentions, first=80, other=20):
    """Relevance rows as nlp.entity_relevance gives them: the first-named entity ``first``, the others ``other``."""
    found = {}
    for n, (entity_id, name, label) in enumerate(mentions):
        key = entity_id or name.lower()
        if key not in found:
            found[key] = SimpleNamespace(
                entity_key=key,
                entity_id=entity_id,
                name=name,
                label=label,
                relevance=first if n == 0 else other,
                mentions=0,
                in_title=n == 0,
                first_sentence=0,
                features={},
            )
        found[key].mentions += 1
    return list(found.values())


def _write(db, article_id, mentions, relevance, stance, version="v1", entity_relevance=True):
    with db.atomic():
        save_extraction(db, article_id, _extraction(mentions), version=version, now="2025-03-10T00:00:00+00:00")
        if entity_relevance:  # False: a store from before m012
            save_article_entities(db, article_id, _entity_relevance(mentions), version=version)
        save_scores(
            db,
            article_id,
            NARRATIVE,
            sentences=[],
            entities=[],
            article={"relevance": relevance, "stance": stance, "tone": stance, "relevant_sentences": 1, "evidence": []},
            version=version,
            now="2025-03-10T00:00:00+00:00",
        )


def _fill(db, entity_relevance=True):
    with db.atomic():
        for n, (published, precision, zone, *_rest) in enumerate(ARTICLES, start=1):
            db.execute(
                "INSERT INTO articles (id, title, published, published_source, title_hash, content_hash, "
                "first_seen_at, updated_at, ingest_version, published_precision, source_tz) "
                "VALUES (?, ?, ?, 'archive', ?, ?, ?, ?, 'test', ?, ?)",
                [n, f"title {n}", published, f"t{n}", f"c{n}", published, published, precision, zone],
            )
            for source in range(1 + n % 3):
                db.execute(
                    "INSERT INTO article_sources (article_id, source, source_kind, matched_by, seen_at) "
                    "VALUES (?, ?, 'import', 'new', ?)",
                    [n, f"s{source}", published],
                )
    for n, (_, _, _, mentions, relevance, stance, story_of) in enumerate(ARTICLES, start=1):
        _write(db, n, mentions, relevance, stance, entity_relevance=entity_relevance)
        if story_of:
            db.execute("UPDATE articles SET story_id = ? WHERE id = ?", [story_of, n])
    db.conn.commit()


def filled_store(path) -> str:
    """A store file at ``path`` holding the aggregate tests' articles (``_fill``); its path as a string."""
    db = open_db(str(path))
    _fill(db)
    db.close()
    return str(path)


@pytest.fixture
def store(tmp_path):
    return filled_store(tmp_path / "agg.db")


def _direct_index(path, precision=None, since=None, until=None):
    db = open_db(path, readonly=True)
    try:
        articles = pd.DataFrame(scored_articles(db, NARRATIVE))
    finally:
        db.close()
    return compute_index(
        articles,
        calendar=None,
        start=since and pd.Timestamp(since),
        end=until and pd.Timestamp(until),
        precision=precision,
    )


def _assert_same(path):
    for precision in (None, ["exact"]):
        for since, until in ((None, None), ("2025-03-02", "2025-03-06"), ("2025-02-25", "2025-03-10")):
            got = api.narrative_index(NARRATIVE, db_path=path, since=since, until=until, precision=precision)
            pd.testing.assert_frame_equal(got, _direct_index(path, precision, since, until))
    db = open_db(path, readonly=True)
    try:
        for window in ((None, None), ("2025-03-02T00:00:00+00:00", "2025-03-05T00:00:00+00:00")):
            for linked in (False, True):
                direct = top_entities_direct(db, since=window[0], until=window[1], linked_only=linked)
                reference = top_entity_rows(db, since=window[0], until=window[1], linked_only=linked)
                assert [{k: v for k, v in r.items() if k != "weighted_articles"} for r in direct] == reference
                days = [w and w[:10] for w in window]
                aggregated = top_entities(db, since_day=days[0], until_day=days[1], linked_only=linked)
                assert aggregated is None or aggregated == direct
                frame = api.entities(db_path=path, since=days[0], linked_only=linked)
                assert frame.astype(object).where(frame.notna(), None).to_dict("records") == top_entities_direct(
                    db, since=window[0], linked_only=linked
                )
    finally:
        db.close()


def test_issue_12_aggregates_equal_a_recomputation_before_and_after_refresh(store):
    _assert_same(store)  # dirty days: recomputed (index) or bypassed (entities) on read
    db = open_db(store)
    assert dirty_days(db, "entities") and dirty_days(db, "index", NARRATIVE)
    assert refresh_aggregates(db)["entity_days"] == 4
    assert not dirty_days(db, "entities") and not dirty_days(db, "index", NARRATIVE)
    assert top_entities(db)[0] == {
        "entity_id": "alibaba",
        "entity": "Alibaba",
        "type": "org",
        "mentions": 4,
        "articles": 3,
        "weighted_articles": 2.4,
        "first_seen": "2025-03-01T09:00:00+00:00",
        "last_seen": "2025-03-07T01:00:00+00:00",
    }
    db.close()
    _assert_same(store)


def test_issue_12_reenrich_and_rescore_replace_never_add(store):
    db = open_db(store)
    refresh_aggregates(db)
    before = top_entities(db)
    for _ in range(2):  # the same rows written again: nothing changes
        for n, (_, _, _, mentions, relevance, stance, _) in enumerate(ARTICLES, start=1):
            _write(db, n, mentions, relevance, stance, version="v2")
        refresh_aggregates(db)
    assert top_entities(db) == before
    _write(db, 1, [("baidu", "Baidu", "ORG")], 0.2, 0.5, version="v3")  # re-enriched and rescored differently
    _write(db, 6, [("baidu", "Baidu", "ORG")], 0.9, 0.8, version="v3")
    db.execute("UPDATE articles SET published = '2025-03-03T10:00:00+00:00' WHERE id = 4")  # an exact time arrives
    db.execute(
        "INSERT INTO article_sources (article_id, source, source_kind, matched_by, seen_at) "
        "VALUES (8, 'late', 'feed', 'title', '2025-03-08T00:00:00+00:00')"
    )
    db.conn.commit()
    _assert_same(store)
    refresh_aggregates(db)
    db.close()
    _assert_same(store)
    db = open_db(store, readonly=True)
    by_key = {r["entity_id"]: r for r in top_entities(db)}
    assert by_key["alibaba"]["mentions"] == 3 and by_key["baidu"]["mentions"] == 3
    db.close()


def test_issue_12_migration_m009_backfills_an_older_store(tmp_path):
    path = str(tmp_path / "old.db")
    older = type(migrations)("narrative")
    later = ("m009", "m012", "m013", "m014")  # m012 adds columns to m009's tables, m013 sums them by month
    older._migrations = [m for m in migrations._migrations if not m.name.startswith(later)]
    from sqlite_utils import Database

    raw = Database(path)
    older.apply(raw)
    assert "entity_days" not in raw.table_names()
    _fill(raw, entity_relevance=False)
    raw.close()
    db = open_db(path)  # applies m009: every day dirty
    assert len(dirty_days(db, "entities")) == 4
    refresh_aggregates(db)
    assert len(json.dumps(top_entities(db))) > 2
    db.close()
    _assert_same(path)


@pytest.mark.parametrize("walk_from", [0, 10**9])
def test_issue_12_pages_are_the_rows_of_the_full_listing_in_order(store, monkeypatch, walk_from):
    monkeypatch.setattr(recent, "WALK_ARTICLES_FROM", walk_from)  # both plans: walk articles, or sort mentions
    db = open_db(store)
    refresh_aggregates(db)
    window = {"since": "2025-03-01T05:00:00+00:00", "until": "2025-03-07T01:30:00+00:00"}
    for who in ({"entity_id": "alibaba"}, {"entity_id": "baidu"}, {"name": "pony ma"}):
        for bounds in ({}, window):
            everything = mention_rows(db, **who, **bounds)
            assert recent.mention_page(db, **who, **bounds) == everything
            pages = [recent.mention_page(db, **who, **bounds, limit=2, offset=o) for o in range(0, 8, 2)]
            assert list(itertools.chain.from_iterable(pages)) == everything
            assert recent.mention_page(db, **who, **bounds, offset=1) == everything[1:]
    for who in ({}, {"entity_id": "tencent"}, {"name": "Jack Ma"}):
        everything = figure_rows(db, **who, kind="change")
        assert len(everything) > 1
        pages = [recent.figure_page(db, **who, kind="change", limit=3, offset=o) for o in range(0, 15, 3)]
        assert list(itertools.chain.from_iterable(pages)) == everything
    first = api.mentions("alibaba", db_path=store, limit=1, offset=1)
    assert first["article_id"].tolist() == [mention_rows(db, entity_id="alibaba")[1]["article_id"]]
    db.close()


def test_issue_12_cli_pages_mentions_figures_and_entities(store):
    from click.testing import CliRunner

    from narrative.cli import cli

    db = open_db(store, readonly=True)
    everything = mention_rows(db, entity_id="alibaba")
    figures_all = figure_rows(db)
    ranked = top_entities_direct(db, limit=100)
    db.close()
    runner = CliRunner()
    for argv, expected in (
        (["mentions", "alibaba", "--limit", "1", "--offset", "1"], everything[1:2]),
        (["mentions", "alibaba"], everything),
        (["figures", "--limit", "2", "--offset", "3"], figures_all[3:5]),
        (["figures", "--limit", "0"], figures_all),
        (["entities", "--limit", "2", "--offset", "2"], ranked[2:4]),
    ):
        result = runner.invoke(cli, [*argv, "--db", store, "--format", "json"])
        assert result.exit_code == 0, result.output
        got = json.loads(result.output)
        assert [(r["article_id"], r["start"]) if "start" in r else r["entity"] for r in got] == [
            (r["article_id"], r["start"]) if "start" in r else r["entity"] for r in expected
        ], argv


def test_issue_12_session_index_reads_only_relevant_articles_and_gives_the_same_rows(store):
    from narrative.market.calendar import calendar_for

    db = open_db(store, readonly=True)
    articles = pd.DataFrame(scored_articles(db, NARRATIVE))
    db.close()
    for precision in (None, ["exact"]):
        start, end = pd.Timestamp("2025-02-27"), pd.Timestamp("2025-03-10")
        calendar = calendar_for("XHKG", start, end + pd.Timedelta(days=10))
        expected = compute_index(articles, calendar=calendar, start=start, end=end, precision=precision)
        got = api.narrative_index(
            NARRATIVE, db_path=store, sessions="XHKG", since="2025-02-27", until="2025-03-10", precision=precision
        )
        pd.testing.assert_frame_equal(got, expected)
        assert got["attention"].sum() > 0


def test_issue_10_relevance_weighted_counts_follow_a_relevance_rewrite(store):
    db = open_db(store)
    refresh_aggregates(db)
    assert {r["entity_id"]: r["weighted_articles"] for r in top_entities(db)}["baidu"] == pytest.approx(1.0)
    with db.atomic():  # a new relevance version scores Baidu differently; the mentions stay as they are
        save_article_entities(db, 6, _entity_relevance([("baidu", "Baidu", "ORG")], first=30), version="r2")
    db.conn.commit()
    assert dirty_days(db, "entities") == ["2025-03-04"]
    assert top_entities(db) is None  # dirty: the API answers from the rows meanwhile
    assert {r["entity_id"]: r["weighted_articles"] for r in top_entities_direct(db)}["baidu"] == pytest.approx(0.5)
    refresh_aggregates(db)
    assert top_entities(db) == top_entities_direct(db)
    assert {r["entity_id"]: r["weighted_articles"] for r in top_entities(db)}["baidu"] == pytest.approx(0.5)
    db.close()


def test_issue_10_min_relevance_counts_only_the_articles_about_the_entity(store):
    db = open_db(store, readonly=True)
    every = {r["entity"]: r for r in top_entities_direct(db)}
    about = {r["entity"]: r for r in top_entities_direct(db, min_relevance=50)}
    db.close()
    assert every["Jack Ma"]["articles"] == 2 and about["Jack Ma"]["articles"] == 1  # second-named in article 1
    assert about["Jack Ma"]["weighted_articles"] == pytest.approx(0.8)
    assert about["Alibaba"]["articles"] == every["Alibaba"]["articles"] == 3
    frame = api.entities(db_path=store, min_relevance=50, limit=100)
    assert dict(zip(frame["entity"], frame["articles"]))["Jack Ma"] == 1
    assert "weighted_articles" in api.entities(db_path=store).columns
    from narrative.errors import InputError

    with pytest.raises(InputError, match="0 to 100"):
        api.entities(db_path=store, min_relevance=101)


def test_issue_10_mentions_show_relevance_and_filter_on_it_before_paging(store):
    from click.testing import CliRunner

    from narrative.api.query import mention_rows as api_mention_rows
    from narrative.cli import cli

    every = api_mention_rows("Baidu", db_path=store)  # named first in article 6, after Pony Ma in article 8
    assert sorted((row["article_id"], row["relevance"]) for row in every) == [(6, 80), (8, 20)]
    assert [row["article_id"] for row in api_mention_rows("Baidu", db_path=store, min_relevance=50)] == [6]
    assert api_mention_rows("Baidu", db_path=store, min_relevance=50, offset=1) == []
    assert api.mentions("alibaba", db_path=store)["relevance"].tolist() == [80, 80, 80, 80]
    runner = CliRunner()
    result = runner.invoke(cli, ["mentions", "Baidu", "--min-relevance", "50", "--db", store, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert [(row["article_id"], row["relevance"]) for row in json.loads(result.output)] == [(6, 80)]
    table = runner.invoke(cli, ["mentions", "Baidu", "--db", store])
    assert table.exit_code == 0 and "relevance" in table.output
    result = runner.invoke(cli, ["entities", "--min-relevance", "50", "--db", store, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert {row["entity"]: row["articles"] for row in json.loads(result.output)}["Baidu"] == 1
    bad = runner.invoke(cli, ["entities", "--min-relevance", "101", "--db", store])
    assert bad.exit_code == 2 and "Traceback" not in bad.output


def test_issue_10_migration_m012_on_a_store_enriched_before_it(tmp_path):
    from sqlite_utils import Database

    from narrative.store.entity_relevance import stale_articles

    path = str(tmp_path / "before_m012.db")
    older = type(migrations)("narrative")
    older._migrations = [m for m in migrations._migrations if not m.name.startswith(("m012", "m013", "m014"))]
    raw = Database(path)
    older.apply(raw)
    _fill(raw, entity_relevance=False)
    raw.close()
    db = open_db(path)  # applies m012
    assert "weighted_articles" in db["entity_days"].columns_dict and db["article_entities"].count == 0
    refresh_aggregates(db)
    assert {r["weighted_articles"] for r in top_entities(db)} == {0}
    # every enriched article is stale for relevance: the next enrich computes its rows (and re-marks its days)
    assert [row[0] for row in stale_articles(db, "any-version")] == list(range(1, len(ARTICLES) + 1))
    for n, (_, _, _, mentions, *_rest) in enumerate(ARTICLES, start=1):
        with db.atomic():
            save_article_entities(db, n, _entity_relevance(mentions), version="any-version")
    assert stale_articles(db, "any-version") == []
    refresh_aggregates(db)
    assert top_entities(db) == top_entities_direct(db)
    assert {r["entity_id"]: r["weighted_articles"] for r in top_entities(db)}["alibaba"] == pytest.approx(2.4)
    db.close()
