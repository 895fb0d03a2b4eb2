"""Return and CAR math against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from narrative.market.returns import aligned_returns, daily_returns, event_car, excess_returns


def test_returns_simple_and_log_by_hand():
    prices = pd.Series([100.0, 110.0, 99.0], index=pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04"]))
    assert daily_returns(prices).tolist() == pytest.approx([0.10, -0.10])
    assert daily_returns(prices, kind="log").tolist() == pytest.approx([math.log(1.1), math.log(0.9)])


def test_returns_excess_with_a_benchmark_holiday():
    idx = pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04"])
    asset = pd.Series([10.0, 11.0, 12.1], index=idx)
    bench = pd.Series([100.0, 102.0], index=idx[[0, 2]])  # the benchmark did not trade on the 3rd
    frame = aligned_returns(asset, bench)
    assert frame["benchmark"].tolist() == pytest.approx([0.0, 0.02])
    assert excess_returns(asset, bench).tolist() == pytest.approx([0.10, 0.08])


def test_returns_market_model_car_and_t_by_hand():
    rng = np.random.default_rng(7)
    idx = pd.bdate_range("2023-01-02", periods=200)
    bench = rng.normal(0, 0.01, 200)
    asset = 0.001 + 1.5 * bench + rng.normal(0, 0.005, 200)
    asset[150] += 0.05  # the event
    returns = pd.DataFrame({"asset": asset, "benchmark": bench}, index=idx)
    results = {(r.start, r.end): r for r in event_car(returns, idx[150])}
    # By hand: OLS on sessions 20..139 (120 sessions ending 10 before day 0 = 150).
    est = slice(150 - 10 - 120, 150 - 10)
    x = np.column_stack([np.ones(120), bench[est]])
    (alpha, beta), ssr, *_ = np.linalg.lstsq(x, asset[est], rcond=None)
    sigma = math.sqrt(ssr[0] / (120 - 2))
    for (a, b), result in results.items():
        ar = asset[150 + a:150 + b + 1] - (alpha + beta * bench[150 + a:150 + b + 1])
        assert result.car == pytest.approx(ar.sum(), rel=1e-9)
        assert result.t == pytest.approx(ar.sum() / (sigma * math.sqrt(b - a + 1)), rel=1e-9)
        assert result.n_days == b - a + 1 and result.est_n == 120
    assert results[(-1, 1)].beta == pytest.approx(beta)
    assert results[(-1, 1)].t > 3  # the injected 5% jump is found
    assert results[(0, 20)].car is not None


def test_returns_car_refuses_windows_past_the_data_and_short_history():
    idx = pd.bdate_range("2023-01-02", periods=100)
    returns = pd.DataFrame({"asset": np.linspace(0, 0.01, 100), "benchmark": np.sin(np.arange(100))}, index=idx)
    late = {(r.start, r.end): r for r in event_car(returns, idx[95])}
    assert late[(0, 20)].car is None and "past the price data" in late[(0, 20)].note
    early = event_car(returns, idx[30])
    assert all(r.car is None and "fewer than 60" in r.note for r in early)
