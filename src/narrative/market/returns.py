"""Daily returns and excess returns (the event studies are :mod:`narrative.market.events`).

Conventions, in one place:

* returns come from ``adj_close``, session to session in the listing's own calendar (a holiday simply
  makes the next return span two days); simple ``P_t / P_{t-1} - 1`` or log ``ln(P_t / P_{t-1})``;
* a benchmark on another exchange is aligned on the asset's sessions (``align="asset"``): its return on a
  day it did not trade is 0 and the next return covers the gap — the benchmark series is compounded
  between the asset's sessions, so nothing is lost; past the benchmark's last price there is no excess return;
"""

from __future__ import annotations

import logging
from typing import Literal

import numpy as np
import pandas as pd

LOGGER = logging.getLogger(__name__)


def daily_returns(prices: pd.Series, *, kind: Literal["simple", "log"] = "simple") -> pd.Series:
    """Session-to-session returns of a price series indexed by date (the first one is dropped).

    >>> prices = pd.Series([100.0, 110.0, 99.0], index=pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04"]))
    >>> daily_returns(prices).round(4).tolist()
    [0.1, -0.1]
    """
    prices = prices.sort_index().astype(float)
    ratio = prices / prices.shift(1)
    out = np.log(ratio) if kind == "log" else ratio - 1.0
    return out.iloc[1:].rename(prices.name)


def aligned_returns(
    asset: pd.Series, benchmark: pd.Series, *, kind: Literal["simple", "log"] = "simple"
) -> pd.DataFrame:
    """``asset`` and ``benchmark`` returns on the asset's sessions (benchmark prices carried forward)."""
    asset = asset.sort_index().astype(float)
    bench = benchmark.sort_index().astype(float)
    # Carried forward only between two benchmark prices: past its last price (or before its first) the benchmark
    # return is unknown, not zero, so those sessions drop out rather than count the asset's whole return as excess.
    bench_on_asset = bench.reindex(bench.index.union(asset.index)).ffill(limit_area="inside").reindex(asset.index)
    frame = pd.DataFrame(
        {"asset": daily_returns(asset, kind=kind), "benchmark": daily_returns(bench_on_asset, kind=kind)}
    )
    return frame.dropna()


def excess_returns(asset: pd.Series, benchmark: pd.Series, *, kind: Literal["simple", "log"] = "simple") -> pd.Series:
    """Asset minus benchmark return, session by session (e.g. KWEB over QQQ)."""
    frame = aligned_returns(asset, benchmark, kind=kind)
    return (frame["asset"] - frame["benchmark"]).rename("excess")


def cumulative(returns: pd.Series) -> pd.Series:
    """Compounded cumulative simple return, starting at 0."""
    return (1.0 + returns.fillna(0.0)).cumprod() - 1.0
