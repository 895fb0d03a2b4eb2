"""The public DataFrame API and `narrative leadlag`, against values computed here from the rows inserted."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from synthetic_store import insert_articles, insert_prices, sessions, synthetic_articles

from narrative import api
from narrative.api.analysis import read_series_csv
from narrative.cli import cli
from narrative.errors import InputError
from narrative.market import evidence
from narrative.store import open_db


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """BABA's excess return over QQQ on session t+1 is 0.01 x a user series' value on session t (plus noise)."""
    tmp = tmp_path_factory.mktemp("planted")
    days = sessions("XNYS", "2023-01-03", "2024-12-31")
    rng = np.random.default_rng(11)
    signal = rng.normal(size=len(days))
    qqq = rng.normal(0.0004, 0.012, len(days))
    excess = np.r_[0.0, 0.01 * signal[:-1]] + rng.normal(0, 0.004, len(days))
    db = open_db(tmp / "p.db")
    insert_prices(db, "QQQ", "NASDAQ", days, 100 * np.cumprod(1 + qqq))
    insert_prices(db, "BABA", "NYSE", days, 100 * np.cumprod(1 + qqq + excess))
    insert_articles(db, synthetic_articles(40))
    db.close()
    # each value stamped 15:00 UTC (during the New York session) of its session: credited to that session
    csv_path = tmp / "series.csv"
    csv_path.write_text(
        "timestamp,value\n" + "".join(f"{d.date()}T15:00:00+00:00,{v:.6f}\n" for d, v in zip(days, signal)),
        encoding="utf-8",
    )
    return tmp / "p.db", csv_path, days, qqq, excess


def test_api_session_panel_returns_and_excess_by_hand(planted):
    db_path, _, days, qqq, excess = planted
    panel = api.session_panel(
        "china-ai", ["BABA"], benchmark="QQQ", start="2024-01-01", end="2024-12-31", db_path=str(db_path)
    )
    assert isinstance(panel, pd.DataFrame)
    assert {"ticker", "session", "attention", "net", "return", "benchmark_return", "excess_return"} <= set(panel)
    by_day = pd.DataFrame({"qqq": qqq, "excess": excess}, index=days)
    row = panel.iloc[10]
    expected_bench = by_day.loc[row["session"], "qqq"]
    expected_asset = (1 + expected_bench + by_day.loc[row["session"], "excess"]) - 1
    assert row["benchmark_return"] == pytest.approx(expected_bench)
    assert row["return"] == pytest.approx(expected_asset)
    assert row["excess_return"] == pytest.approx(expected_asset - expected_bench)
    assert panel["session"].min() >= pd.Timestamp("2024-01-02") and len(panel) == 252


def test_api_leadlag_finds_a_planted_one_session_lead(planted):
    db_path, csv_path, *_ = planted
    table = api.leadlag(
        index=read_series_csv(csv_path),
        tickers=["BABA"],
        benchmark="QQQ",
        start="2024-01-01",
        end="2024-12-31",
        db_path=str(db_path),
        n_perm=199,
    )
    assert table.attrs["summary"].startswith("news led BABA returns by 1 session")
    best = table[table["test"] == "ccf"].sort_values("p_fwer").iloc[0]
    assert best["lag"] == 1 and best["p_fwer"] < 0.05


def test_cli_leadlag_index_csv_json_lists_every_test(planted):
    db_path, csv_path, *_ = planted
    result = CliRunner().invoke(
        cli,
        [
            "leadlag",
            "--index-csv",
            str(csv_path),
            "--tickers",
            "BABA",
            "--benchmark",
            "QQQ",
            "--from",
            "2024-01-01",
            "--to",
            "2024-12-31",
            "--db",
            str(db_path),
            "--n-perm",
            "99",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    # A year (252 sessions) can calibrate a family-wise p only over lags -5..+5 ((2L+1)/252 < 0.05), so the
    # default lag range narrows to that: 11 cross-correlations and Granger 1..5 both ways, one ticker.
    assert len(out["tests"]) == 11 + 2 * 5
    assert sorted(t["lag"] for t in out["tests"] if t["test"] == "ccf") == list(range(-5, 6))
    assert set(out["tests"][0]) == {
        "ticker",
        "test",
        "lag",
        "statistic",
        "p_perm",
        "p_fwer",
        "n",
        "news_sessions",
        "verdict",
    }
    assert out["enough"] is True and out["summary"].startswith("news led BABA returns by 1 session")


def test_cli_leadlag_max_lag_wider_than_the_sample_can_test_says_so(planted):
    db_path, csv_path, *_ = planted
    result = CliRunner().invoke(
        cli,
        [
            "leadlag",
            "--index-csv",
            str(csv_path),
            "--tickers",
            "BABA",
            "--benchmark",
            "QQQ",
            "--from",
            "2024-01-01",
            "--to",
            "2024-12-31",
            "--db",
            str(db_path),
            "--n-perm",
            "99",
            "--max-lag",
            "10",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["enough"] is False and "at least 421 sessions needed" in out["reason"]


def test_cli_leadlag_narrative_reports_too_few_news_days(planted):
    db_path, *_ = planted
    result = CliRunner().invoke(
        cli,
        [
            "leadlag",
            "--narrative",
            "china-ai",
            "--tickers",
            "BABA",
            "--from",
            "2024-06-01",
            "--to",
            "2024-06-30",
            "--db",
            str(db_path),
            "--n-perm",
            "99",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "too few news days to test" in result.output or "too little data to test" in result.output


@pytest.mark.parametrize(
    "body, message",
    [
        ("date,value\n2024-01-02,1\n2024-01-0x,2\n", ":3: '2024-01-0x' is not a date"),
        ("date,value\n2024-01-02,abc\n", ":2: value 'abc' is not a number"),
        ("2024-01-02\n", ":1: expected two columns"),
    ],
)
def test_cli_leadlag_bad_csv_is_one_line_exit_2(planted, tmp_path, body, message):
    db_path, *_ = planted
    bad = tmp_path / "bad.csv"
    bad.write_text(body, encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        [
            "leadlag",
            "--index-csv",
            str(bad),
            "--tickers",
            "BABA",
            "--from",
            "2024-01-01",
            "--to",
            "2024-12-31",
            "--db",
            str(db_path),
        ],
    )
    assert result.exit_code == 2
    assert result.output.startswith(f"Error: {bad}{message}") and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_api_series_csv_date_only_value_reaches_the_next_new_york_session(planted, tmp_path):
    """A value dated Tuesday 2024-03-05 (no time) could have been written until Wednesday 12:00 UTC: it is
    credited to Wednesday's NYSE session, so it can only lead Thursday's return."""
    db_path, *_ = planted
    path = tmp_path / "one.csv"
    path.write_text("2024-03-05,1.0\n", encoding="utf-8")
    series = read_series_csv(path)
    assert series["precision"].tolist() == ["date_only"]
    from narrative.api.analysis import _user_series_panel, market_data

    db = open_db(db_path, readonly=True)
    data = market_data(db, "china-ai", ["BABA"], "QQQ", "2024-03-01", "2024-03-29", require_articles=False)
    db.close()
    panel = api.session_panel(
        "china-ai", ["BABA"], benchmark="QQQ", start="2024-03-01", end="2024-03-29", db_path=str(db_path)
    )
    mapped = _user_series_panel(panel, data, series, "2024-03-01", "2024-03-29")
    assert mapped.loc[mapped["net"] != 0, "session"].tolist() == [pd.Timestamp("2024-03-06")]


def test_api_event_study_and_claims_are_dataframes(planted):
    db_path, *_ = planted
    table = api.event_study(
        tickers=["BABA"], events=["2024-03-05", "2024-06-04", "2024-09-04"], benchmark="QQQ", db_path=str(db_path)
    )
    assert isinstance(table, pd.DataFrame) and len(table) and "BABA" in set(table["ticker"])
    assert isinstance(api.claims(db_path=str(db_path)), pd.DataFrame)


def test_api_events_parse_errors_name_the_line(tmp_path):
    from narrative.api.analysis import parse_events

    path = tmp_path / "events.txt"
    path.write_text("date\n2024-01-02\nsoon\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"events.txt:3: 'soon' is not a date"):
        parse_events(str(path))
    assert parse_events("2024-01-02,2024-02-01") == [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-02-01")]


def test_evidence_top_stories_and_both_sides_by_hand():
    articles = pd.DataFrame(
        {
            "article_id": [1, 2, 3, 4],
            "story_id": [1, 1, 3, 4],
            "relevance": [0.9, 0.6, 0.8, 0.2],
            "stance": [0.5, 0.3, -0.9, 0.9],
            "title": ["A", "A copy", "B", "weak"],
            "url": ["u1", "u2", "u3", "u4"],
            "published": [
                "2024-01-03T10:00:00+00:00",
                "2024-01-04T10:00:00+00:00",
                "2024-01-05T10:00:00+00:00",
                "2024-01-06T10:00:00+00:00",
            ],
        }
    )
    periods = evidence.period_of(articles["published"], "M")
    stories = evidence.top_stories(articles, periods)
    # story 1: 0.9*0.5 + 0.6*0.3 = 0.63; story 3: 0.8*0.9 = 0.72; article 4 is not relevant
    assert stories["story_id"].tolist() == [3, 1]
    assert stories["weight"].round(2).tolist() == [0.72, 0.63] and stories["title"].tolist() == ["B", "A"]
    sentences = pd.DataFrame(
        {
            "article_id": [1, 1, 3],
            "text": ["up a lot", "mild", "down hard"],
            "relevance": [0.9, 0.9, 0.8],
            "stance": [0.5, 0.1, -0.9],
            "title": ["A", "A", "B"],
            "published": ["x", "x", "y"],
            "url": ["u", "u", "v"],
        }
    )
    sides = evidence.both_sides(sentences, pd.Series(["2024-01"] * 3))
    assert sides[["side", "sentence"]].values.tolist() == [["positive", "up a lot"], ["negative", "down hard"]]


@pytest.mark.parametrize(
    "name",
    [
        "narrative.market.analysis",
        "narrative.market.evidence",
        "narrative.market.returns",
        "narrative.store.reads",
        "narrative.market.prices",
    ],
)
def test_market_docstring_examples_run(name):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


def test_leadlag_families_per_exchange_thin_one_is_not_tested():
    """Two exchanges: the US family has a planted 1-session lead and 300 news sessions; the HK family has 2 news
    sessions. The US lead is found (Bonferroni over the one family tested), the HK tests are reported untested."""
    from narrative.market.analysis import leadlag_tests

    rng = np.random.default_rng(3)
    us = pd.bdate_range("2023-01-02", periods=300)
    news = rng.normal(size=300)
    us_panel = pd.DataFrame(
        {
            "ticker": "AAA",
            "session": us,
            "calendar": "XNYS",
            "net": news,
            "excess_return": np.r_[0.0, 0.5 * news[:-1]] + rng.normal(size=300),
        }
    )
    hk = pd.bdate_range("2023-01-03", periods=300)
    sparse = np.zeros(300)
    sparse[[50, 200]] = 1.0
    hk_panel = pd.DataFrame(
        {"ticker": "BBB", "session": hk, "calendar": "XHKG", "net": sparse, "excess_return": rng.normal(size=300)}
    )
    result = leadlag_tests(pd.concat([us_panel, hk_panel], ignore_index=True), n_perm=199)
    assert result.enough is True and result.summary.startswith("news led AAA returns by 1 session")
    assert "not tested: BBB: 2 news sessions" in result.summary
    hk_tests = result.tests[result.tests["ticker"] == "BBB"]
    assert hk_tests["p_fwer"].isna().all() and hk_tests["verdict"].str.startswith("not tested").all()
    best = result.tests[result.tests["ticker"] == "AAA"].sort_values("p_fwer").iloc[0]
    assert (best["test"], best["lag"]) == ("ccf", 1) and best["p_fwer"] < 0.05
