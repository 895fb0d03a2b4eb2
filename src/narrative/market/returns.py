"""Daily returns, excess returns and market-model event studies (CAR with t-statistics).

Conventions, in one place:

* returns come from ``adj_close``, session to session in the listing's own calendar (a holiday simply
  makes the next return span two days); simple ``P_t / P_{t-1} - 1`` or log ``ln(P_t / P_{t-1})``;
* a benchmark on another exchange is aligned on the asset's sessions (``align="asset"``): its return on a
  day it did not trade is 0 and the next return covers the gap — the benchmark series is compounded
  between the asset's sessions, so nothing is lost; past the benchmark's last price there is no excess return;
* the market model ``r_i = a + b r_m + e`` is fitted by OLS (statsmodels) on an estimation window that ends
  ``gap`` sessions before the event (default: 120 sessions ending 10 sessions before day 0), so the event
  cannot leak into its own benchmark;
* abnormal return ``AR_t = r_i,t - (a + b r_m,t)``; ``CAR(k1, k2) = sum of AR over sessions k1..k2``;
  ``t = CAR / (s * sqrt(k2 - k1 + 1))`` with ``s`` the estimation-window residual standard deviation
  (``sqrt(SSR / (n - 2))``), the classical Brown-Warner / MacKinlay test that treats the ARs as independent
  with the estimation-window variance (prediction error of the parameters ignored: it is O(1/n)).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import Literal, Sequence

import numpy as np
import pandas as pd

LOGGER = logging.getLogger(__name__)

WINDOWS: tuple[tuple[int, int], ...] = ((-1, 1), (0, 5), (0, 20))


def daily_returns(prices: pd.Series, *, kind: Literal["simple", "log"] = "simple") -> pd.Series:
    """Session-to-session returns of a price series indexed by date (the first one is dropped).

    >>> daily_returns(pd.Series([100.0, 110.0, 99.0], index=pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04"]))).round(4).tolist()
    [0.1, -0.1]
    """
    prices = prices.sort_index().astype(float)
    ratio = prices / prices.shift(1)
    out = np.log(ratio) if kind == "log" else ratio - 1.0
    return out.iloc[1:].rename(prices.name)


def aligned_returns(asset: pd.Series, benchmark: pd.Series, *, kind: Literal["simple", "log"] = "simple"
                    ) -> pd.DataFrame:
    """``asset`` and ``benchmark`` returns on the asset's sessions (benchmark prices carried forward)."""
    asset = asset.sort_index().astype(float)
    bench = benchmark.sort_index().astype(float)
    # Carried forward only between two benchmark prices: past its last price (or before its first) the benchmark
    # return is unknown, not zero, so those sessions drop out rather than count the asset's whole return as excess.
    bench_on_asset = bench.reindex(bench.index.union(asset.index)).ffill(limit_area="inside").reindex(asset.index)
    frame = pd.DataFrame({"asset": daily_returns(asset, kind=kind), "benchmark": daily_returns(bench_on_asset, kind=kind)})
    return frame.dropna()


def excess_returns(asset: pd.Series, benchmark: pd.Series, *, kind: Literal["simple", "log"] = "simple") -> pd.Series:
    """Asset minus benchmark return, session by session (e.g. KWEB over QQQ)."""
    frame = aligned_returns(asset, benchmark, kind=kind)
    return (frame["asset"] - frame["benchmark"]).rename("excess")


@dataclass
class MarketModel:
    alpha: float
    beta: float
    resid_std: float
    n: int
    r2: float
    est_start: str
    est_end: str


@dataclass
class CarResult:
    event: str  # the event's session (day 0)
    start: int
    end: int
    car: float | None
    t: float | None
    n_days: int
    alpha: float | None = None
    beta: float | None = None
    resid_std: float | None = None
    est_n: int = 0
    note: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def fit_market_model(returns: pd.DataFrame, event_pos: int, *, est_len: int = 120, gap: int = 10,
                     min_obs: int = 60) -> MarketModel | None:
    """OLS of asset on benchmark over ``est_len`` sessions ending ``gap`` sessions before ``event_pos``."""
    import statsmodels.api as sm

    end = event_pos - gap  # exclusive: the last estimation session is event_pos - gap - 1
    begin = max(0, end - est_len)
    window = returns.iloc[begin:max(end, 0)].dropna()
    if len(window) < min_obs:
        return None
    fit = sm.OLS(window["asset"].to_numpy(), sm.add_constant(window["benchmark"].to_numpy())).fit()
    resid_std = float(np.sqrt(fit.ssr / fit.df_resid))
    return MarketModel(alpha=float(fit.params[0]), beta=float(fit.params[1]), resid_std=resid_std, n=int(fit.nobs),
                       r2=float(fit.rsquared), est_start=str(window.index[0].date()), est_end=str(window.index[-1].date()))


def event_car(returns: pd.DataFrame, event: str | pd.Timestamp, *, windows: Sequence[tuple[int, int]] = WINDOWS,
              est_len: int = 120, gap: int = 10, min_obs: int = 60) -> list[CarResult]:
    """Market-model CARs around ``event`` (a session date; a non-session rolls to the next session).

    ``returns`` has columns ``asset`` and ``benchmark`` indexed by session (see :func:`aligned_returns`).
    Windows that run past the data come back with ``car=None`` and a note, never truncated silently.
    """
    event = pd.Timestamp(event).normalize()
    pos = int(returns.index.searchsorted(event, side="left"))
    if pos >= len(returns):
        return [CarResult(str(event.date()), a, b, None, None, 0, note="event after the last return")
                for a, b in windows]
    day0 = str(returns.index[pos].date())
    model = fit_market_model(returns, pos, est_len=est_len, gap=gap, min_obs=min_obs)
    results = []
    for a, b in windows:
        if model is None:
            results.append(CarResult(day0, a, b, None, None, 0,
                                     note=f"fewer than {min_obs} sessions to estimate the market model"))
            continue
        if pos + a < 0 or pos + b >= len(returns):
            results.append(CarResult(day0, a, b, None, None, 0, model.alpha, model.beta, model.resid_std, model.n,
                                     note="window runs past the price data"))
            continue
        window = returns.iloc[pos + a:pos + b + 1]
        abnormal = window["asset"] - (model.alpha + model.beta * window["benchmark"])
        n_days = len(abnormal)
        car = float(abnormal.sum())
        t_stat = car / (model.resid_std * np.sqrt(n_days)) if model.resid_std > 0 else None
        results.append(CarResult(day0, a, b, car, t_stat, n_days, model.alpha, model.beta, model.resid_std, model.n))
    return results


def cumulative(returns: pd.Series) -> pd.Series:
    """Compounded cumulative simple return, starting at 0."""
    return (1.0 + returns.fillna(0.0)).cumprod() - 1.0
