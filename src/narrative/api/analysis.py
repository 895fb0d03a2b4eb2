"""The public DataFrame API of the market side: the store is read here and the data handed to ``market/``.

A notebook session (every function returns a pandas DataFrame; dates are ``YYYY-MM-DD``)::

    >>> from narrative import api
    >>> panel = api.session_panel("china-ai", ["BABA", "KWEB"], benchmark="QQQ", start="2024-01-01",
    ...                           end="2025-10-31", db_path="out/demo/narrative.db")  # doctest: +SKIP
    >>> tests = api.leadlag("china-ai", ["BABA"], benchmark="QQQ", start="2024-01-01", end="2025-10-31",
    ...                     db_path="out/demo/narrative.db")  # doctest: +SKIP
    >>> tests.attrs["summary"]  # doctest: +SKIP
    >>> api.event_study("china-ai", ["BABA"], events=["2025-01-27"], db_path="out/demo/narrative.db")  # doctest: +SKIP

Benchmarks: ``benchmark`` is one ticker or a list of ``SYMBOL`` / ``EXCHANGE=SYMBOL`` entries (``["QQQ",
"HKEX=^HSI"]``). A listing takes its exchange's entry; else a benchmark trading the same hours; else its
exchange's usual index when the store has it (``DEFAULT_BENCHMARKS``: an HK listing gets ``^HSI``); else the plain
entry, with a warning in the report that it trades in other hours.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

from ..catalog import find_narrative, load_narratives, resolve_narrative_id
from ..clock import date_window
from ..config import Settings
from ..errors import Errors, InputError
from ..market.analysis import MarketData, event_table, leadlag_tests
from ..market.analysis import session_panel as compute_panel
from ..market.calendar import calendar_for, hours_for
from ..market.inference import LeadLagResult
from ..market.prices import listing_for
from ..market.shifts import detect_shifts
from ..store import reader
from ..store.prices import close_series
from ..store.reads import article_scores

DEFAULT_BENCHMARK = "QQQ"
DEFAULT_BENCHMARKS = {"XHKG": "^HSI"}  # exchange_calendars code -> the usual index of that exchange
LOOKBACK_DAYS = 10  # read articles this long before the window: date-only items land up to days later


class Prices:
    """Adjusted closes and exchanges per ticker, read once: the one price loader of the claim check and the
    analysis (both go through :func:`narrative.store.prices.close_series`)."""

    def __init__(self, db):
        self.db = db
        self._closes: dict[str, tuple[pd.Series | None, str | None]] = {}
        self._calendars: dict = {}

    def closes(self, ticker: str) -> pd.Series | None:
        if ticker not in self._closes:
            self._closes[ticker] = close_series(self.db, ticker)
        return self._closes[ticker][0]

    def exchange(self, ticker: str) -> str:
        self.closes(ticker)
        return self._closes[ticker][1] or listing_for(ticker, {})[1]

    def calendar(self, ticker: str, exchange: str | None = None):
        if ticker not in self._calendars:
            series = self.closes(ticker)
            if series is None:
                return None
            self._calendars[ticker] = calendar_for(
                exchange or self.exchange(ticker), series.index[0], series.index[-1], dates=series.index
            )
        return self._calendars[ticker]

    def as_of(self, ticker: str, published: str, exchange: str | None = None):
        """The last close of ``ticker`` at or before ``published`` (a UTC ISO time), or None."""
        calendar = self.calendar(ticker, exchange)
        return None if calendar is None else calendar.last_close([published])[0]


def market_data(
    db,
    narrative: str,
    tickers: list[str],
    benchmark: str | Iterable[str] | None,
    start: str,
    end: str,
    *,
    catalog_path: str | None = None,
    require_articles: bool = True,
    prices: Prices | None = None,
) -> MarketData:
    """Read everything :mod:`narrative.market.analysis` needs for ``tickers`` over ``start..end`` (closes through
    ``prices`` when given, so a caller that needs them too reads them once)."""
    from .market import resolve_tickers

    prices = prices or Prices(db)
    symbols = resolve_tickers(tickers, db=db, catalog_path=catalog_path)
    benchmarks = resolve_benchmarks(symbols, benchmark, prices, db=db, catalog_path=catalog_path)
    for ticker in dict.fromkeys([*symbols, *benchmarks.values()]):
        series = prices.closes(ticker)
        if series is None or series.loc[start:end].empty:
            raise InputError(Errors.E088.format(ticker=ticker, start=start, end=end))
    read_from = (datetime.fromisoformat(start) - timedelta(days=LOOKBACK_DAYS)).isoformat() + "+00:00"
    read_to = (datetime.fromisoformat(end) + timedelta(days=1)).isoformat() + "+00:00"
    articles = (
        article_scores(db, narrative, since=read_from, until=read_to)
        if require_articles
        else pd.DataFrame(columns=["published", "relevance", "stance"])
    )
    every = dict.fromkeys([*symbols, *benchmarks.values()])
    return MarketData(
        articles=articles,
        closes={t: prices.closes(t) for t in every},
        exchanges={t: prices.exchange(t) for t in every},
        benchmarks=benchmarks,
    )


def resolve_benchmarks(
    tickers: list[str], benchmark, prices: Prices, *, db=None, catalog_path: str | None = None
) -> dict[str, str]:
    """``ticker -> benchmark ticker`` by the rule of the module doc. Bad entries raise InputError (exit 2)."""
    from .market import resolve_tickers

    entries = [benchmark] if isinstance(benchmark, str) else list(benchmark or [])
    plain, by_code = None, {}
    for entry in (e.strip() for e in entries if e and e.strip()):
        if "=" in entry:
            exchange, _, symbol = entry.partition("=")
            if not symbol.strip():
                raise InputError(Errors.E089.format(entry=entry))
            code = hours_for(exchange.strip()).code  # an unknown exchange fails before the ticker is looked up
            by_code[code] = resolve_tickers([symbol.strip()], db=db, catalog_path=catalog_path)[0]
        elif plain is not None:
            raise InputError(Errors.E090.format(entry=entry, other=plain))
        else:
            plain = resolve_tickers([entry], db=db, catalog_path=catalog_path)[0]
    plain = plain or DEFAULT_BENCHMARK
    out = {}
    for ticker in tickers:
        code = hours_for(prices.exchange(ticker)).code
        usual = DEFAULT_BENCHMARKS.get(code)
        if code in by_code:
            out[ticker] = by_code[code]
        elif prices.closes(plain) is not None and hours_for(prices.exchange(plain)).code == code:
            out[ticker] = plain
        elif usual and prices.closes(usual) is not None:
            out[ticker] = usual
        else:
            out[ticker] = plain
    return out


def session_panel(
    narrative: str | None = None,
    tickers: Iterable[str] = (),
    *,
    benchmark=None,
    start: str,
    end: str,
    db_path: str | None = None,
    intraday: str = "same",
    precision=None,
    catalog_path: str | None = None,
) -> pd.DataFrame:
    """Per ticker and session of its own exchange: the narrative index (point in time for that exchange), the
    return, the benchmark's return and the excess return (see :func:`narrative.market.analysis.session_panel`).

    >>> session_panel("china-ai", ["BABA"], start="2024-01-01", end="2024-12-31", db_path="demo.db")  # doctest: +SKIP
    """
    narrative_id, start, end = _window(narrative, start, end, db_path)
    data = _read_market_data(db_path, narrative_id, tickers, benchmark, start, end, catalog_path=catalog_path)
    return compute_panel(data, start=start, end=end, intraday=intraday, precision=precision)


def leadlag_result(
    narrative: str | None = None,
    tickers: Iterable[str] = (),
    *,
    index: pd.Series | None = None,
    benchmark=None,
    start: str,
    end: str,
    db_path: str | None = None,
    intraday: str = "same",
    precision=None,
    max_lag: int | None = None,
    granger_lag: int = 5,
    n_perm: int = 999,
    seed: int = 0,
    catalog_path: str | None = None,
) -> LeadLagResult:
    """The calibrated lead-lag tests of a stored narrative's index, or of your own daily series ``index``
    (see :func:`read_series_csv`), against each ticker's excess returns."""
    narrative_id, start, end = _window(
        narrative if index is None else narrative or "", start, end, db_path, need_narrative=index is None
    )
    data = _read_market_data(
        db_path, narrative_id, tickers, benchmark, start, end, catalog_path=catalog_path, require_articles=index is None
    )
    panel = compute_panel(data, start=start, end=end, intraday=intraday, precision=precision)
    if index is not None:
        panel = _user_series_panel(panel, data, index, start, end)
    return leadlag_tests(panel, max_lag=max_lag, granger_lag=granger_lag, n_perm=n_perm, seed=seed)


def leadlag(narrative: str | None = None, tickers: Iterable[str] = (), **options) -> pd.DataFrame:
    """:func:`leadlag_result`'s table: one row per test (ticker, test, lag, statistic, p_perm, p_fwer, n,
    news_sessions, verdict); ``.attrs`` holds ``summary``, ``enough``, ``reason`` and ``news_sessions``.

    >>> leadlag("china-ai", ["BABA"], start="2024-01-01", end="2025-10-31", db_path="demo.db")  # doctest: +SKIP
    """
    result = leadlag_result(narrative, tickers, **options)
    table = result.tests.copy()
    table.attrs.update(
        summary=result.summary, enough=result.enough, reason=result.reason, news_sessions=result.news_sessions
    )
    return table


def event_study(
    narrative: str | None = None,
    tickers: Iterable[str] = (),
    *,
    events=None,
    benchmark=None,
    start: str | None = None,
    end: str | None = None,
    db_path: str | None = None,
    intraday: str = "same",
    precision=None,
    windows=None,
    catalog_path: str | None = None,
) -> pd.DataFrame:
    """CAAR and the BMP test per ticker and window over ``events`` (dates), or over the narrative's calibrated
    shifts in ``start..end`` when ``events`` is None.

    >>> event_study("china-ai", ["BABA"], events=["2025-01-27"], db_path="demo.db")  # doctest: +SKIP
    """
    dates = parse_events(events) if events is not None else None
    if start is None or end is None:
        if dates is None:
            raise InputError(Errors.E091)
        start = start or str((min(dates) - pd.Timedelta(days=400)).date())
        end = end or str((max(dates) + pd.Timedelta(days=60)).date())
    narrative_id, start, end = _window(narrative, start, end, db_path, need_narrative=dates is None)
    data = _read_market_data(
        db_path, narrative_id, tickers, benchmark, start, end, catalog_path=catalog_path, require_articles=dates is None
    )
    if dates is None:
        panel = compute_panel(data, start=start, end=end, intraday=intraday, precision=precision)
        lead = panel[panel["ticker"] == data.tickers[0]].set_index("session")
        dates = [pd.Timestamp(s.session) for s in detect_shifts(lead)]
    return event_table(data, dates) if windows is None else event_table(data, dates, windows=windows)


def _read_market_data(
    db_path: str | None, narrative_id: str, tickers: Iterable[str], benchmark, start: str, end: str, **options
) -> MarketData:
    """:func:`market_data` read from the store at ``db_path``, which is closed again before any computing."""
    with reader(Settings.load(db=db_path)) as db:
        return market_data(db, narrative_id, list(tickers), benchmark, start, end, **options)


def parse_events(events) -> list[pd.Timestamp]:
    """Event dates from a list, a comma-separated string, or a file (one date per line, or a CSV whose first
    column is the date). A bad date raises InputError naming the file and line."""
    if isinstance(events, (str, Path)) and Path(str(events)).is_file():
        path = Path(str(events))
        lines = [
            (n, row[0].strip())
            for n, row in enumerate(csv.reader(io.StringIO(path.read_text("utf-8-sig"))), 1)
            if row and row[0].strip()
        ]
        if lines and not _is_date(lines[0][1]):
            lines = lines[1:]  # a header
        source = str(path)
    else:
        items = events.split(",") if isinstance(events, str) else list(events)
        lines = [(n, str(v).strip()) for n, v in enumerate(items, 1) if str(v).strip()]
        source = "--events"
    out = []
    for line, value in lines:
        if not _is_date(value):
            raise InputError(Errors.E092.format(source=source, line=line, value=value))
        out.append(pd.Timestamp(value[:10]))
    if not out:
        raise InputError(Errors.E093.format(source=source))
    return out


def read_series_csv(path: str | Path) -> pd.DataFrame:
    """Your own daily series: a CSV of ``date`` (YYYY-MM-DD, or an ISO timestamp) and ``value``, header optional.

    Returns ``published`` (UTC ISO), ``precision`` (``date_only`` for a bare date: it is only known once the date
    is over, so it reaches the first session opening after the date has ended everywhere; ``exact`` for a
    timestamp) and ``value``. A bad line raises InputError naming the file and line.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(Errors.E094.format(path=path))
    records = [
        (n, row)
        for n, row in enumerate(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))), 1)
        if any(cell.strip() for cell in row)
    ]
    if records and not _is_date(records[0][1][0].strip() if records[0][1] else ""):
        records = records[1:]
    rows = []
    for line, row in records:
        if len(row) < 2:
            raise InputError(Errors.E095.format(path=path, line=line, row=",".join(row)))
        stamp, raw = row[0].strip(), row[1].strip()
        if not _is_date(stamp):
            raise InputError(Errors.E096.format(path=path, line=line, value=stamp))
        try:
            value = float(raw)
        except ValueError:
            raise InputError(Errors.E097.format(path=path, line=line, value=raw)) from None
        if value != value:
            raise InputError(Errors.E098.format(path=path, line=line))
        moment = pd.Timestamp(stamp)
        exact = len(stamp) > 10
        moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")
        rows.append({"published": moment.isoformat(), "precision": "exact" if exact else "date_only", "value": value})
    if not rows:
        raise InputError(Errors.E099.format(path=path))
    return pd.DataFrame(rows)


def _user_series_panel(panel: pd.DataFrame, data: MarketData, series: pd.DataFrame, start, end) -> pd.DataFrame:
    """Replace the panel's ``net`` by the user's series on each ticker's sessions: values credited to one session
    (point in time, as for articles) are averaged; sessions without a value count as quiet (0)."""
    out = []
    for ticker, group in panel.groupby("ticker", sort=False):
        calendar = data.calendar(ticker, start, end)
        sessions = calendar.session_for(series["published"].tolist(), precision=series["precision"].tolist())
        values = pd.Series(series["value"].to_numpy(), index=sessions).dropna()
        values = values[values.index.notna()].groupby(level=0).mean()
        group = group.assign(
            net=group["session"].map(values).fillna(0.0).to_numpy(),
            attention=group["session"].isin(values.index).astype(int).to_numpy(),
        )
        out.append(group)
    return pd.concat(out, ignore_index=True)


def _window(narrative: str | None, start, end, db_path, *, need_narrative: bool = True) -> tuple[str, str, str]:
    start_d, end_d = date_window(start, end)
    if start_d is None or end_d is None:
        raise InputError(Errors.E033)
    if not need_narrative:
        return narrative or "", str(start_d), str(end_d)
    name = resolve_narrative_id(narrative, configured=Settings.load(db=db_path).narrative)
    return find_narrative(load_narratives(), name).id, str(start_d), str(end_d)


def _is_date(value: str) -> bool:
    if len(value) < 10 or value[4] != "-" or value[7] != "-":
        return False
    try:
        pd.Timestamp(value)
    except (ValueError, TypeError):
        return False
    return True


__all__ = [
    "Prices",
    "event_study",
    "leadlag",
    "leadlag_result",
    "market_data",
    "parse_events",
    "read_series_csv",
    "resolve_benchmarks",
    "session_panel",
]
