"""What used to be market/leadlag.py's job, now in market/inference.py: Granger direction on a strong synthetic
lead, the rolling correlation, and the session index feeding them without look-ahead."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from narrative.market.calendar import calendar_from_dates
from narrative.market.index import narrative_index
from narrative.market.inference import leadlag, rolling_correlation


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
    tests = leadlag(x, y.to_frame("y"), max_lag=3, granger_lag=3, n_perm=49).tests
    forward = tests[tests["test"] == "granger_news_to_returns"]
    backward = tests[tests["test"] == "granger_returns_to_news"]
    assert (forward["p_perm"] == 1 / 50).all() and (forward["statistic"] > 100).all()
    assert (backward["p_fwer"] > 0.05).all()
    ccf = tests[tests["test"] == "ccf"].set_index("lag")["statistic"]
    assert ccf.abs().idxmax() == 1 and ccf[1] > 0.8


def test_leadlag_rolling_correlation():
    x, y = _x_causes_y()
    rolling = rolling_correlation(x, y.shift(-1), window=60)
    assert rolling.dropna().min() > 0.8


def test_session_index_aggregates_per_session_without_look_ahead():
    cal = calendar_from_dates(["2024-03-07", "2024-03-08", "2024-03-11"], "US")
    scores = pd.DataFrame(
        {
            "published": [
                "2024-03-07T15:00:00Z",  # during Thursday's session -> Thursday
                "2024-03-07T21:30:00Z",  # after Thursday's close (21:00 UTC, EST) -> Friday
                "2024-03-08T23:00:00Z",  # Friday evening -> Monday
                "2024-03-09T12:00:00Z",  # Saturday -> Monday
                "2024-03-10T12:00:00Z",
            ],  # irrelevant (relevance < 0.5)
            "relevance": [1.0, 0.5, 1.0, 0.6, 0.2],
            "stance": [0.4, -1.0, 0.5, -0.5, 1.0],
        }
    )
    index = narrative_index(scores, calendar=cal)
    assert index["attention"].tolist() == [1, 1, 2]
    assert index.loc["2024-03-11", "stance"] == pytest.approx((1.0 * 0.5 + 0.6 * -0.5) / 1.6)
    assert index.loc["2024-03-11", "share_positive"] == 0.5
    assert index.loc["2024-03-08", "net"] == pytest.approx(-0.5)
    next_index = narrative_index(scores, calendar=cal, intraday="next")
    assert next_index["attention"].tolist() == [0, 2, 2]
