"""The claim checker on hand-made cases and on every price-derived claim of examples/demo/FACTS.md."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from narrative.market.calendar import calendar_for
from narrative.market.claims import ListingRef, check_claim, check_claims, choose_listing, period_return
from narrative.market.prices import read_price_csv

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"


def _closes(ticker: str) -> pd.Series:
    rows = read_price_csv(DEMO / "prices" / f"{ticker.lstrip('^')}.csv").rows
    return pd.Series([r["adj_close"] for r in rows], index=pd.to_datetime([r["date"] for r in rows]))


def _toy() -> pd.Series:
    idx = pd.to_datetime(["2023-12-28", "2023-12-29", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05",
                          "2024-01-08", "2024-01-09"])
    return pd.Series([90.0, 100.0, 102.0, 104.0, 103.0, 101.0, 110.0, 99.0], index=idx)


def _figure(value, direction, period, surface=None, **extra):
    return {"value": value, "direction": direction, "period": period, "published": "2024-01-09T22:00:00+00:00",
            "surface": surface or f"{value}%", **extra}


def test_claims_hand_made_periods():
    closes, as_of = _toy(), pd.Timestamp("2024-01-09")
    assert period_return(closes, as_of, "YTD").value == pytest.approx(-1.0)
    assert period_return(closes, as_of, "1D").value == pytest.approx(-10.0)
    assert period_return(closes, as_of, "1W").value == pytest.approx((99 / 102 - 1) * 100)
    assert period_return(closes, as_of, "1M").value is None  # not 22 sessions of history
    assert "unsupported" in period_return(closes, as_of, "YoY").reason


def test_claims_hand_made_verdicts():
    closes, as_of = _toy(), pd.Timestamp("2024-01-09")
    ok = check_claim(_figure(10, "down", "1D", "10%"), closes=closes, as_of=as_of, ticker="T")
    assert ok.verdict == "matches" and ok.computed == -10.0 and ok.stated == -10.0
    direction = check_claim(_figure(3.0, "up", "1W", "3.0%"), closes=closes, as_of=as_of, ticker="T")
    assert direction.verdict == "off" and direction.reason.startswith("wrong direction")
    period = check_claim(_figure(10.0, "down", "YTD", "10.0%"), closes=closes, as_of=as_of, ticker="T")
    assert period.verdict == "off" and period.best_fit_period == "1D" and "wrong period" in period.reason
    business = check_claim(_figure(26, "up", "Q2", sentence="cloud revenue rose 26% in the June quarter",
                                   position=19), closes=closes, as_of=as_of, ticker="T")
    assert business.verdict == "cannot check" and "business figure" in business.reason
    unsupported = check_claim(_figure(5, "up", "YoY"), closes=closes, as_of=as_of, ticker="T")
    assert unsupported.verdict == "cannot check" and "unsupported period" in unsupported.reason


def test_claims_precision_sets_the_tolerance():
    closes, as_of = _toy(), pd.Timestamp("2024-01-09")
    # -1.0% YTD: "2%" (round) is within 1.5 points; "2.0%" (written precisely) is not.
    assert check_claim(_figure(2, "down", "YTD", "2%"), closes=closes, as_of=as_of, ticker="T").verdict == "matches"
    assert check_claim(_figure(2.0, "down", "YTD", "2.0%"), closes=closes, as_of=as_of, ticker="T").verdict == "off"


def test_claims_listing_choice():
    listings = {"alibaba": [ListingRef("BABA", "NYSE", True), ListingRef("9988.HK", "HKEX")],
                "tencent": [ListingRef("0700.HK", "HKEX", True)], "kweb": [ListingRef("KWEB", "NYSE Arca", True)]}
    owner = {"BABA": "alibaba", "9988.HK": "alibaba", "0700.HK": "tencent", "KWEB": "kweb"}
    names = {"alibaba": ["Alibaba"], "tencent": ["Tencent"], "kweb": ["KWEB"]}
    s = "Alibaba’s Hong Kong shares (9988.HK) plunged 18.0% on Monday, Tencent (0700.HK) lost 12.5%"
    assert choose_listing(s, s.index("18.0"), "alibaba", listings, owner, names)[1] == "9988.HK"
    assert choose_listing(s, s.index("12.5"), "alibaba", listings, owner, names)[:2] == ("tencent", "0700.HK")
    s2 = "KWEB slid 7.1% on Friday and Alibaba ADRs fell 8.4%"
    assert choose_listing(s2, s2.index("8.4"), "alibaba", listings, owner, names)[1] == "BABA"
    s3 = "Alibaba's Hong Kong stock rose 5%"
    assert choose_listing(s3, s3.index("5%"), "alibaba", listings, owner, names)[1] == "9988.HK"
    assert choose_listing("Alibaba rose 5%", 13, "alibaba", listings, owner, names)[2] == "primary listing"


def _facts_rows():
    text = (DEMO / "FACTS.md").read_text(encoding="utf-8")
    section = text.split("## All price-derived claims")[1].split("## Publication")[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 12 or not cells[0].isdigit():
            continue
        period = {"YTD": "YTD", "1 day": "1D", "5 trading days (week)": "1W",
                  "21 trading days (past month)": "1M"}.get(cells[6])
        if period is None:
            continue  # "since 2024-01-22" is not a standard period
        as_of = re.match(r"(\d{4}-\d{2}-\d{2})", cells[8]).group(1)
        stated = float(cells[10].rstrip("%"))
        rows.append((int(cells[0]), cells[4], period, as_of, stated, "WRONG" not in cells[11]))
    return rows


def test_claims_every_facts_claim():
    """The 3 deliberately wrong claims come out off; every true one matches (bundled demo prices)."""
    rows = _facts_rows()
    assert len(rows) >= 60
    wrong = []
    for number, ticker, period, as_of, stated, true in rows:
        figure = {"value": abs(stated), "direction": "down" if stated < 0 else "up", "period": period,
                  "published": as_of, "surface": f"{abs(stated):.1f}%"}
        check = check_claim(figure, closes=_closes(ticker), as_of=pd.Timestamp(as_of), ticker=ticker)
        assert check.verdict == ("matches" if true else "off"), (number, ticker, period, check)
        if not true:
            wrong.append((number, check.reason.split(":")[0]))
    # FACTS lists #49 at its 2024 as-of date; at its real publication date it is a mis-dated 2025 YTD figure:
    assert wrong == [(36, "wrong magnitude"), (49, "wrong magnitude"), (50, "wrong direction")]
    ab10 = check_claim({"value": 95.0, "direction": "up", "period": "Y2024", "published": "2025-09-20T07:00:00Z",
                        "surface": "95%", "qualifier": "roughly"}, closes=_closes("BABA"),
                       as_of=pd.Timestamp("2025-09-19"), ticker="BABA")
    assert ab10.verdict == "off" and ab10.computed == pytest.approx(11.77, abs=0.01)
    assert ab10.best_fit_period == "YTD" and ab10.best_fit_value == pytest.approx(95.26, abs=0.01)


def test_claims_as_of_follows_the_alignment_rule():
    """Publication instants from FACTS.md map to the close the text refers to (last close at or before)."""
    cases = [("BIDU", "2025-09-13T02:00:00Z", "2025-09-12"), ("9988.HK", "2025-04-07T09:30:00Z", "2025-04-07"),
             ("BABA", "2025-04-07T09:30:00Z", "2025-04-04"), ("KWEB", "2025-09-24T21:30:00Z", "2025-09-24")]
    for ticker, published, expected in cases:
        closes = _closes(ticker)
        exchange = "HKEX" if ticker.endswith(".HK") else "US"
        calendar = calendar_for(exchange, closes.index[0], closes.index[-1], dates=closes.index, source="prices")
        assert str(calendar.last_close([published])[0].date()) == expected


def test_claims_batch_reports_missing_prices_and_listings():
    figures = pd.DataFrame([
        {"figure_id": 1, "published": "2025-09-13T02:00:00Z", "subject_entity_id": "baidu", "value": 6.0,
         "direction": "down", "period": "1W", "surface": "6%", "sentence": "Baidu’s US shares slipped 6% this week",
         "position": 32},
        {"figure_id": 2, "published": "2025-09-13T02:00:00Z", "subject_entity_id": "kunlun", "value": 6.0,
         "direction": "down", "period": "1W", "surface": "6%", "sentence": "x", "position": 0},
        {"figure_id": 3, "published": "2025-09-13T02:00:00Z", "subject_entity_id": "nvidia", "value": 6.0,
         "direction": "down", "period": "1W", "surface": "6%", "sentence": "x", "position": 0},
    ])
    listings = {"baidu": [ListingRef("BIDU", "NASDAQ", True)], "nvidia": [ListingRef("NVDA", "NASDAQ", True)]}
    closes = {"BIDU": _closes("BIDU")}
    out = check_claims(figures, listings=listings, owner={"BIDU": "baidu", "NVDA": "nvidia"},
                       closes_for=closes.get, as_of_for=lambda s, p: pd.Timestamp("2025-09-12"))
    assert [c.verdict for c in out] == ["off", "cannot check", "cannot check"]
    assert out[0].computed == pytest.approx(12.57, abs=0.01)
    assert out[1].reason == "no listing" and out[2].reason.startswith("no prices for NVDA")
