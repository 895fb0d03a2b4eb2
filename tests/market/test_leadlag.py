"""Parametric lead-lag helpers (kept while market/analysis.py uses them; the calibrated tests are in
test_inference.py), and the session index."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from narrative.market import leadlag
from narrative.market.calendar import calendar_from_dates
from narrative.market.index import session_index


def _x_causes_y(n=400, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = np.zeros(n)
    for t in range(1, n):
        y[t] = 0.7 * x[t - 1] + 0.3 * rng.normal()
    idx = pd.bdate_range("2022-01-03", periods=n)
    return pd.Series(x, idx), pd.Series(y, idx)


def test_leadlag_granger_direction_is_right():
    x, y = _x_causes_y()
    result = leadlag.granger_both_ways(x, y, max_lag=3, x_name="x", y_name="y")
    forward = result[result["direction"] == "x -> y"]["p_value"]
    backward = result[result["direction"] == "y -> x"]["p_value"]
    assert (forward < 1e-10).all()
    assert (backward > 0.01).all()


def test_leadlag_cross_correlation_peaks_where_x_leads():
    x, y = _x_causes_y()
    ccf = leadlag.cross_correlation(x, y, max_lag=5)
    best = ccf.loc[ccf["corr"].abs().idxmax()]
    assert best["lag"] == 1 and best["corr"] > 0.8
    assert best["band"] == pytest.approx(1.96 / np.sqrt(best["n"]))
    assert abs(ccf.set_index("lag").loc[-1, "corr"]) < best["band"] * 2


def test_leadlag_bonferroni_counts_the_family():
    adjusted, n = leadlag.bonferroni([0.01, None, 0.2, 0.5])
    assert n == 3 and adjusted == pytest.approx([0.03, None, 0.6, 1.0])


def test_leadlag_rolling_correlation():
    x, y = _x_causes_y()
    rolling = leadlag.rolling_correlation(x, y.shift(-1), window=60)
    assert rolling.dropna().min() > 0.8


def test_session_index_aggregates_per_session_without_look_ahead():
    cal = calendar_from_dates(["2024-03-07", "2024-03-08", "2024-03-11"], "US")
    scores = pd.DataFrame({
        "published": ["2024-03-07T15:00:00Z",  # during Thursday's session -> Thursday
                      "2024-03-07T21:30:00Z",  # after Thursday's close (21:00 UTC, EST) -> Friday
                      "2024-03-08T23:00:00Z",  # Friday evening -> Monday
                      "2024-03-09T12:00:00Z",  # Saturday -> Monday
                      "2024-03-10T12:00:00Z"],  # irrelevant (relevance < 0.5)
        "relevance": [1.0, 0.5, 1.0, 0.6, 0.2],
        "stance": [0.4, -1.0, 0.5, -0.5, 1.0],
    })
    index = session_index(scores, cal)
    assert index["attention"].tolist() == [1, 1, 2]
    assert index.loc["2024-03-11", "stance"] == pytest.approx((1.0 * 0.5 + 0.6 * -0.5) / 1.6)
    assert index.loc["2024-03-11", "share_positive"] == 0.5
    assert index.loc["2024-03-08", "net"] == pytest.approx(-0.5)
    next_index = session_index(scores, cal, intraday="next")
    assert next_index["attention"].tolist() == [0, 2, 2]
