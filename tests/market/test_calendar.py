"""Alignment without look-ahead: which session a story can first move, across time zones and DST."""

from __future__ import annotations

import pandas as pd
import pytest

from narrative.errors import InputError
from narrative.market.calendar import calendar_for, calendar_from_dates


def _days(cal, moments, **kw):
    return [None if pd.isna(d) else str(d.date()) for d in cal.session_for(moments, **kw)]


@pytest.fixture(params=["exchange_calendars", "prices"])
def us(request):
    dates = pd.bdate_range("2024-01-02", "2025-12-31")
    dates = dates[~dates.isin(pd.to_datetime(["2024-07-04", "2024-11-28", "2024-12-25", "2025-01-01"]))]
    return calendar_for("NASDAQ", "2024-01-01", "2025-12-31", dates=dates, source=request.param)


@pytest.fixture(params=["exchange_calendars", "prices"])
def hk(request):
    return calendar_for("HKEX", "2024-01-01", "2025-12-31", dates=pd.bdate_range("2024-01-02", "2025-12-31"),
                        source=request.param)


def test_calendar_friday_evening_new_york_goes_to_monday(us):
    # Fri 2024-03-01 18:30 New York (23:30 UTC), after the close.
    assert _days(us, ["2024-03-01T23:30:00Z"]) == ["2024-03-04"]
    assert _days(us, ["2024-03-02T15:00:00Z", "2024-03-03T22:00:00Z"]) == ["2024-03-04", "2024-03-04"]


def test_calendar_1559_vs_1601_new_york(us):
    # 2024-01-10, EST (UTC-5): the close is 21:00 UTC.
    assert _days(us, ["2024-01-10T20:59:00Z", "2024-01-10T21:00:00Z", "2024-01-10T21:01:00Z"]) == [
        "2024-01-10", "2024-01-11", "2024-01-11"]
    # Before the open belongs to that day's session.
    assert _days(us, ["2024-01-10T12:00:00Z"]) == ["2024-01-10"]


def test_calendar_0900_utc_is_after_the_hong_kong_close_but_before_new_york(us, hk):
    moment = ["2025-01-24T09:00:00Z"]  # Fri 17:00 Hong Kong, 04:00 New York
    assert _days(hk, moment) == ["2025-01-27"]
    assert _days(us, moment) == ["2025-01-24"]


def test_calendar_dst_boundaries_in_new_york(us):
    # Fri 2024-03-08 (EST): close 21:00 UTC. Mon 2024-03-11 (EDT since 10 Mar): close 20:00 UTC.
    assert _days(us, ["2024-03-08T20:30:00Z"]) == ["2024-03-08"]
    assert _days(us, ["2024-03-11T20:30:00Z"]) == ["2024-03-12"]
    assert _days(us, ["2024-03-11T19:59:00Z"]) == ["2024-03-11"]
    # Back to EST on 3 Nov 2024: Mon 4 Nov closes 21:00 UTC again.
    assert _days(us, ["2024-11-01T20:30:00Z", "2024-11-04T20:30:00Z"]) == ["2024-11-04", "2024-11-04"]
    # Hong Kong has no DST: 16:00 HKT = 08:00 UTC all year.
    hk = calendar_from_dates(["2024-03-11", "2024-03-12", "2024-11-04", "2024-11-05"], "HKEX")
    assert _days(hk, ["2024-03-11T07:59:00Z", "2024-03-11T08:00:00Z", "2024-11-04T08:01:00Z"]) == [
        "2024-03-11", "2024-03-12", "2024-11-05"]


def test_calendar_holidays_roll_forward(us):
    assert _days(us, ["2024-07-03T22:00:00Z", "2024-07-04T15:00:00Z"]) == ["2024-07-05", "2024-07-05"]


def test_calendar_intraday_next_is_conservative(us):
    # 2024-01-10 15:00 UTC = 10:00 New York, during the session.
    assert _days(us, ["2024-01-10T15:00:00Z"]) == ["2024-01-10"]
    assert _days(us, ["2024-01-10T15:00:00Z"], intraday="next") == ["2024-01-11"]
    assert _days(us, ["2024-01-10T12:00:00Z"], intraday="next") == ["2024-01-10"]


def test_calendar_last_close_for_claims(us):
    # Sat 2025-09-13 02:00 UTC: the last close is Friday 2025-09-12.
    assert str(us.last_close(["2025-09-13T02:00:00Z"])[0].date()) == "2025-09-12"
    assert str(us.last_close(["2024-01-10T20:59:00Z"])[0].date()) == "2024-01-09"


def test_calendar_exchange_calendars_knows_early_closes():
    us = calendar_for("NYSE", "2024-12-01", "2024-12-31", source="exchange_calendars")
    # Christmas Eve 2024 closed at 13:00 New York (18:00 UTC): 18:30 UTC goes to the 26th.
    assert _days(us, ["2024-12-24T18:30:00Z"]) == ["2024-12-26"]


def test_calendar_unknown_exchange_lists_known():
    with pytest.raises(InputError, match="Known:"):
        calendar_from_dates(["2024-01-02"], "Moon Exchange")
