"""Alignment without look-ahead: which session a story can first move, across time zones and DST."""

from __future__ import annotations

import pandas as pd
import pytest

from narrative.errors import InputError
from narrative.market.calendar import calendar_for, calendar_from_dates, hours_for, latest_publication


def _days(cal, moments, **kw):
    return [None if pd.isna(d) else str(d.date()) for d in cal.session_for(moments, **kw)]


@pytest.fixture(params=["exchange_calendars", "prices"])
def us(request):
    dates = pd.bdate_range("2024-01-02", "2025-12-31")
    dates = dates[~dates.isin(pd.to_datetime(["2024-07-04", "2024-11-28", "2024-12-25", "2025-01-01"]))]
    return calendar_for("NASDAQ", "2024-01-01", "2025-12-31", dates=dates, source=request.param)


@pytest.fixture(params=["exchange_calendars", "prices"])
def hk(request):
    return calendar_for(
        "HKEX", "2024-01-01", "2025-12-31", dates=pd.bdate_range("2024-01-02", "2025-12-31"), source=request.param
    )


def test_calendar_friday_evening_new_york_goes_to_monday(us):
    # Fri 2024-03-01 18:30 New York (23:30 UTC), after the close.
    assert _days(us, ["2024-03-01T23:30:00Z"]) == ["2024-03-04"]
    assert _days(us, ["2024-03-02T15:00:00Z", "2024-03-03T22:00:00Z"]) == ["2024-03-04", "2024-03-04"]


def test_calendar_1559_vs_1601_new_york(us):
    # 2024-01-10, EST (UTC-5): the close is 21:00 UTC.
    assert _days(us, ["2024-01-10T20:59:00Z", "2024-01-10T21:00:00Z", "2024-01-10T21:01:00Z"]) == [
        "2024-01-10",
        "2024-01-11",
        "2024-01-11",
    ]
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
        "2024-03-11",
        "2024-03-12",
        "2024-11-05",
    ]


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


# --- point in time (issue 8): date-only, relative and fetched items -----------------------------------------


def test_issue_8_us_daytime_date_only_row_does_not_land_in_the_same_date_hkex_session(hk):
    # A Reuters-style row "2020-03-10" (no time, no zone) is stored as midnight UTC = 08:00 HKT, before the HKEX
    # open. It may have been written at 23:59 in UTC-12 (Wed 19:59 HKT, after Wednesday's close): Thursday.
    hk2020 = calendar_for("HKEX", "2020-03-01", "2020-03-31")
    row = ["2020-03-10T00:00:00+00:00"]
    assert _days(hk2020, row) == ["2020-03-10"]  # the old reading: look-ahead
    assert _days(hk2020, row, precision="date_only") == ["2020-03-12"]
    assert _days(hk, ["2025-01-24T00:00:00+00:00"], precision=["date_only"]) == ["2025-01-27"]  # Fri -> Mon
    # On NYSE the same row goes to the next day's session: its date may end after Tuesday's close.
    assert _days(calendar_for("XNYS", "2020-03-01", "2020-03-31"), row, precision="date_only") == ["2020-03-11"]


def test_calendar_exact_items_keep_their_rule(us, hk):
    moments = ["2024-01-10T20:59:00Z", "2024-01-10T21:01:00Z", "2024-01-10T12:00:00Z"]
    assert (
        _days(us, moments, precision=["exact"] * 3) == _days(us, moments) == ["2024-01-10", "2024-01-11", "2024-01-10"]
    )
    assert _days(us, moments, precision="fetched") == _days(us, moments)  # fetch time is the item's time
    assert _days(us, moments, precision="exact", intraday="next") == _days(us, moments, intraday="next")
    mixed = _days(hk, ["2025-01-24T00:00:00Z"] * 2, precision=["exact", "date_only"])
    assert mixed == ["2025-01-24", "2025-01-27"]


def test_calendar_date_only_with_the_source_zone_ends_there(hk, us):
    # A Hong Kong source's date-only 2025-01-22 (stored as its local midnight, 2025-01-21 16:00 UTC) ends at
    # 2025-01-23 00:00 HKT: the 23rd's HKEX session, a session earlier than without the zone (2025-01-24).
    local_midnight = ["2025-01-21T16:00:00+00:00"]
    assert _days(hk, local_midnight, precision="date_only", source_tz="Asia/Hong_Kong") == ["2025-01-23"]
    assert _days(hk, ["2025-01-22T00:00:00+00:00"], precision="date_only") == ["2025-01-24"]
    # New York sees the same item from the 23rd's open at 09:30 ET, after 00:00 HKT on the 23rd (11:00 ET the 22nd).
    assert _days(us, local_midnight, precision="date_only", source_tz="Asia/Hong_Kong") == ["2025-01-23"]
    # A New York source's date ends at 05:00 UTC next day: after the next HKEX open (01:30 UTC).
    assert _days(hk, ["2025-01-22T05:00:00+00:00"], precision="date_only", source_tz="America/New_York") == [
        "2025-01-24"
    ]


def test_calendar_date_only_dst_days_end_with_their_own_offset():
    # 2024-03-10 (New York springs forward) lasts 23 hours: its end is 04:00 UTC, not 05:00; 2024-11-03 lasts
    # 25 hours and ends at 05:00 UTC. The stored time is local midnight (05:00 UTC / 04:00 UTC).
    ends = latest_publication(
        ["2024-03-10T05:00:00+00:00", "2024-11-03T04:00:00+00:00"], "date_only", "America/New_York"
    )
    assert [str(t) for t in ends] == ["2024-03-11 04:00:00+00:00", "2024-11-04 05:00:00+00:00"]
    # Without a zone: the end of the UTC date in UTC-12, whatever the season.
    assert [str(t) for t in latest_publication(["2024-03-10T00:00:00+00:00"], "date_only")] == [
        "2024-03-11 12:00:00+00:00"
    ]
    # Exact and fetched times are their own latest instant.
    assert str(latest_publication(["2024-03-10T07:30:00Z"], "fetched")[0]) == "2024-03-10 07:30:00+00:00"
    # An end of date that falls exactly on an open: that open's session (the end of a date is exclusive).
    tokyo = calendar_for("TSE", "2024-01-01", "2024-01-31")  # opens 09:00 JST = 00:00 UTC
    assert _days(tokyo, ["2024-01-10T00:00:00Z"], precision="date_only", source_tz="Europe/London") == ["2024-01-11"]


def test_calendar_relative_items_are_read_as_their_date(hk):
    # "2 days ago" anchored on 2025-01-24 12:00 UTC: only the date, 2025-01-22, is meaningful.
    assert (
        _days(hk, ["2025-01-22T12:00:00+00:00"], precision="relative")
        == _days(hk, ["2025-01-22T00:00:00+00:00"], precision="date_only")
        == ["2025-01-24"]
    )


def test_calendar_exchange_codes_and_names():
    assert hours_for("XHKG") == hours_for("hkex") and hours_for("XNYS") == hours_for("US")
    with pytest.raises(InputError, match=r"unknown exchange 'MOON'.*XHKG.*XNYS"):
        hours_for("MOON")
