"""The one narrative index (issue 8): sessions or UTC days, stories vs copies, counts per timestamp precision."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from click.testing import CliRunner

from narrative import api
from narrative.cli import cli
from narrative.errors import InputError
from narrative.market.calendar import calendar_for, calendar_from_dates
from narrative.market.index import COLUMNS, POSITIVE, RELEVANT, narrative_index
from narrative.store import open_db
from narrative.store.scores import save_scores

HK_DAYS = ["2020-03-09", "2020-03-10", "2020-03-11", "2020-03-12", "2020-03-13", "2020-03-16"]


def frame(*rows) -> pd.DataFrame:
    """Articles frame rows: (article_id, published, precision, source_tz, relevance, stance, story_id, sources)."""
    return pd.DataFrame(
        rows,
        columns=["article_id", "published", "precision", "source_tz", "relevance", "stance", "story_id", "sources"],
    )


ARTICLES = frame(
    (1, "2020-03-10T00:00:00+00:00", "date_only", None, 0.9, 0.5, 1, 2),  # Reuters-style date-only row
    (2, "2020-03-10T14:00:00+00:00", "exact", None, 0.8, -0.5, 2, 1),  # 22:00 HKT: after the close
    (3, "2020-03-10T15:00:00+00:00", "exact", None, 0.6, 0.2, 2, 1),  # a rewrite of story 2
    (4, "2020-03-11T02:00:00+00:00", "fetched", None, 0.7, 0.4, 4, 1),  # 10:00 HKT, during the session
    (5, "2020-03-12T01:00:00+00:00", "relative", None, 0.7, -0.2, 5, 1),  # "2 days ago" anchored on 03-14
    (6, "2020-03-12T01:00:00+00:00", "exact", None, 0.3, 0.9, 6, 1),  # not relevant
)


@pytest.fixture
def hk():
    return calendar_from_dates(HK_DAYS, "HKEX")


def test_index_columns_and_one_definition_of_relevant_and_positive(hk):
    assert (RELEVANT, POSITIVE) == (0.5, 0.0)
    edge = frame(
        (1, "2020-03-10T03:00:00+00:00", "exact", None, 0.5, 0.0, 1, 1),
        (2, "2020-03-10T03:00:00+00:00", "exact", None, 0.49, 0.9, 2, 1),
        (3, "2020-03-10T03:00:00+00:00", "exact", None, 0.5, 0.01, 3, 1),
    )
    row = narrative_index(edge, calendar=hk).loc["2020-03-10"]
    assert list(narrative_index(edge, calendar=hk).columns) == COLUMNS
    assert row["attention"] == 2  # relevance 0.5 counts, 0.49 does not
    assert row["share_positive"] == 0.5  # stance 0.0 is not positive, 0.01 is


def test_index_per_precision_counts_and_sessions(hk):
    index = narrative_index(ARTICLES, calendar=hk)
    assert index.index.name == "session" and [str(d.date()) for d in index.index] == HK_DAYS
    # 03-11: the two exact evening stories (after the 03-10 close) and the fetched item of 03-11 10:00 HKT.
    assert index.loc["2020-03-11", ["attention", "n_exact", "n_fetched", "n_date_only"]].tolist() == [3, 2, 1, 0]
    # 03-12: the date-only row of 03-10 (its date may end at 03-11 12:00 UTC, after the 03-11 close).
    assert index.loc["2020-03-12", ["attention", "n_date_only", "mentions"]].tolist() == [1, 1, 2]
    # The relative item, like a date-only one: its 03-12 may end at 03-13 12:00 UTC, after the 03-13 open.
    assert index.loc["2020-03-13", "attention"] == 0
    assert index.loc["2020-03-16", ["attention", "n_relative"]].tolist() == [1, 1]
    counts = index[[c for c in index.columns if c.startswith("n_")]].sum()
    assert counts.to_dict() == {"n_exact": 2, "n_date_only": 1, "n_fetched": 1, "n_relative": 1}


def test_index_precision_filter_leaves_imprecise_items_out(hk):
    exact = narrative_index(ARTICLES, calendar=hk, precision=["exact"])
    assert exact["attention"].tolist() == [0, 0, 2, 0, 0, 0]
    assert exact[["n_date_only", "n_fetched", "n_relative"]].to_numpy().sum() == 0
    assert narrative_index(ARTICLES, calendar=hk, precision="exact").equals(exact)
    with pytest.raises(InputError, match="unknown precision 'rough'; valid: exact, date_only, fetched, relative"):
        narrative_index(ARTICLES, calendar=hk, precision=["rough"])


def test_index_stories_count_copies_once(hk):
    row = narrative_index(ARTICLES, calendar=hk, precision=["exact"]).loc["2020-03-11"]
    assert (row["attention"], row["stories"]) == (2, 1)
    assert math.isclose(row["stance"], (0.8 * -0.5 + 0.6 * 0.2) / 1.4)
    # One story: its articles' mean stance (-0.15), whatever the weight.
    assert math.isclose(row["stance_stories"], -0.15)
    assert math.isclose(row["net"], 0.8 * -0.5 + 0.6 * 0.2)
    assert row["first_published"] == pd.Timestamp("2020-03-10T14:00:00Z")
    # Without a story_id column each article is its own story.
    alone = narrative_index(ARTICLES.drop(columns=["story_id"]), calendar=hk, precision=["exact"])
    assert alone.loc["2020-03-11", "stories"] == 2


def test_index_quiet_sessions_are_neutral_not_missing(hk):
    index = narrative_index(ARTICLES, calendar=hk, start="2020-03-09", end="2020-03-10")
    assert [str(d.date()) for d in index.index] == ["2020-03-09", "2020-03-10"]
    assert index["attention"].tolist() == [0, 0] and index["net"].tolist() == [0.0, 0.0]
    assert index["stance"].isna().all() and index["share_positive"].isna().all()
    assert index["first_published"].isna().all()
    empty = narrative_index(ARTICLES.iloc[:0], calendar=hk)
    assert len(empty) == len(HK_DAYS) and empty["attention"].sum() == 0


def test_index_utc_days_use_the_stated_date_of_imprecise_items():
    articles = frame(
        (1, "2020-03-09T16:00:00+00:00", "date_only", "Asia/Shanghai", 0.9, 0.5, 1, 1),  # 2020-03-10 in Beijing
        (2, "2020-03-10T23:30:00+00:00", "exact", "Asia/Shanghai", 0.9, -0.5, 2, 1),  # an exact time: UTC date
        (3, "2020-03-12T00:00:00+00:00", "date_only", None, 0.9, 0.1, 3, 1),
    )
    days = narrative_index(articles)
    assert days.index.name == "date"
    assert [str(d.date()) for d in days.index] == ["2020-03-10", "2020-03-11", "2020-03-12"]
    assert days["attention"].tolist() == [2, 0, 1]
    assert days["n_date_only"].tolist() == [1, 0, 1]
    window = narrative_index(articles, start="2020-03-11", end="2020-03-13")
    assert window["attention"].tolist() == [0, 1, 0]


def test_issue_8_index_joined_to_returns_by_session_has_no_look_ahead():
    """A US-daytime date-only story of 2020-03-10 must not be credited to HKEX sessions on or before 03-11."""
    hk = calendar_for("XHKG", "2020-03-01", "2020-03-31")
    us = calendar_for("XNYS", "2020-03-01", "2020-03-31")
    story = frame((1, "2020-03-10T00:00:00+00:00", "date_only", None, 0.9, 0.5, 1, 1))
    hk_row = narrative_index(story, calendar=hk, start="2020-03-09", end="2020-03-13")
    us_row = narrative_index(story, calendar=us, start="2020-03-09", end="2020-03-13")
    assert str(hk_row.index[hk_row["attention"] > 0][0].date()) == "2020-03-12"
    assert str(us_row.index[us_row["attention"] > 0][0].date()) == "2020-03-11"


# --- the API and the CLI on a tiny store built here (scores written as the scorer writes them) ---------------

ROWS = [
    # title, published, scored relevance, stance
    ("Alibaba cloud unit wins a state AI contract", "2020-03-10", 0.9, 0.6),  # date-only, no zone
    ("Tencent and Alibaba shares rally in Hong Kong trading", "2020-03-11 03:00", 0.8, 0.4),  # 11:00 HKT
    ("Regulators question Chinese AI chip imports", "2020-03-11 12:00", 0.7, -0.5),  # after the HK close
    ("Ohio retail sales rise for a third month", "2020-03-11 13:00", 0.0, 0.0),
]


@pytest.fixture
def store(tmp_path):
    archive = tmp_path / "news.csv"
    pd.DataFrame([{"title": t, "published": p, "text": t + ". " + t} for t, p, _, _ in ROWS]).to_csv(
        archive, index=False
    )
    db_path = str(tmp_path / "tiny.db")
    summary = api.import_archive(str(archive), db_path=db_path, source="test", enrich=False)
    assert summary.new == len(ROWS)
    db = open_db(db_path)
    with db.atomic():
        for article_id, (_, _, relevance, stance) in enumerate(ROWS, start=1):
            save_scores(
                db,
                article_id,
                "china-ai",
                sentences=[],
                entities=[],
                article={
                    "relevance": relevance,
                    "stance": stance,
                    "tone": stance,
                    "relevant_sentences": 1,
                    "evidence": [],
                },
                version="test-fixture",
                now="2020-03-15T00:00:00+00:00",
            )
    db.close()
    return db_path


def test_api_index_by_exchange_code_or_name(store):
    by_code = api.narrative_index("china-ai", db_path=store, sessions="XHKG")
    by_name = api.narrative_index("china-ai", db_path=store, sessions="hkex")
    assert by_code.equals(by_name) and "XHKG sessions" in by_code.attrs["grouping"]
    busy = by_code[by_code["attention"] > 0]
    assert {str(d.date()): int(n) for d, n in busy["attention"].items()} == {"2020-03-11": 1, "2020-03-12": 2}
    assert busy.loc["2020-03-12", "n_date_only"] == 1
    days = api.narrative_index("china-ai", db_path=store, precision="all")
    assert days["attention"].tolist() == [1, 2] and "not point-in-time" in days.attrs["grouping"]
    with pytest.raises(InputError, match=r"unknown exchange 'MOON'.*XHKG.*XNYS"):
        api.narrative_index("china-ai", db_path=store, sessions="MOON")


def test_cli_index_sessions_json(store):
    result = CliRunner().invoke(cli, ["index", "--db", store, "--sessions", "XHKG", "--format", "json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["grouping"].startswith("XHKG sessions")
    assert body["articles_by_precision"] == {"exact": 2, "date_only": 1, "fetched": 0, "relative": 0}
    rows = {row["session"]: row for row in body["rows"]}
    assert list(rows) == ["2020-03-11", "2020-03-12"]
    assert rows["2020-03-12"]["attention"] == 2 and rows["2020-03-12"]["n_date_only"] == 1
    assert set(COLUMNS) <= set(rows["2020-03-11"])
    exact = json.loads(
        CliRunner()
        .invoke(cli, ["index", "--db", store, "--sessions", "XHKG", "--precision", "exact", "--format", "json"])
        .stdout
    )
    assert exact["articles_by_precision"]["date_only"] == 0
    bad = CliRunner().invoke(cli, ["index", "--db", store, "--sessions", "MOON"])
    assert bad.exit_code == 2 and "unknown exchange 'MOON'" in bad.output and "XNYS" in bad.output


def test_cli_index_utc_days_csv_and_help(store):
    result = CliRunner().invoke(cli, ["index", "--db", store, "--format", "csv"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("date,attention,stories") and len(lines) == 3
    assert "NOT point-in-time" in " ".join(CliRunner().invoke(cli, ["index", "--help"]).stdout.split())
