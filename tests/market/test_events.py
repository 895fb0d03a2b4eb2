"""Event studies across events (issue 8): CAR by hand, the prediction-error SCAR and the BMP test."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from narrative.market.events import event_cars, event_study


def _returns(n=900, seed=0, planted=(), jump=0.0):
    rng = np.random.default_rng(seed)
    idx = pd.bdate_range("2021-01-04", periods=n)
    bench = rng.normal(0.0003, 0.01, n)
    asset = 0.0002 + 1.2 * bench + rng.normal(0, 0.01, n)
    for pos in planted:
        asset[pos] += jump * (1 + 0.5 * rng.standard_normal())  # event-induced variance as well as a mean
    return pd.DataFrame({"asset": asset, "benchmark": bench}, index=idx)


EVENTS = list(range(150, 850, 35))  # 20 events, windows never overlap


def test_issue_8_bmp_finds_planted_abnormal_returns_and_the_placebo_window_does_not():
    returns = _returns(planted=EVENTS, jump=0.03)
    dates = list(returns.index[EVENTS])
    study = event_study({"AAA": returns}, dates).set_index("window")
    assert study.loc["(+0,+1)", "n_events"] == 20
    assert study.loc["(+0,+1)", "caar"] == pytest.approx(0.03, abs=0.01)
    assert study.loc["(+0,+1)", "p_value"] < 1e-4 and study.loc["(+0,+1)", "bmp_t"] > 5
    assert study.loc["(-5,-1)", "p_value"] > 0.05  # nothing before the events
    assert study["note"].isna().all()


def test_events_no_abnormal_returns_gives_no_significant_caar():
    returns = _returns(seed=4)
    study = event_study({"AAA": returns}, list(returns.index[EVENTS]))
    assert (study["p_value"] > 0.05).all()


def test_events_car_and_standardised_car_by_hand():
    returns = _returns(seed=7)
    pos = 300
    row = event_cars({"AAA": returns}, [returns.index[pos]], windows=[(0, 5)]).iloc[0]
    est = returns.iloc[pos - 10 - 120 : pos - 10]
    x = np.column_stack([np.ones(120), est["benchmark"]])
    (alpha, beta), ssr, *_ = np.linalg.lstsq(x, est["asset"].to_numpy(), rcond=None)
    sigma = math.sqrt(ssr[0] / 118)
    window = returns.iloc[pos : pos + 6]
    car = float((window["asset"] - alpha - beta * window["benchmark"]).sum())
    mean_m = est["benchmark"].mean()
    var = sigma**2 * (
        6 + 36 / 120 + (window["benchmark"] - mean_m).sum() ** 2 / ((est["benchmark"] - mean_m) ** 2).sum()
    )
    assert row["car"] == pytest.approx(car, rel=1e-9)
    assert row["beta"] == pytest.approx(beta, rel=1e-9) and row["est_n"] == 120
    assert row["scar"] == pytest.approx(car / math.sqrt(var) * math.sqrt(116 / 118), rel=1e-9)
    assert row["day0"] == str(returns.index[pos].date()) and row["n_days"] == 6


def test_events_weekend_event_rolls_to_the_next_session_and_edges_are_noted():
    returns = _returns(n=300, seed=1)
    saturday = pd.Timestamp("2021-06-05")
    cars = event_cars({"AAA": returns}, [saturday, returns.index[295], returns.index[30]], windows=[(0, 10)])
    assert cars.iloc[0]["day0"] == "2021-06-07" and not math.isnan(cars.iloc[0]["car"])
    assert math.isnan(cars.iloc[1]["car"]) and "past the price data" in cars.iloc[1]["note"]
    assert math.isnan(cars.iloc[2]["car"]) and "fewer than 60" in cars.iloc[2]["note"]
    study = event_study({"AAA": returns}, [saturday], windows=[(0, 1)]).iloc[0]
    assert study["n_events"] == 1 and math.isnan(study["p_value"]) and "fewer than two" in study["note"]


def test_events_overlapping_windows_are_flagged():
    returns = _returns(seed=2)
    study = event_study({"AAA": returns}, list(returns.index[[200, 203, 400]]), windows=[(0, 5)]).iloc[0]
    assert study["n_events"] == 3 and "overlapping" in study["note"]
