"""The numbers behind the report and the public DataFrame API, computed on data: nothing here reads the store.

:mod:`narrative.api.analysis` reads the store and hands over a :class:`MarketData` (the articles frame, the adjusted
closes of every ticker and benchmark, their exchanges, and which benchmark each ticker is measured against). From it:

* :func:`session_panel`: per ticker and per session **of that ticker's own exchange**, the narrative index
  (:func:`narrative.market.index.narrative_index`, point in time for that exchange), the ticker's return, its
  benchmark's return over the same session and the excess return;
* :func:`leadlag_tests`: the calibrated lead-lag family of :func:`narrative.market.inference.leadlag`. Tickers that
  trade on the same sessions form one family (one permutation of the news serves them all, so the family-wise p is
  the max-statistic one); tickers on other exchanges have another news series (other session mapping), so each
  exchange is its own family, tested only when it has enough news sessions with returns to test against, and the
  family-wise p-values are Bonferroni-adjusted across the families tested;
* :func:`event_table`: CAAR and the Boehmer-Musumeci-Poulsen test across events, per ticker and window
  (:func:`narrative.market.events.event_study`), on the market model of each ticker against its benchmark.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from . import inference
from .calendar import SessionCalendar, calendar_for, hours_for
from .events import WINDOWS, event_cars, event_study
from .index import narrative_index
from .returns import aligned_returns, daily_returns

LOGGER = logging.getLogger(__name__)
PANEL_RETURNS = ["return", "benchmark_return", "excess_return"]


@dataclass
class MarketData:
    """What the analysis needs, already read: see the module doc."""

    articles: pd.DataFrame
    closes: dict[str, pd.Series]
    exchanges: dict[str, str]
    benchmarks: dict[str, str]  # ticker -> the ticker of its benchmark
    _calendars: dict = field(default_factory=dict, repr=False)

    @property
    def tickers(self) -> list[str]:
        return list(self.benchmarks)

    def returns(self, ticker: str) -> pd.DataFrame:
        """``asset`` and ``benchmark`` returns of ``ticker`` on its own sessions, over all stored history."""
        return aligned_returns(self.closes[ticker], self.closes[self.benchmarks[ticker]])

    def calendar(self, ticker: str, start, end) -> SessionCalendar:
        key = (ticker, str(start), str(end))
        if key not in self._calendars:
            self._calendars[key] = calendar_for(self.exchanges[ticker], start, end, dates=self.closes[ticker].index)
        return self._calendars[key]


def session_panel(data: MarketData, *, start, end, intraday: str = "same", precision=None) -> pd.DataFrame:
    """One row per ticker and session: ``ticker, session, benchmark`` + the index columns + ``return,
    benchmark_return, excess_return`` (simple returns; NaN where a price is missing).

    >>> closes = pd.Series([10.0, 11.0, 12.1], index=pd.to_datetime(["2024-03-07", "2024-03-08", "2024-03-11"]))
    >>> articles = pd.DataFrame({"published": ["2024-03-08T22:00Z"], "relevance": [0.9], "stance": [0.5]})
    >>> data = MarketData(articles, {"X": closes, "B": closes * 2}, {"X": "US", "B": "US"}, {"X": "B"})
    >>> session_panel(data, start="2024-03-08", end="2024-03-11")[["session", "attention", "return"]].to_string()
    '     session  attention  return\\n0 2024-03-08          0     0.1\\n1 2024-03-11          1     0.1'
    """
    frames = []
    for ticker in data.tickers:
        calendar = data.calendar(ticker, start, end)
        index = narrative_index(
            data.articles, calendar=calendar, start=start, end=end, precision=precision, intraday=intraday
        )
        if calendar.source == "prices":  # sessions inferred from this ticker's own prices
            index = index[index.index.isin(data.closes[ticker].index)]
        own = daily_returns(data.closes[ticker]).reindex(index.index)
        bench = data.returns(ticker)["benchmark"].reindex(index.index)
        frame = index.assign(**{"return": own, "benchmark_return": bench, "excess_return": own - bench})
        frame.index.name = "session"
        frames.append(
            frame.reset_index().assign(ticker=ticker, benchmark=data.benchmarks[ticker], calendar=calendar.source)
        )
    panel = pd.concat(frames, ignore_index=True)
    first = ["ticker", "session", "benchmark"]
    return panel[first + [c for c in panel.columns if c not in first and c != "calendar"] + ["calendar"]]


def leadlag_tests(
    panel: pd.DataFrame,
    *,
    max_lag: int | None = None,
    granger_lag: int = 5,
    n_perm: int = 999,
    seed: int = 0,
    min_news_sessions: int | None = None,
) -> inference.LeadLagResult:
    """The calibrated lead-lag family of the panel's ``net`` index against each ticker's excess returns.

    ``max_lag=None`` tests cross-correlations over the widest lag range the family's sample can calibrate
    (:func:`~narrative.market.inference.widest_testable_lag`: -10..+10 from 421 sessions, -5..+5 for a year).

    One :func:`~narrative.market.inference.leadlag` call per exchange calendar (see the module doc); with
    several, ``p_fwer`` is multiplied by their number (Bonferroni, capped at 1) and the verdicts re-read.
    """
    options = {"granger_lag": granger_lag, "n_perm": n_perm, "seed": seed}
    if min_news_sessions is not None:
        options["min_news_sessions"] = min_news_sessions
    results = []
    for _, group in panel.groupby("calendar", sort=False):
        tickers = list(dict.fromkeys(group["ticker"]))
        wide = group.pivot(index="session", columns="ticker", values="excess_return")[tickers]
        # The family's sample is the sessions where some ticker has an excess return (a benchmark or a listing
        # that ends early must not leave news sessions with nothing to test them against in the count).
        valid = wide.notna().any(axis=1)
        wide = wide.loc[valid.idxmax() : valid[::-1].idxmax()] if valid.any() else wide
        net = group[group["ticker"] == tickers[0]].set_index("session")["net"].reindex(wide.index)
        lags = max_lag if max_lag is not None else max(1, inference.widest_testable_lag(len(wide)))
        results.append(inference.leadlag(net, wide, max_lag=lags, **options))
    if len(results) == 1:
        return results[0]
    return _combine(results)


def _combine(results: list[inference.LeadLagResult]) -> inference.LeadLagResult:
    """One result from one family per exchange: families with too little evidence are reported, not tested
    (``p_fwer`` NaN, the reason as verdict); the others' family-wise p-values are Bonferroni-adjusted by the number
    of families tested."""
    tested = [r for r in results if r.enough]
    families = max(1, len(tested))
    frames, skipped = [], []
    for result in results:
        tests = result.tests.copy()
        names = ", ".join(dict.fromkeys(tests["ticker"]))
        if result.enough:
            tests["p_fwer"] = (tests["p_fwer"] * families).clip(upper=1.0)
            tests["verdict"] = [_verdict(row) for row in tests.itertuples()]
        else:
            tests["p_fwer"] = float("nan")
            tests["verdict"] = f"not tested: {result.reason}"
            skipped.append(f"{names}: {result.reason}")
        frames.append(tests)
    tests = pd.concat(frames, ignore_index=True)
    reason = "; ".join(skipped)
    if not tested:
        summary = (
            "too few news days to test: "
            if any("needed to test" in r.reason for r in results)
            else "too little data to test: "
        ) + reason
    else:
        significant = tests[tests["p_fwer"] < inference.ALPHA]
        if significant.empty:
            summary = (
                f"no lead or lag survives family-wise control ({int(tests['p_fwer'].notna().sum())} tests, "
                f"smallest family-wise p {tests['p_fwer'].min():.2f})"
            )
        else:
            best = significant.sort_values(["p_fwer", "p_perm"]).iloc[0]
            value = f"corr {best['statistic']:+.2f}" if best["test"] == "ccf" else f"F {best['statistic']:.1f}"
            summary = (
                f"{inference.describe(best['test'], int(best['lag']), best['ticker'])} ({value}, FWER p "
                f"{best['p_fwer']:.3f})"
            )
        if skipped:
            summary += f"; not tested: {reason}"
    return replace(
        results[0],
        tests=tests,
        news_sessions=max(r.news_sessions for r in tested or results),
        enough=bool(tested),
        reason=reason,
        summary=summary,
        n_perm=min(r.n_perm for r in tested or results),
        sessions=max(r.sessions for r in results),
    )


def _verdict(row) -> str:
    if row.p_perm != row.p_perm:
        return "not testable (no variation at this lag)"
    if row.p_fwer < inference.ALPHA:
        return f"{inference.describe(row.test, row.lag, row.ticker)}: significant after family-wise control"
    if row.p_perm < inference.ALPHA:
        return f"p < {inference.ALPHA:g} alone, not after family-wise control"
    return "no evidence"


def headline(result: inference.LeadLagResult) -> dict | None:
    """The test the report's headline tile shows: the most significant one, only when there was enough evidence
    to test and it survives family-wise control; else None (the tile then says why)."""
    if not result.enough:
        return None
    significant = result.tests[result.tests["p_fwer"] < inference.ALPHA]
    if significant.empty:
        return None
    best = (
        significant.assign(strength=significant["statistic"].abs())
        .sort_values(["p_fwer", "p_perm", "strength"], ascending=[True, True, False])
        .iloc[0]
    )
    return {k: _plain(best[k]) for k in inference.COLUMNS}


def event_table(
    data: MarketData, events: list, *, windows=WINDOWS, estimation: int = 120, gap: int = 10
) -> pd.DataFrame:
    """CAAR and BMP per ticker and window over ``events`` (dates; each rolls to the ticker's next session)."""
    if not events:
        return pd.DataFrame()
    returns = {t: data.returns(t) for t in data.tickers}
    stamps = [pd.Timestamp(e) for e in events]
    return event_study(returns, stamps, windows=list(windows), estimation=estimation, gap=gap)


def shift_cars(data: MarketData, event, *, windows=WINDOWS, estimation: int = 120, gap: int = 10) -> pd.DataFrame:
    """The market-model CAR of every ticker around one event (one row per ticker and window)."""
    returns = {t: data.returns(t) for t in data.tickers}
    return event_cars(returns, [pd.Timestamp(event)], windows=list(windows), estimation=estimation, gap=gap)


def benchmark_warnings(data: MarketData) -> list[str]:
    """One line per ticker whose benchmark closes at another time of day (its same-date return is then not the
    same hours: QQQ's date-t close comes ~13 h after HKEX's)."""
    out = []
    for ticker, bench in data.benchmarks.items():
        mine, theirs = hours_for(data.exchanges[ticker]), hours_for(data.exchanges[bench])
        if (mine.tz, mine.close) != (theirs.tz, theirs.close):
            gap = _close_gap_hours(mine, theirs)
            out.append(
                f"{ticker} ({data.exchanges[ticker]}) is measured against {bench} ({data.exchanges[bench]}), "
                f"which closes {abs(gap):.0f} h {'later' if gap > 0 else 'earlier'} on the same date: its "
                f"excess returns mix different hours. Pass a benchmark of the same exchange "
                f"(--benchmark {data.exchanges[ticker]}=SYMBOL)."
            )
    return out


def _close_gap_hours(mine, theirs) -> float:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    day = datetime(2024, 1, 15).date()  # a plain winter weekday; DST shifts the gap by an hour at most
    close = datetime.combine(day, mine.close, ZoneInfo(mine.tz))
    other = datetime.combine(day, theirs.close, ZoneInfo(theirs.tz))
    return (other - close).total_seconds() / 3600


def _plain(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if np.isnan(value) else float(value)
    return value
