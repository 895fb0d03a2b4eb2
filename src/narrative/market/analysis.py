"""Everything the report shows, computed once and returned as plain JSON-able data.

Per ticker, on that ticker's own exchange sessions: the session-aligned narrative index (:mod:`.index`),
simple returns, excess returns over the benchmark, lead-lag cross-correlations of the index's ``net`` stance
with excess returns (lags -10..+10), Granger tests both ways (lags 1..5), a 60-session rolling correlation,
and market-model CARs around each narrative shift. Every p-value of the lead-lag family is also given
Bonferroni-adjusted over the whole family, whose size is reported.
"""

from __future__ import annotations

import logging
import math
from datetime import date, datetime, timedelta, timezone

import pandas as pd
from sqlite_utils import Database

from ..errors import InputError
from ..store.prices import price_rows
from . import leadlag
from .calendar import calendar_for
from .index import RELEVANCE_THRESHOLD, session_index
from .prices import listing_for
from .returns import WINDOWS, aligned_returns, cumulative, event_car
from .shifts import detect_shifts
from ..store.reads import article_scores, evidence_sentences, window_terms

LOGGER = logging.getLogger(__name__)
MAX_LAG, GRANGER_LAG, ROLLING = 10, 5, 60


def analyse(db: Database, *, narrative: str, tickers: list[str], benchmark: str, start: str, end: str,
            intraday: str = "same", claims: pd.DataFrame | None = None) -> dict:
    """The report's data: see :mod:`narrative.report.build` for how it is shown."""
    prices = {t: _closes(db, t) for t in dict.fromkeys([*tickers, benchmark])}
    for ticker, (series, _) in prices.items():
        if series is None or series.loc[start:end].empty:
            raise InputError(f"no {ticker} prices between {start} and {end}: import them with "
                             f"`narrative prices import FILE` (or `narrative prices fetch {ticker}`).")
    lo = (datetime.fromisoformat(start) - timedelta(days=7)).replace(tzinfo=timezone.utc).isoformat()
    hi = (datetime.fromisoformat(end) + timedelta(days=1)).replace(tzinfo=timezone.utc).isoformat()
    scores = article_scores(db, narrative, since=lo, until=hi)
    bench_closes = prices[benchmark][0]
    per_ticker, family = [], []
    indexes: dict[str, pd.DataFrame] = {}
    for ticker in tickers:
        closes, exchange = prices[ticker]
        calendar = calendar_for(exchange, start, end, dates=closes.index)
        index = session_index(scores, calendar, start=start, end=end, intraday=intraday)
        index = index[index.index.isin(closes.index)] if calendar.source == "prices" else index
        indexes[ticker] = index
        rets = aligned_returns(closes, bench_closes)
        window = rets.loc[start:end]
        excess = (window["asset"] - window["benchmark"]).rename("excess")
        ccf = leadlag.cross_correlation(index["net"], excess, max_lag=MAX_LAG)
        granger = leadlag.granger_both_ways(index["net"], excess, max_lag=GRANGER_LAG)
        rolling = leadlag.rolling_correlation(index["net"], excess, window=ROLLING)
        family += [("ccf", ticker, i) for i in range(len(ccf))] + [("granger", ticker, i) for i in range(len(granger))]
        per_ticker.append({
            "ticker": ticker, "exchange": exchange, "calendar": calendar.source, "sessions": int(len(window)),
            "prices_from": str(closes.index[0].date()), "prices_to": str(closes.index[-1].date()),
            "return": _pct(cumulative(window["asset"]).iloc[-1]) if len(window) else None,
            "benchmark_return": _pct(cumulative(window["benchmark"]).iloc[-1]) if len(window) else None,
            "excess_return": None,
            "series": _series(pd.DataFrame({"cum_return": cumulative(window["asset"]),
                                            "cum_benchmark": cumulative(window["benchmark"]),
                                            "cum_excess": cumulative(excess)})),
            "rolling_corr": _series(rolling.rename("corr").to_frame()),
            "ccf": _records(ccf), "granger": _records(granger), "_returns": rets,
        })
        last = per_ticker[-1]
        if last["return"] is not None:
            last["excess_return"] = round(last["return"] - last["benchmark_return"], 2)
    _adjust(per_ticker, family)
    lead = tickers[0]
    index = indexes[lead]
    shifts = _shifts(db, narrative, index, scores, per_ticker, lead)
    for item in per_ticker:
        item.pop("_returns")
    relevant = scores[scores["relevance"] >= RELEVANCE_THRESHOLD] if len(scores) else scores
    claim_rows = _records(claims) if claims is not None and len(claims) else []
    verdicts = {v: sum(1 for c in claim_rows if c["verdict"] == v) for v in ("matches", "off", "cannot check")}
    best = _strongest(per_ticker)
    return {
        "narrative": narrative, "tickers": tickers, "benchmark": benchmark, "start": start, "end": end,
        "generated": date.today().isoformat(), "intraday": intraday, "lead_ticker": lead,
        "summary": {
            "articles_scored": int(len(scores)), "articles_relevant": int(len(relevant)),
            "sessions": int(len(index)), "sessions_with_news": int((index["attention"] > 0).sum()),
            "mean_stance": _num(index["stance"].mean()), "share_positive": _num(relevant["stance"].gt(0).mean())
            if len(relevant) else None,
            "shifts": len(shifts), "tests": len(family), "claims": verdicts, "strongest_lag": best,
        },
        "index": _series(index), "tickers_detail": per_ticker, "shifts": shifts, "claims": claim_rows,
        "caveats": _caveats(len(index), int((index["attention"] > 0).sum()), len(family), intraday, per_ticker, end),
    }


def _closes(db: Database, ticker: str) -> tuple[pd.Series | None, str]:
    rows = price_rows(db, [ticker])
    if not rows:
        return None, listing_for(ticker, {})[1]
    series = pd.Series([r["adj_close"] for r in rows], index=pd.to_datetime([r["date"] for r in rows]), name=ticker)
    return series, rows[-1]["exchange"] or listing_for(ticker, {})[1]


def _adjust(per_ticker: list[dict], family: list[tuple[str, str, int]]) -> None:
    by_ticker = {t["ticker"]: t for t in per_ticker}
    p_values = [by_ticker[t][kind][i]["p_value"] for kind, t, i in family]
    adjusted, _ = leadlag.bonferroni(p_values)
    for (kind, t, i), p_adj in zip(family, adjusted):
        by_ticker[t][kind][i]["p_bonferroni"] = None if p_adj is None else round(p_adj, 4)


def _shifts(db, narrative, index, scores, per_ticker, lead) -> list[dict]:
    out = []
    if index["attention"].sum() == 0:
        return out
    for shift in detect_shifts(index["net"]):
        day = pd.Timestamp(shift.session)
        sessions = index.index
        pos = sessions.searchsorted(day)
        lo, hi = sessions[max(0, pos - 2)], sessions[min(len(sessions) - 1, pos + 5)]
        relevant = scores[scores["relevance"] >= RELEVANCE_THRESHOLD]
        published = pd.to_datetime(relevant["published"], utc=True, format="ISO8601").dt.tz_localize(None)
        near = relevant[(published >= lo - pd.Timedelta(days=1)) & (published <= hi + pd.Timedelta(days=1))]
        sign = 1 if shift.direction == "up" else -1
        evidence_rows = near[near["stance"] * sign > 0] if len(near) else near
        cars = []
        for item in per_ticker:
            for car in event_car(item["_returns"], day, windows=WINDOWS):
                cars.append({"ticker": item["ticker"], "window": f"({car.start:+d},{car.end:+d})",
                             "car": _pct(car.car), "t": _num(car.t, 2), "n_days": car.n_days,
                             "beta": _num(car.beta, 3), "est_n": car.est_n, "note": car.note})
        terms = window_terms(db, [int(a) for a in near["article_id"]], narrative)
        out.append({"session": shift.session, "size": _num(shift.size, 4), "direction": shift.direction,
                    "before": _num(shift.before, 4), "after": _num(shift.after, 4), "method": shift.method,
                    "articles": int(len(near)), "evidence": evidence_sentences(db, evidence_rows, limit=3),
                    "entities": terms["entities"], "phrases": terms["phrases"], "car": cars})
    return sorted(out, key=lambda s: s["session"])


def _strongest(per_ticker: list[dict]) -> dict | None:
    best = None
    for item in per_ticker:
        for row in item["ccf"]:
            if row["corr"] is not None and (best is None or abs(row["corr"]) > abs(best["corr"])):
                best = {"ticker": item["ticker"], **row}
    return best


def _caveats(sessions: int, with_news: int, tests: int, intraday: str, per_ticker: list[dict], end: str
             ) -> list[str]:
    rule = ("a story published before a session's close counts for that session; at or after the close, for the "
            "next one" if intraday == "same" else
            "a story counts for the first session that opens after it (stories during a session go to the next)")
    notes = [
        f"Sample size: {sessions} sessions, {with_news} with at least one relevant article. Correlations on so few "
        f"news days are noisy; a 95% band is ±1.96/√n.",
        f"Multiple tests: {tests} lead-lag tests were run (cross-correlations at 21 lags and Granger F-tests at "
        f"{GRANGER_LAG} lags both ways, per ticker); about {tests * 0.05:.0f} would pass p < 0.05 by chance. "
        f"Bonferroni-adjusted p-values are shown next to the raw ones.",
        "Correlation is not causation; Granger causality only means past values help predict, not that news moves "
        "prices (both may respond to the same events).",
        f"Alignment: {rule}; times compared in UTC against each exchange's local close (16:00 New York, "
        f"16:00 Hong Kong), weekends and holidays roll forward. No look-ahead.",
        "Event-study CARs use a market model (OLS vs the benchmark) estimated on 120 sessions ending 10 sessions "
        "before each shift; t = CAR / (σ·√days) with σ the estimation residual std. Shifts were found in the same "
        "data, so their CARs are descriptive, not out-of-sample tests.",
    ]
    for item in per_ticker:
        if item["prices_to"] < end:
            notes.append(f"{item['ticker']}: prices end {item['prices_to']}, before the window's end; its statistics "
                         f"cover the sessions up to then only.")
    notes.append("The index is sparse (zero on quiet sessions): one extreme return next to a few news days can drive "
                 "a correlation, so check the correlogram against the event list before reading much into it.")
    calendars = sorted({t["calendar"] for t in per_ticker})
    notes.append(f"Trading sessions from: {', '.join(calendars)}.")
    return notes


def _series(frame: pd.DataFrame) -> dict:
    out = {"dates": [str(d.date()) for d in frame.index]}
    for column in frame.columns:
        out[column] = [_num(v, 6) for v in frame[column]]
    return out


def _records(frame: pd.DataFrame) -> list[dict]:
    rows = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
    return [{k: (_num(v, 6) if isinstance(v, float) else v) for k, v in row.items()} for row in rows]


def _num(value, digits: int = 4):
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else round(number, digits)


def _pct(value) -> float | None:
    number = _num(value, 8)
    return None if number is None else round(number * 100, 2)
