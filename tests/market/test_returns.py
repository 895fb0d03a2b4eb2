"""Return and excess-return math against hand-computed values."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from narrative.market.returns import aligned_returns, daily_returns, excess_returns


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


def test_returns_no_excess_past_the_benchmarks_last_price():
    """A benchmark that stops (an index file ending early) gives no excess return after its last price: carrying
    its last close forward would count the asset's whole return as excess."""
    idx = pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"])
    asset = pd.Series([10.0, 11.0, 12.1, 13.31], index=idx)
    bench = pd.Series([100.0, 101.0, 102.01], index=idx[[0, 1, 2]])
    frame = aligned_returns(asset, bench)
    assert list(frame.index) == list(idx[1:3])
    assert excess_returns(asset, bench).tolist() == pytest.approx([0.09, 0.09])
