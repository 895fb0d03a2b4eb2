"""Does the narrative lead returns, or follow them? Cross-correlations, Granger tests, rolling correlation.

* ``cross_correlation(x, y)``: Pearson ``corr(x_t, y_{t+k})`` for ``k = -10..+10`` (scipy ``pearsonr``, with
  its p-value); positive ``k`` = the narrative leads returns by ``k`` sessions, negative = it follows them.
  The 95% band under no correlation is ``±1.96/sqrt(n)``, ``n`` the number of pairs at that lag.
* ``granger_both_ways(x, y)``: statsmodels ``grangercausalitytests`` tests whether the **second** column
  Granger-causes the **first**, so ``x -> y`` is run on ``[y, x]`` and ``y -> x`` on ``[x, y]``. The F-test
  (``ssr_ftest``) p-value is kept for every lag.
* Multiple testing: every p-value is also given Bonferroni-adjusted (statsmodels ``multipletests``) over
  all the tests of the family, and the family size is reported. Correlation is not causation, and
  Granger causality is only incremental predictability.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import warnings

import numpy as np
import pandas as pd

LOGGER = logging.getLogger(__name__)


def cross_correlation(x: pd.Series, y: pd.Series, *, max_lag: int = 10) -> pd.DataFrame:
    """One row per lag: ``lag, corr, p_value, n, band`` (``band`` = 1.96/sqrt(n))."""
    from scipy.stats import pearsonr

    frame = pd.concat({"x": x, "y": y}, axis=1, sort=True).dropna()
    rows = []
    for lag in range(-max_lag, max_lag + 1):
        pair = pd.concat({"x": frame["x"], "y": frame["y"].shift(-lag)}, axis=1, sort=True).dropna()
        n = len(pair)
        if n < 3 or pair["x"].std() == 0 or pair["y"].std() == 0:
            rows.append({"lag": lag, "corr": None, "p_value": None, "n": n, "band": None})
            continue
        result = pearsonr(pair["x"], pair["y"])
        rows.append({"lag": lag, "corr": float(result.statistic), "p_value": float(result.pvalue), "n": n,
                     "band": 1.96 / math.sqrt(n)})
    return pd.DataFrame(rows)


def granger(first: pd.Series, second: pd.Series, *, max_lag: int = 5) -> pd.DataFrame:
    """Does ``second`` Granger-cause ``first``? One row per lag with the F statistic and p-value."""
    from statsmodels.tsa.stattools import grangercausalitytests

    data = pd.concat({"first": first, "second": second}, axis=1, sort=True).dropna()
    if len(data) < 3 * max_lag + 10 or data["first"].std() == 0 or data["second"].std() == 0:
        return pd.DataFrame(columns=["lag", "f", "p_value", "n"])
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")  # statsmodels' deprecation of `verbose`; the library must not print
        results = grangercausalitytests(data[["first", "second"]].to_numpy(), maxlag=max_lag)
    rows = []
    for lag, (tests, _) in results.items():
        f_stat, p_value, _, _ = tests["ssr_ftest"]
        rows.append({"lag": lag, "f": float(f_stat), "p_value": float(p_value), "n": len(data)})
    return pd.DataFrame(rows)


def granger_both_ways(x: pd.Series, y: pd.Series, *, max_lag: int = 5, x_name: str = "narrative",
                      y_name: str = "returns") -> pd.DataFrame:
    """Granger tests ``x -> y`` and ``y -> x``; columns ``direction, lag, f, p_value, n``."""
    forward = granger(y, x, max_lag=max_lag).assign(direction=f"{x_name} -> {y_name}")
    backward = granger(x, y, max_lag=max_lag).assign(direction=f"{y_name} -> {x_name}")
    frames = [f for f in (forward, backward) if not f.empty]
    if not frames:
        return pd.DataFrame(columns=["direction", "lag", "f", "p_value", "n"])
    return pd.concat(frames, ignore_index=True)[["direction", "lag", "f", "p_value", "n"]]


def bonferroni(p_values: pd.Series | list[float]) -> tuple[list[float | None], int]:
    """Bonferroni-adjusted p-values over the non-missing ones, and the family size."""
    from statsmodels.stats.multitest import multipletests

    values = pd.Series(list(p_values), dtype=float)
    mask = values.notna()
    adjusted: list[float | None] = [None] * len(values)
    if mask.sum():
        _, corrected, _, _ = multipletests(values[mask].to_numpy(), method="bonferroni")
        for i, value in zip(np.flatnonzero(mask.to_numpy()), corrected):
            adjusted[i] = float(value)
    return adjusted, int(mask.sum())


def rolling_correlation(x: pd.Series, y: pd.Series, *, window: int = 60, min_periods: int | None = None) -> pd.Series:
    """Rolling Pearson correlation of ``x`` and ``y`` over ``window`` sessions."""
    frame = pd.concat({"x": x, "y": y}, axis=1, sort=True).dropna()
    return frame["x"].rolling(window, min_periods=min_periods or max(10, window // 2)).corr(frame["y"])
