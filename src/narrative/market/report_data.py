"""Everything the report shows, computed once from data (:class:`~narrative.market.analysis.MarketData` and the
frames of :mod:`narrative.store.reads`) and returned as JSON-able data plus the tables written beside it as CSV.

The headline follows the calibrated lead-lag result (:mod:`.inference`): it names a lead or a lag only when there
were enough news sessions to test and the test survives family-wise control; otherwise it says why not.
"""

from __future__ import annotations

import math
from datetime import date

import pandas as pd

from . import evidence
from .analysis import MarketData, benchmark_warnings, event_table, headline, leadlag_tests, session_panel, shift_cars
from .calendar import IMPRECISE
from .index import COLUMNS, POSITIVE, PRECISIONS, RELEVANT
from .returns import cumulative
from .shifts import detect_shifts

INDEX_COLUMNS = [c for c in COLUMNS if c != "first_published"]  # the index's numeric columns
EVIDENCE_SESSIONS = 5  # a shift's evidence: articles credited to the 5 sessions before it up to 5 after


def report_data(
    data: MarketData,
    *,
    narrative: str,
    start: str,
    end: str,
    sentences: pd.DataFrame,
    sentiment: pd.DataFrame,
    claims: pd.DataFrame | None = None,
    themes: dict[str, str] | None = None,
    events: list | None = None,
    intraday: str = "same",
    precision=None,
    n_perm: int = 999,
    seed: int = 0,
) -> tuple[dict, dict[str, pd.DataFrame]]:
    """``(report, tables)``: the report's JSON data and its tables as DataFrames (one CSV each)."""
    panel = session_panel(data, start=start, end=end, intraday=intraday, precision=precision)
    result = leadlag_tests(panel, n_perm=n_perm, seed=seed)
    lead = data.tickers[0]
    index = panel[panel["ticker"] == lead].set_index("session")
    shifts = detect_shifts(index, n_perm=n_perm, seed=seed)
    calendar = data.calendar(lead, start, end)
    articles = data.articles.copy()
    articles["session"] = (
        calendar.session_for(
            articles["published"].tolist(),
            intraday=intraday,
            precision=articles["precision"].tolist(),
            source_tz=articles["source_tz"].tolist(),
        )
        if len(articles)
        else []
    )
    window = articles[articles["session"].isin(index.index)]
    if precision is not None:
        window = window[window["precision"].isin([precision] if isinstance(precision, str) else list(precision))]
    freq = evidence.period_freq(start, end)
    periods = evidence.period_of(window["published"], freq) if len(window) else pd.Series(dtype=str)
    in_window = sentences[sentences["article_id"].isin(window.loc[window["relevance"] >= RELEVANT, "article_id"])]
    sentence_periods = in_window["article_id"].map(pd.Series(periods.to_numpy(), index=window["article_id"]))
    stories = evidence.top_stories(window, periods)
    sides = evidence.both_sides(in_window, sentence_periods)
    every_period = pd.period_range(start, end, freq=freq).astype(str)  # a fixed axis: quiet periods show as 0
    theme_table = evidence.theme_series(in_window, window, periods)
    theme_table = theme_table.reindex(every_period, fill_value=0) if len(theme_table.columns) else theme_table
    entity_table = evidence.entity_series(sentiment[sentiment["article_id"].isin(window["article_id"])], freq)

    event_dates = [pd.Timestamp(e) for e in events] if events else [pd.Timestamp(s.session) for s in shifts]
    caar = event_table(data, event_dates) if event_dates else pd.DataFrame()
    shift_items, shift_cars = _shifts(shifts, data, index, window, in_window)
    tickers = _tickers(data, panel, start, end)
    tests = result.tests
    relevant = window[window["relevance"] >= RELEVANT]
    claim_rows = _records(claims) if claims is not None and len(claims) else []
    top = headline(result)
    counts = {p: int(index[f"n_{p}"].sum()) for p in PRECISIONS}
    report = {
        "narrative": narrative,
        "tickers": data.tickers,
        "benchmarks": data.benchmarks,
        "start": start,
        "end": end,
        "generated": date.today().isoformat(),
        "intraday": intraday,
        "precision": None if precision is None else ([precision] if isinstance(precision, str) else list(precision)),
        "lead_ticker": lead,
        "summary": {
            "sentence": _sentence(result, top, len(shifts)),
            "leadlag": result.summary,
            "enough": bool(result.enough),
            "reason": result.reason,
            "news_sessions": int(result.news_sessions),
            "headline": top,
            "articles_scored": len(articles),
            "articles_relevant": len(relevant),
            "sessions": len(index),
            "sessions_with_news": int((index["attention"] > 0).sum()),
            "mean_stance": _num(index["stance"].mean()),
            "share_positive": _num((relevant["stance"] > POSITIVE).mean()) if len(relevant) else None,
            "shifts": len(shifts),
            "tests": int(tests["p_perm"].notna().sum()),
            "n_perm": int(result.n_perm),
            "claims": {
                v: sum(1 for c in claim_rows if c["verdict"] == v)
                for v in dict.fromkeys(["matches", "off", "cannot check", *(c["verdict"] for c in claim_rows)])
            },
            "precision_counts": counts,
        },
        "index": _series(index[INDEX_COLUMNS]),
        "tickers_detail": tickers,
        "leadlag": _records(tests),
        "shifts": shift_items,
        "events": {
            "source": "user" if events else "shifts",
            "dates": [str(d.date()) for d in event_dates],
            "table": [{**r, "caar_pct": _pct(r.get("caar"))} for r in _records(caar)],
        },
        "stories": _records(stories),
        "sides": _records(sides),
        "themes": {
            "labels": {t: (themes or {}).get(t, t) for t in theme_table.columns},
            "periods": [str(p) for p in theme_table.index],
            "counts": {t: [int(v) for v in theme_table[t]] for t in theme_table.columns},
        },
        "entities": _records(entity_table),
        "claims": claim_rows,
        "warnings": benchmark_warnings(data),
        "caveats": _caveats(data, tickers, counts, intraday, precision, result, end),
    }
    tables = {
        "index": index[[*INDEX_COLUMNS, "first_published"]].reset_index(),
        "panel": panel,
        "leadlag": tests,
        "event_study": caar,
        "shifts": pd.DataFrame([{k: v for k, v in s.items() if not isinstance(v, list)} for s in shift_items]),
        "shift_cars": shift_cars,
        "stories": stories,
        "story_sides": sides,
        "themes": theme_table.rename_axis("period").reset_index(),
        "entity_sentiment": entity_table,
        "claims": claims if claims is not None else pd.DataFrame(),
        "tickers": pd.DataFrame([{k: v for k, v in t.items() if not isinstance(v, (dict, list))} for t in tickers]),
    }
    return report, tables


def _sentence(result, top: dict | None, shifts: int) -> str:
    """The report's plain-language summary, worded from the calibrated result only."""
    if not result.enough:
        lead = f"Too few news days to test whether the narrative leads or follows returns ({result.reason})."
    elif top is None:
        prefix = "no lead or lag survives family-wise control"
        rest = result.summary[len(prefix) :].strip() if result.summary.startswith(prefix) else f"({result.summary})"
        lead = f"No lead or lag between the narrative and returns survives family-wise control {rest}."
    else:
        lead = f"The calibrated tests find that {result.summary}."
    shift_words = {0: "no significant narrative shift", 1: "one significant narrative shift"}.get(
        shifts, f"{shifts} significant narrative shifts"
    )
    return f"{lead} The index shows {shift_words}."


def _shifts(shifts, data: MarketData, index: pd.DataFrame, window: pd.DataFrame, sentences: pd.DataFrame):
    items, cars = [], []
    sessions = index.index
    for shift in shifts:
        pos = int(sessions.searchsorted(pd.Timestamp(shift.session)))
        lo, hi = sessions[max(0, pos - EVIDENCE_SESSIONS)], sessions[min(len(sessions) - 1, pos + EVIDENCE_SESSIONS)]
        near = window[(window["session"] >= lo) & (window["session"] <= hi) & (window["relevance"] >= RELEVANT)]
        near_sentences = sentences[sentences["article_id"].isin(near["article_id"])]
        sides = evidence.both_sides(near_sentences, pd.Series([shift.session] * len(near_sentences)))
        stories = evidence.top_stories(near, pd.Series([shift.session] * len(near)))
        rows = [
            {
                "shift": shift.session,
                "ticker": c.ticker,
                "window": c.window,
                "day0": str(c.day0)[:10],
                "car": _pct(c.car),
                "scar": _num(c.scar, 2),
                "n_days": _int(c.n_days),
                "beta": _num(c.beta, 3),
                "est_n": _int(c.est_n),
                "note": c.note if isinstance(c.note, str) and c.note else None,
            }
            for c in shift_cars(data, shift.session).itertuples()
        ]
        cars += rows
        items.append(
            {
                "session": shift.session,
                "direction": shift.direction,
                "size": _num(shift.size),
                "before": _num(shift.before),
                "after": _num(shift.after),
                "p_value": _num(shift.p_value),
                "effect": _num(getattr(shift, "effect", None), 2),
                "method": shift.method,
                "first_published": getattr(shift, "first_published", None),
                "articles": len(near),
                "sides": _records(sides),
                "stories": _records(stories),
                "car": rows,
            }
        )
    return items, pd.DataFrame(cars)


def _tickers(data: MarketData, panel: pd.DataFrame, start, end) -> list[dict]:
    """Per ticker: its own return over its sessions in the window; the benchmark's return and the excess over the
    sessions both have (fewer when the benchmark's prices end early)."""
    out = []
    for ticker in data.tickers:
        rows = panel[panel["ticker"] == ticker].set_index("session")
        own = rows["return"].dropna()
        both = rows[["return", "benchmark_return"]].dropna()
        closes = data.closes[ticker]
        item = {
            "ticker": ticker,
            "exchange": data.exchanges[ticker],
            "benchmark": data.benchmarks[ticker],
            "calendar": str(rows["calendar"].iloc[0]) if len(rows) else "",
            "sessions": len(own),
            "sessions_with_benchmark": len(both),
            "prices_from": str(closes.index[0].date()),
            "prices_to": str(closes.index[-1].date()),
            "benchmark_to": str(data.closes[data.benchmarks[ticker]].index[-1].date()),
            "return": _pct(cumulative(own).iloc[-1]) if len(own) else None,
            "benchmark_return": _pct(cumulative(both["benchmark_return"]).iloc[-1]) if len(both) else None,
            "excess_return": _excess_return(both) if len(both) else None,
            "series": _series(
                pd.DataFrame(
                    {
                        "cum_return": _cumulative(rows["return"]),
                        "cum_benchmark": _cumulative(rows["benchmark_return"]),
                        "cum_excess": _cumulative(rows["excess_return"]),
                    }
                )
            ),
        }
        out.append(item)
    return out


def _cumulative(returns: pd.Series) -> pd.Series:
    """Compounded from the window's start, missing (not flat) after the series' last value."""
    last = returns.last_valid_index()
    out = cumulative(returns)
    return out.where(out.index <= last) if last is not None else out * float("nan")


def _caveats(data, tickers, counts, intraday, precision, result, end) -> list[str]:
    imprecise = sum(counts[p] for p in IMPRECISE)
    rule = (
        "an exactly timed story published before a session's close counts for that session, at or after the "
        "close for the next one"
        if intraday == "same"
        else "an exactly timed story counts for the first session that opens after it"
    )
    total = sum(counts.values())
    notes = [
        f"Point in time: {rule}, each exchange's open and close taken from its own calendar and time zone. A story "
        f"with a date but no time (or a relative date) counts for the first session that opens after its date has "
        f"ended everywhere (the end of the date in UTC-12, or in the source's own time zone when known), so it is "
        f"never credited to a session that closed before it could have been written. Relevant articles by timestamp "
        f"precision: "
        + ", ".join(f"{counts[p]} {p.replace('_', '-')}" for p in PRECISIONS)
        + (f" ({imprecise} of {total} without an exact time)." if total else ".")
        + (
            f" Only {', '.join(precision if not isinstance(precision, str) else [precision])} items are used."
            if precision
            else ""
        ),
        f"Lead-lag inference: {int(result.tests['p_perm'].notna().sum())} tests (cross-correlations at lags "
        f"{_lag_span(result.tests)} and Granger F-tests at lags 1..5 both ways, per ticker; the lag range is the "
        f"widest the sample can calibrate: a family-wise p cannot fall below (2L+1)/sessions). p-values come from "
        f"{result.n_perm} circular "
        f"shifts of the news series against the returns (keeping its sparsity and the returns' fat tails), and "
        f"family-wise p-values from the maximum statistic over the whole family. A test needs at least "
        f"{_min_news()} news sessions; {result.news_sessions} here.",
        "Correlation is not causation; Granger causality only means past values help predict, not that news moves "
        "prices (both may respond to the same events).",
        "Narrative shifts are reported only when a permutation test of the change in the news sessions' mean stance "
        "gives p < 0.05 and the change is at least half a standard deviation; each is dated at the session of its "
        "first contributing article. Their CARs use a market model (OLS vs the benchmark, 120 sessions ending 10 "
        "before the event); the shifts were found in the same data, so the CARs describe, they do not test. Across "
        "events, CAAR is tested with the Boehmer-Musumeci-Poulsen cross-sectional t of the standardised CARs; the "
        "(-5,-1) window is a placebo that should show nothing.",
    ]
    notes += benchmark_warnings(data)
    for item in tickers:
        if item["prices_to"] < end:
            notes.append(
                f"{item['ticker']}: prices end {item['prices_to']}, before the window's end; its statistics "
                f"cover the sessions up to then only."
            )
        if item["benchmark_to"] < min(end, item["prices_to"]):
            notes.append(
                f"{item['ticker']}: its benchmark {item['benchmark']} ends {item['benchmark_to']}; excess "
                f"returns after that are missing, not zero."
            )
    notes.append(f"Trading sessions from: {', '.join(sorted({t['calendar'] for t in tickers}))}.")
    return notes


def _min_news() -> int:
    from .inference import MIN_NEWS_SESSIONS

    return MIN_NEWS_SESSIONS


def _series(frame: pd.DataFrame) -> dict:
    out = {"dates": [str(pd.Timestamp(d).date()) for d in frame.index]}
    for column in frame.columns:
        out[column] = [_num(v, 6) for v in frame[column]]
    return out


def _records(frame: pd.DataFrame) -> list[dict]:
    if frame is None or frame.empty:
        return []
    rows = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
    return [{str(k): _plain(v) for k, v in row.items()} for row in rows]


def _plain(value):
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, (int,)) or (hasattr(value, "dtype") and "int" in str(getattr(value, "dtype", ""))):
        return int(value)
    if isinstance(value, float) or hasattr(value, "dtype"):
        return _num(value, 6)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _num(value, digits: int = 4):
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else round(number, digits)


def _int(value) -> int | None:
    number = _num(value, 0)
    return None if number is None else int(number)


def _pct(value) -> float | None:
    number = _num(value, 8)
    return None if number is None else round(number * 100, 2)


def _excess_return(both: pd.DataFrame) -> float | None:
    """The asset's cumulative return minus the benchmark's, in points (None when either is undefined)."""
    asset = _pct(cumulative(both["return"]).iloc[-1])
    benchmark = _pct(cumulative(both["benchmark_return"]).iloc[-1])
    return None if asset is None or benchmark is None else round(asset - benchmark, 2)


def _lag_span(tests: pd.DataFrame) -> str:
    lags = tests.loc[tests["test"] == "ccf", "lag"]
    return f"{int(lags.min()):+d}..{int(lags.max()):+d}" if len(lags) else "none"
