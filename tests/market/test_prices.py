"""Reading Yahoo-style price CSVs and importing them (idempotent upsert, bad rows reported by line)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from narrative.api import market
from narrative.cli import cli
from narrative.errors import InputError
from narrative.market.prices import listing_for, read_price_csv, ticker_from_path

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo" / "prices"


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_prices_close_only(tmp_path):
    f = read_price_csv(_write(tmp_path, "X.csv", "Date,Close\n2024-01-02,10.5\n2024-01-03,11\n"))
    assert [(r["date"], r["close"], r["adj_close"], r["open"]) for r in f.rows] == [
        ("2024-01-02", 10.5, 10.5, None),
        ("2024-01-03", 11.0, 11.0, None),
    ]


def test_prices_ohlcv_any_column_order(tmp_path):
    f = read_price_csv(_write(tmp_path, "X.csv", "Date,Close,High,Low,Open,Volume\n2024-01-02,10,11,9,9.5,1000\n"))
    assert f.rows[0] == {
        "date": "2024-01-02",
        "open": 9.5,
        "high": 11.0,
        "low": 9.0,
        "close": 10.0,
        "adj_close": 10.0,
        "volume": 1000.0,
    }


def test_prices_tz_aware_dates_keep_the_local_trading_date(tmp_path):
    text = (
        "Date,Open,High,Low,Close,Volume,Dividends,Stock Splits\n"
        "2025-05-22 00:00:00+08:00,121.6,121.8,118.6,118.8,73998362,0.0,0.0\n"
    )
    f = read_price_csv(_write(tmp_path, "9988.HK.csv", text))
    assert f.rows[0]["date"] == "2025-05-22" and f.rows[0]["close"] == 118.8 and not f.problems


def test_prices_yfinance_three_row_header_and_adj_close(tmp_path):
    text = (
        "Price,Adj Close,Close,High,Low,Open,Volume\nTicker,QQQ,QQQ,QQQ,QQQ,QQQ,QQQ\nDate,,,,,,\n"
        "2025-09-18,595.32,596.0,598.14,592.96,594.9,61069300\n"
    )
    f = read_price_csv(_write(tmp_path, "QQQ.csv", text))
    assert f.ticker == "QQQ" and f.has_adj_close
    assert f.rows[0]["adj_close"] == 595.32 and f.rows[0]["close"] == 596.0


def test_prices_bad_rows_are_reported_by_line(tmp_path):
    text = (
        "Date,Open,High,Low,Close,Volume\n2024-01-02,1,1,1,10,100\nnot-a-date,1,1,1,10,100\n"
        "2024-01-04,1,1,1,,100\n2024-01-05,1,1,1,-3,100\n2024-01-08,1,1,1,abc,100\n2024-01-09,1,1\n"
    )
    f = read_price_csv(_write(tmp_path, "X.csv", text))
    assert [r["date"] for r in f.rows] == ["2024-01-02"]
    assert [line for line, _ in f.problems] == [3, 4, 5, 6, 7]
    assert "truncated" in f.problems[-1][1]


def test_prices_in_progress_last_row_is_skipped(tmp_path):
    rows = "".join(f"2024-01-{d:02d},10,10,10,10,1000000\n" for d in range(2, 26))
    f = read_price_csv(
        _write(tmp_path, "X.csv", "Date,Open,High,Low,Close,Volume\n" + rows + "2024-01-26,10,10,10,10,2000\n")
    )
    assert f.rows[-1]["date"] == "2024-01-25"
    assert "in progress" in f.problems[0][1]


def test_prices_ticker_and_listing_rules():
    assert ticker_from_path("a/9988.HK.csv") == "9988.HK"
    assert ticker_from_path("HSI.csv", {"^HSI"}) == "^HSI"
    assert ticker_from_path("QQQ.csv", {"QQQ"}) == "QQQ"
    assert listing_for("BABA", {"BABA": ("USD", "NYSE")}) == ("USD", "NYSE")
    assert listing_for("1234.HK", {}) == ("HKD", "HKEX")
    assert listing_for("000001.SZ", {}) == ("CNY", "SZSE")


def test_prices_import_is_idempotent_and_uses_the_catalog(tmp_path):
    db = tmp_path / "p.db"
    first = market.import_prices(DEMO / "9988.HK.csv", db_path=str(db))
    assert (first.ticker, first.currency, first.exchange) == ("9988.HK", "HKD", "HKEX")
    assert first.new > 400 and first.last == "2025-05-22"
    again = market.import_prices(DEMO / "9988.HK.csv", db_path=str(db))
    assert again.new == 0 and again.updated == first.new
    hsi = market.import_prices(DEMO / "HSI.csv", db_path=str(db))
    assert hsi.ticker == "^HSI"
    count = sqlite3.connect(db).execute("SELECT COUNT(*) FROM prices WHERE ticker = '9988.HK'").fetchone()[0]
    assert count == first.new


def test_prices_import_cli_reports_skipped_lines(tmp_path):
    path = _write(tmp_path, "X.csv", "Date,Close\n2024-01-02,10\n2024-01-03,oops\n")
    result = CliRunner().invoke(cli, ["prices", "import", str(path), "--db", str(tmp_path / "p.db"), "--ticker", "XYZ"])
    assert result.exit_code == 0, result.output
    assert "X.csv:3: skipped: close is not a number: 'oops'" in result.output
    assert "XYZ (US, USD)" in result.output


def test_prices_import_without_close_column_exits_2(tmp_path):
    path = _write(tmp_path, "X.csv", "Date,Open\n2024-01-02,10\n")
    result = CliRunner().invoke(cli, ["prices", "import", str(path), "--db", str(tmp_path / "p.db")])
    assert result.exit_code == 2 and "needs a Date and a Close column" in result.output
    with pytest.raises(InputError):
        read_price_csv(tmp_path / "missing.csv")
