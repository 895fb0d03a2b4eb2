"""Calibrated narrative shifts (issue 8): significance, minimum effect, dating at the first article."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from narrative.market.shifts import detect_shifts


def _frame(net: np.ndarray, start="2024-01-01") -> pd.DataFrame:
    idx = pd.bdate_range(start, periods=len(net))
    first = pd.Series(idx + pd.Timedelta(hours=14), index=idx).where(net != 0)
    return pd.DataFrame({"net": net, "attention": (net != 0).astype(int), "first_published": first}, index=idx)


def test_issue_8_a_planted_step_is_found_with_a_small_p_and_dated_at_it():
    rng = np.random.default_rng(2)
    net = rng.normal(0, 0.3, 160) + np.where(np.arange(160) >= 80, 0.8, 0.0)
    frame = _frame(net)
    shifts = detect_shifts(frame, n_perm=199, seed=0)
    assert len(shifts) >= 1
    main = max(shifts, key=lambda s: abs(s.size))
    assert main.direction == "up" and main.p_value <= 0.01 and main.effect > 1.5
    assert abs(frame.index.get_loc(pd.Timestamp(main.session)) - 80) <= 2
    assert main.size == pytest.approx(main.after - main.before)


def test_issue_8_a_shift_is_never_dated_before_its_first_article():
    # Sparse news: tone flips between news session 15 and 16; the 16th news session is 7 sessions after the
    # change in the calendar. The shift must sit on that news session, not on the calendar change.
    rng = np.random.default_rng(8)
    net = np.zeros(200)
    days = np.sort(rng.choice(np.arange(5, 195), size=30, replace=False))
    net[days] = np.r_[rng.normal(-0.6, 0.15, 15), rng.normal(0.6, 0.15, 15)]
    frame = _frame(net)
    shifts = detect_shifts(frame, n_perm=199)
    assert len(shifts) == 1
    shift = shifts[0]
    first_after = frame.index[days[15]]
    assert shift.session == str(first_after.date())
    assert frame.loc[shift.session, "attention"] > 0
    assert pd.Timestamp(shift.first_published) == first_after + pd.Timedelta(hours=14)
    assert (shift.news_before, shift.news_after) == (15, 15)


def test_issue_8_pure_noise_with_a_fixed_seed_has_no_shift():
    rng = np.random.default_rng(21)
    assert detect_shifts(_frame(rng.normal(size=250)), n_perm=199, seed=3) == []
    sparse = np.where(rng.random(250) < 0.15, rng.normal(size=250), 0.0)
    assert detect_shifts(_frame(sparse), n_perm=199, seed=3) == []


def test_shifts_a_significant_but_tiny_step_is_below_the_minimum_effect():
    rng = np.random.default_rng(5)
    net = rng.normal(size=3000) + np.where(np.arange(3000) >= 1500, 0.25, 0.0)
    frame = _frame(net)
    assert detect_shifts(frame, n_perm=99) == []  # d = 0.25 < 0.5
    found = detect_shifts(frame, n_perm=99, min_effect=0.1)
    assert found and found[0].p_value <= 0.01 and found[0].direction == "up"


def test_shifts_too_few_news_sessions_and_a_bare_series():
    assert detect_shifts(_frame(np.r_[np.zeros(50), [1.0, -1.0, 0.5], np.zeros(50)]), n_perm=19) == []
    rng = np.random.default_rng(0)
    idx = pd.bdate_range("2024-01-01", periods=80)
    series = pd.Series(np.r_[np.full(40, -0.5), np.full(40, 0.5)] + rng.normal(0, 0.3, 80), idx)
    shifts = detect_shifts(series, n_perm=99)
    assert [s.session for s in shifts] == [str(idx[40].date())]
    assert shifts == detect_shifts(series, n_perm=99)  # deterministic by seed
