"""Event studies across events: CAAR with the Boehmer-Musumeci-Poulsen test (issue 8, item 6).

Per event and ticker, on the ticker's own sessions (``returns`` has columns ``asset`` and ``benchmark``, as
:func:`narrative.market.returns.aligned_returns` gives them):

* day 0 is the event's session (a non-session date rolls forward to the next session);
* the market model ``r = a + b r_m + e`` is fitted by OLS on ``estimation`` sessions ending ``gap`` sessions
  before day 0, so neither the event nor its run-up leaks into the benchmark;
* ``CAR(k1, k2)`` sums the abnormal returns ``r - (a + b r_m)`` over sessions ``k1..k2``; the default windows
  start AT the event for "what followed" -- ``(0,+1)``, ``(0,+5)``, ``(0,+10)`` -- plus the placebo
  ``(-5,-1)``, which should show nothing if events are dated without look-ahead;
* the standardised CAR divides by the CAR's standard error including the prediction error of the estimated
  parameters: ``s^2 [L + L^2/M + (sum over the window of (r_m - mean r_m,est))^2 / S_mm]`` (``L`` window days,
  ``M`` estimation sessions, ``S_mm`` the benchmark's sum of squared deviations there), rescaled by
  ``sqrt((M - 4) / (M - 2))`` so each has unit variance under the null (Campbell, Lo & MacKinlay 1997, 4.4).

Across events (per ticker and window): ``CAAR`` is the mean CAR, and the Boehmer, Musumeci & Poulsen (1991)
statistic is ``mean(SCAR) * sqrt(N) / sd(SCAR)``, the standardised CARs' cross-sectional t (N - 1 degrees of
freedom). Using the cross-sectional spread makes it robust to event-induced variance, which the classical
Patell test is not. It assumes the events' abnormal returns are independent: events whose windows overlap
for the same ticker are flagged in ``note``.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

LOGGER = logging.getLogger(__name__)

WINDOWS: tuple[tuple[int, int], ...] = ((0, 1), (0, 5), (0, 10), (-5, -1))
CAR_COLUMNS = [
    "ticker",
    "event",
    "day0",
    "window",
    "start",
    "end",
    "car",
    "scar",
    "n_days",
    "alpha",
    "beta",
    "sigma",
    "est_n",
    "note",
]
STUDY_COLUMNS = ["ticker", "window", "start", "end", "n_events", "caar", "bmp_t", "p_value", "mean_scar", "note"]


def window_label(start: int, end: int) -> str:
    """``window_label(0, 5)`` -> ``"(+0,+5)"``."""
    return f"({start:+d},{end:+d})"


def event_cars(
    returns: dict[str, pd.DataFrame],
    events: Iterable,
    *,
    windows: Sequence[tuple[int, int]] = WINDOWS,
    estimation: int = 120,
    gap: int = 10,
    min_obs: int = 60,
) -> pd.DataFrame:
    """One row per ticker, event and window: the market-model CAR and its standardised value (see module doc).

    Rows that cannot be computed (too little history, window past the data, missing returns) have ``car``
    NaN and a ``note``; they are never truncated silently.

    >>> idx = pd.bdate_range("2024-01-01", periods=200); rng = np.random.default_rng(0)
    >>> r = pd.DataFrame({"benchmark": rng.normal(0, .01, 200)}, idx)
    >>> r["asset"] = r["benchmark"] + rng.normal(0, .01, 200)
    >>> event_cars({"AAA": r}, [idx[150]], windows=[(0, 5)])[["ticker", "window", "n_days"]].values.tolist()
    [['AAA', '(+0,+5)', 6]]
    """
    rows = []
    events = [pd.Timestamp(e).tz_localize(None) if pd.Timestamp(e).tzinfo else pd.Timestamp(e) for e in events]
    for ticker, frame in returns.items():
        frame = frame.sort_index()[["asset", "benchmark"]].astype(float)
        for event in events:
            rows += _one_event(ticker, frame, event, windows, estimation, gap, min_obs)
    return pd.DataFrame(rows, columns=CAR_COLUMNS)


def event_study(
    returns: dict[str, pd.DataFrame],
    events: Iterable,
    *,
    windows: Sequence[tuple[int, int]] = WINDOWS,
    estimation: int = 120,
    gap: int = 10,
    min_obs: int = 60,
) -> pd.DataFrame:
    """CAAR and the BMP test per ticker and window across ``events`` (dates of shifts or the user's own).

    Columns: ``ticker, window, start, end, n_events, caar, bmp_t, p_value, mean_scar, note`` (``p_value`` two
    sided, t with ``n_events - 1`` degrees of freedom; NaN with fewer than two events). The per-event CARs are
    :func:`event_cars` with the same arguments.

    >>> idx = pd.bdate_range("2023-01-02", periods=400); rng = np.random.default_rng(1)
    >>> r = pd.DataFrame({"benchmark": rng.normal(0, .01, 400)}, idx)
    >>> r["asset"] = r["benchmark"] + rng.normal(0, .01, 400)
    >>> event_study({"AAA": r}, idx[[150, 200, 250, 300, 350]], windows=[(0, 1)])["n_events"].tolist()
    [5]
    """
    cars = event_cars(returns, events, windows=windows, estimation=estimation, gap=gap, min_obs=min_obs)
    out = []
    for ticker in returns:
        for start, end in windows:
            label = window_label(start, end)
            part = cars[(cars["ticker"] == ticker) & (cars["window"] == label)]
            done = part.dropna(subset=["car", "scar"]).drop_duplicates("day0")
            n = len(done)
            notes = []
            if n < len(part):
                notes.append(f"{len(part) - n} of {len(part)} events left out (see event_cars notes or same day 0)")
            overlaps = _overlapping(done["day0"], returns[ticker].index, start, end)
            if overlaps:
                notes.append(f"{overlaps} pairs of events have overlapping windows (BMP assumes independence)")
            caar = float(done["car"].mean()) if n else math.nan
            mean_scar = float(done["scar"].mean()) if n else math.nan
            t_stat = p_value = math.nan
            if n >= 2:
                spread = float(done["scar"].std(ddof=1))
                if spread > 0:
                    t_stat = mean_scar * math.sqrt(n) / spread
                    p_value = float(2 * stats.t.sf(abs(t_stat), n - 1))
            else:
                notes.append("fewer than two events: no cross-sectional test")
            out.append(
                {
                    "ticker": ticker,
                    "window": label,
                    "start": start,
                    "end": end,
                    "n_events": n,
                    "caar": caar,
                    "bmp_t": t_stat,
                    "p_value": p_value,
                    "mean_scar": mean_scar,
                    "note": "; ".join(notes) or None,
                }
            )
    return pd.DataFrame(out, columns=STUDY_COLUMNS)


def _one_event(
    ticker: str, frame: pd.DataFrame, event: pd.Timestamp, windows, estimation: int, gap: int, min_obs: int
) -> list[dict]:
    pos = int(frame.index.searchsorted(event.normalize(), side="left"))
    base = {
        "ticker": ticker,
        "event": str(event.date()),
        "car": math.nan,
        "scar": math.nan,
        "n_days": 0,
        "alpha": math.nan,
        "beta": math.nan,
        "sigma": math.nan,
        "est_n": 0,
    }
    if pos >= len(frame):
        return [
            {
                **base,
                "day0": None,
                "window": window_label(a, b),
                "start": a,
                "end": b,
                "note": "event after the last return",
            }
            for a, b in windows
        ]
    day0 = str(frame.index[pos].date())
    fit = _market_model(frame, pos, estimation, gap, min_obs)
    rows = []
    for a, b in windows:
        row = {**base, "day0": day0, "window": window_label(a, b), "start": a, "end": b, "note": None}
        if fit is None:
            rows.append({**row, "note": f"fewer than {min_obs} sessions to estimate the market model"})
            continue
        alpha, beta, sigma, est_n, bench_mean, bench_ss = fit
        row.update(alpha=alpha, beta=beta, sigma=sigma, est_n=est_n)
        if pos + a < 0 or pos + b >= len(frame):
            rows.append({**row, "note": "window runs past the price data"})
            continue
        window = frame.iloc[pos + a : pos + b + 1]
        if window.isna().any().any():
            rows.append({**row, "note": "missing returns in the window"})
            continue
        abnormal = window["asset"].to_numpy() - (alpha + beta * window["benchmark"].to_numpy())
        days = len(abnormal)
        car = float(abnormal.sum())
        deviation = float((window["benchmark"].to_numpy() - bench_mean).sum())
        variance = sigma**2 * (days + days**2 / est_n + deviation**2 / bench_ss)
        scar = car / math.sqrt(variance) * math.sqrt((est_n - 4) / (est_n - 2)) if variance > 0 else math.nan
        rows.append({**row, "car": car, "scar": scar, "n_days": days})
    return rows


def _market_model(frame: pd.DataFrame, pos: int, estimation: int, gap: int, min_obs: int):
    """OLS of asset on benchmark over ``estimation`` sessions ending ``gap`` sessions before ``pos``."""
    end = pos - gap
    window = frame.iloc[max(0, end - estimation) : max(end, 0)].dropna()
    if len(window) < max(min_obs, 5):
        return None
    bench, asset = window["benchmark"].to_numpy(), window["asset"].to_numpy()
    bench_mean = float(bench.mean())
    bench_ss = float(((bench - bench_mean) ** 2).sum())
    if bench_ss <= 0:
        return None
    beta = float(((bench - bench_mean) * (asset - asset.mean())).sum() / bench_ss)
    alpha = float(asset.mean() - beta * bench_mean)
    resid = asset - alpha - beta * bench
    n = len(window)
    sigma = float(math.sqrt((resid**2).sum() / (n - 2)))
    return alpha, beta, sigma, n, bench_mean, bench_ss


def _overlapping(day0s: pd.Series, sessions: pd.Index, start: int, end: int) -> int:
    positions = np.sort(sessions.searchsorted(pd.to_datetime(day0s.dropna())))
    width = end - start + 1
    return int((np.diff(positions) < width).sum()) if len(positions) > 1 else 0
