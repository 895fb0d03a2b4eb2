"""The report on a small synthetic store: self-contained HTML whose numbers all come from report.json, tables as
CSV that hold the same values, wording that follows the calibrated result, precision counts and per-exchange
benchmarks checked against values computed here from the inserted rows."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pandas as pd
import pytest
from click.testing import CliRunner
from synthetic_store import build_report_store, insert_articles, insert_prices, sessions, synthetic_articles

from narrative.api import market
from narrative.cli import cli
from narrative.report.build import ReportData
from narrative.store import open_db


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One report on the shared synthetic store (BABA and 9988.HK; QQQ plain, ^HSI stored)."""
    tmp = tmp_path_factory.mktemp("report")
    path = tmp / "r.db"
    build_report_store(path)
    html_path = market.report(
        "china-ai", ["BABA", "9988.HK"], "QQQ", "2024-01-01", "2024-12-31", tmp / "out", db_path=str(path), n_perm=199
    )
    data = json.loads((tmp / "out" / "report.json").read_text(encoding="utf-8"))
    return path, tmp / "out", html_path.read_text(encoding="utf-8"), data


class _Cells(HTMLParser):
    def __init__(self):
        super().__init__()
        self.cells, self.images, self._in = [], [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("td", "th"):
            self._in, self._text = True, ""
        if tag == "img":
            self.images.append(attrs.get("src", ""))

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._in:
            self.cells.append(self._text)
            self._in = False

    def handle_data(self, data):
        if self._in:
            self._text += data


def _numbers(value, out, strings):
    if isinstance(value, bool):
        return
    if isinstance(value, str):
        strings.add(value.strip())
    elif isinstance(value, (int, float)):
        out.append(float(value))
    elif isinstance(value, dict):
        for v in value.values():
            _numbers(v, out, strings)
    elif isinstance(value, list):
        for v in value:
            _numbers(v, out, strings)


def test_report_renders_self_contained_and_every_number_is_in_the_json(built):
    _, _out, html, data = built
    ReportData.model_validate(data)
    parser = _Cells()
    parser.feed(html)
    assert len(parser.images) >= 6
    assert all(src.startswith("data:image/png;base64,") for src in parser.images)
    assert "http://" not in html and "https://" not in html
    known: list[float] = []
    strings: set[str] = set()
    _numbers(data, known, strings)
    checked = 0
    for cell in parser.cells:
        text = cell.strip()
        if text in strings or any(text.startswith(s) for s in strings if len(s) > 20):
            continue  # a label or sentence copied from the JSON as text
        for token in re.findall(r"[-+]?\d+(?:\.\d+)?", cell.replace("−", "-")):
            if re.fullmatch(r"\d{4}", token) or re.search(r"\d{4}-\d{2}(-\d{2})?", cell):
                continue  # years, periods and dates
            digits = len(token.split(".")[1]) if "." in token else 0
            value = float(token)
            assert any(round(k, digits) == value for k in known), f"{token!r} in cell {cell!r} is not in report.json"
            checked += 1
    assert checked > 30


def test_report_tables_written_as_csv_hold_the_json_values(built):
    _, out, _, data = built
    for name in (
        "index",
        "panel",
        "leadlag",
        "shifts",
        "shift_cars",
        "stories",
        "story_sides",
        "themes",
        "entity_sentiment",
        "claims",
        "tickers",
        "event_study",
    ):
        assert (out / f"{name}.csv").is_file(), name
    tests = pd.read_csv(out / "leadlag.csv")
    assert len(tests) == len(data["leadlag"]) > 0
    assert tests["p_fwer"].round(6).tolist() == pytest.approx([r["p_fwer"] for r in data["leadlag"]], abs=1e-6)
    index = pd.read_csv(out / "index.csv")
    assert index["attention"].tolist() == data["index"]["attention"]
    assert index["attention"].sum() == data["summary"]["articles_relevant"]


def test_report_precision_counts_match_the_stored_articles(built):
    path, _, _html, data = built
    db = open_db(path, readonly=True)
    articles = pd.DataFrame(
        db.execute(
            "SELECT a.published, a.published_precision, s.relevance FROM articles a JOIN article_scores s "
            "ON s.article_id = a.id"
        ).fetchall(),
        columns=["published", "precision", "relevance"],
    )
    db.close()
    relevant = articles[articles["relevance"] >= 0.5]
    # every article of the fixture falls inside 2024 on both calendars except the last days' date-only items,
    # which move to the next session: count the ones credited inside the window from the index itself
    counts = data["summary"]["precision_counts"]
    assert counts["exact"] == int((relevant["precision"] == "exact").sum())
    assert counts["date_only"] == int((relevant["precision"] == "date_only").sum())
    assert counts["date_only"] > 0
    assert sum(counts.values()) == data["summary"]["articles_relevant"]
    assert "No look-ahead" not in " ".join(data["caveats"])
    assert any(f"{counts['date_only']} date-only" in c for c in data["caveats"])


def test_report_hk_listing_gets_its_exchange_index_and_no_hours_warning(built):
    _, _, _, data = built
    assert data["benchmarks"] == {"BABA": "QQQ", "9988.HK": "^HSI"}
    assert data["warnings"] == []


def test_report_warns_when_a_benchmark_trades_in_other_hours(tmp_path):
    import numpy as np

    path = tmp_path / "w.db"
    db = open_db(path)
    rng = np.random.default_rng(1)
    for ticker, exchange, code in (("9988.HK", "HKEX", "XHKG"), ("QQQ", "NASDAQ", "XNYS")):
        days = sessions(code)
        insert_prices(db, ticker, exchange, days, 100 * np.exp(np.cumsum(rng.normal(0, 0.01, len(days)))))
    insert_articles(db, synthetic_articles(30))
    db.close()
    market.report(
        "china-ai", ["9988.HK"], "QQQ", "2024-01-01", "2024-12-31", tmp_path / "out", db_path=str(path), n_perm=99
    )
    data = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert data["benchmarks"] == {"9988.HK": "QQQ"}
    # 16:00 Hong Kong = 08:00 UTC; 16:00 New York in January = 21:00 UTC: 13 hours later
    assert len(data["warnings"]) == 1 and "closes 13 h later" in data["warnings"][0]
    assert "HKEX=SYMBOL" in data["warnings"][0]


def test_issue_8_too_few_news_days_replaces_the_headline(tmp_path):
    import numpy as np

    path = tmp_path / "few.db"
    db = open_db(path)
    rng = np.random.default_rng(2)
    for ticker, exchange in (("BABA", "NYSE"), ("QQQ", "NASDAQ")):
        days = sessions("XNYS")
        insert_prices(db, ticker, exchange, days, 100 * np.exp(np.cumsum(rng.standard_t(3, len(days)) * 0.01)))
    items = synthetic_articles(3, date_only_every=0)  # three exact stories, on three different sessions
    insert_articles(db, items)
    db.close()
    html = market.report(
        "china-ai", ["BABA"], "QQQ", "2024-01-01", "2024-06-28", tmp_path / "out", db_path=str(path), n_perm=99
    ).read_text(encoding="utf-8")
    data = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    relevant = sum(1 for i in items if i["relevance"] >= 0.5)
    assert data["summary"]["news_sessions"] == relevant == 2  # the first item has relevance 0.3
    assert data["summary"]["enough"] is False and data["summary"]["headline"] is None
    assert data["summary"]["sentence"].startswith("Too few news days to test")
    assert "too few news days to test" in html
    assert "strongest cross-corr" not in html


def _exact_items_per_nyse_session(path) -> pd.Series:
    """By hand, from the stored rows: each relevant exactly timed article counts for the first NYSE session that
    closes after it (the rule of ``intraday="same"``), 2024 sessions only."""
    import exchange_calendars as xcals

    db = open_db(path, readonly=True)
    published = [
        p
        for (p,) in db.execute(
            "SELECT a.published FROM articles a JOIN article_scores s ON s.article_id = a.id "
            "WHERE a.published_precision = 'exact' AND s.relevance >= 0.5"
        ).fetchall()
    ]
    db.close()
    closes = xcals.get_calendar("XNYS").closes.loc["2023-12-01":"2025-01-31"]
    credited = [closes.index[closes.searchsorted(pd.Timestamp(p), side="right")] for p in published]
    counts = pd.Series(credited).value_counts()
    counts.index = counts.index.strftime("%Y-%m-%d")
    return counts[(counts.index >= "2024-01-01") & (counts.index <= "2024-12-31")].sort_index()


def test_report_cli_index_and_report_index_agree(built):
    """`narrative index --sessions XNYS` counts the stored exact items per session as placed by hand, and the
    report's index (BABA's NYSE sessions) has the same numbers."""
    path, out, _, _ = built
    result = CliRunner().invoke(
        cli,
        [
            "index",
            "--sessions",
            "XNYS",
            "--from",
            "2024-01-01",
            "--to",
            "2024-12-31",
            "--db",
            str(path),
            "--narrative",
            "china-ai",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = pd.DataFrame(json.loads(result.output)["rows"]).set_index("session")
    by_hand = _exact_items_per_nyse_session(path)
    from_cli = rows.loc[rows["n_exact"] > 0, "n_exact"]
    from_cli.index = pd.to_datetime(from_cli.index).strftime("%Y-%m-%d")
    assert len(by_hand) > 40 and from_cli.to_dict() == by_hand.to_dict()
    report = pd.read_csv(out / "index.csv").set_index("session")
    assert list(rows.index) == list(report.index)
    for column in ("attention", "stories", "n_exact", "n_date_only"):
        assert rows[column].tolist() == report[column].tolist(), column
    assert rows["net"].round(4).tolist() == report["net"].round(4).tolist()
    assert rows["attention"].sum() > 50


def test_report_shift_is_dated_at_the_news_and_feeds_the_event_study(built):
    """The fixture's stance steps up from article 61 on (2024-06-05 15:00 UTC, an exact time: NYSE session
    2024-06-05); the shift is found near there and the event study covers both tickers over it."""
    _, out, _, data = built
    assert data["shifts"], "a step from -0.4 to +0.6 in every relevant article is a shift"
    first = data["shifts"][0]
    sessions_ny = sessions("XNYS", "2024-05-20", "2024-06-20")
    pos = sessions_ny.get_loc(pd.Timestamp("2024-06-05"))
    assert first["direction"] == "up" and first["p_value"] < 0.05
    assert sessions_ny[pos - 3] <= pd.Timestamp(first["session"]) <= sessions_ny[pos + 3]
    study = pd.read_csv(out / "event_study.csv")
    assert set(study["ticker"]) == {"BABA", "9988.HK"} and (study["n_events"] == len(data["events"]["dates"])).all()
    cars = pd.read_csv(out / "shift_cars.csv")
    assert (cars["shift"] == first["session"]).any()


def test_report_ticker_returns_match_the_stored_closes(built):
    """Return over the window = last close in the window / last close before it - 1, from the prices table."""
    path, _, _, data = built
    db = open_db(path, readonly=True)
    for item in data["tickers_detail"]:
        closes = pd.Series(
            dict(db.execute("SELECT date, adj_close FROM prices WHERE ticker = ?", [item["ticker"]]).fetchall())
        )
        before = closes[closes.index < "2024-01-01"].iloc[-1]
        last = closes[closes.index <= "2024-12-31"].iloc[-1]
        assert item["return"] == pytest.approx(round((last / before - 1) * 100, 2), abs=0.011)
        assert item["sessions"] == item["sessions_with_benchmark"]  # ^HSI and QQQ cover 2024 in the fixture
    db.close()
