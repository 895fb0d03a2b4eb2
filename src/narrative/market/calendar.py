"""Which trading session an article can first move, without look-ahead.

The rule (issue: alignment without look-ahead), per exchange:

* a story published **before the open** of session *t* belongs to session *t*;
* a story published **at or after the open and before the close** of session *t* belongs to *t* as well
  (``intraday="same"``, the default: the close-to-close return of *t* is the first one that can contain the
  reaction). ``intraday="next"`` is the conservative variant: the market was already trading when the story
  appeared, so part of *t*'s return happened before it; the story goes to *t + 1*;
* a story published **at or after the close** (16:00 America/New_York for US listings, 16:00 Asia/Hong_Kong for
  HKEX) belongs to the **next** session; weekends and holidays roll forward to the next session.

Times are compared in UTC, with each exchange's local open and close converted through its time zone for that
very date, so daylight-saving changes in New York (and none in Hong Kong) are handled. Sessions come from
``exchange_calendars`` when it is installed (which also knows holidays and early closes such as Christmas Eve),
else from the trading days present in the price data (``source="prices"``), with the exchange's regular hours.

The same calendar answers the claim checker's question, "the last close at or before publication"
(:meth:`SessionCalendar.last_close`).

Point in time (issue 8): the rule above is for items whose time is **exact** (the feed or archive gave a time
with its zone) or **fetched** (the feed gave no date: the fetch time is used, which is when we had the item).
An item whose time is imprecise never reaches a session a trader at the exchange's close could not have read it
in:

* a **date-only** item ("2020-03-10", as in Reuters, Guardian and most FNSPID rows) and a **relative** one ("9 DAYS
  AGO", anchored on ``--as-of``: only its date is meaningful) go to the first session of the exchange that **opens
  at or after the end of that date** -- the latest instant the item could have been published. Where nothing says
  where the date was written, that is the end of the date in the westernmost time zone, UTC-12, i.e. the next day
  at 12:00 UTC. Where the source's IANA zone is known (``timezone:`` in feeds.yaml, ``narrative import
  --timezone``), it is the end of that date in that zone (midnight local, converted with that day's own offset,
  so DST days last 23 or 25 hours). ``intraday`` does not apply: these items are never credited to a session
  that had already opened.

So a date-only US-daytime story of Tuesday 2020-03-10 goes to Thursday 2020-03-12 on HKEX (it may have been
written at 23:59 on Tuesday in UTC-12, which is 19:59 on Wednesday in Hong Kong, after Wednesday's close) and to
Wednesday 2020-03-11 on NYSE; the old rule (midnight UTC) put it in Tuesday's HKEX session, which closed before New
York woke up. Use ``precision=["exact"]`` in :func:`narrative.market.index.narrative_index` (``narrative index
--precision exact``) to leave imprecise items out altogether.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from ..errors import Errors, InputError

# The hours live in .exchanges (no pandas there: the stored session index names its exchange without it).
from .exchanges import EXCHANGES, Hours, exchange_names, hours_for  # noqa: F401 (importable from here as before)

LOGGER = logging.getLogger(__name__)


IMPRECISE = ("date_only", "relative")  # precisions whose time of day is unknown
WESTERNMOST = timezone(timedelta(hours=-12))  # where a date ends last: UTC-12


def latest_publication(moments, precision=None, source_tz=None) -> pd.DatetimeIndex:
    """The latest UTC instant each item could have been published (exclusive for a date: the end of that day).

    ``exact`` and ``fetched`` items: their own time. ``date_only`` and ``relative`` items: the end of their date
    in ``source_tz`` when given (the date is read in that zone), else the end of their UTC date in UTC-12.

    >>> [str(t) for t in latest_publication(["2020-03-10T00:00:00+00:00"] * 2, ["date_only", "exact"])]
    ['2020-03-11 12:00:00+00:00', '2020-03-10 00:00:00+00:00']
    """
    stamps = pd.to_datetime(pd.Series(_as_list(moments), dtype=object), utc=True, format="ISO8601")
    precisions = _column(precision, len(stamps))
    zones = _column(source_tz, len(stamps))
    out = list(stamps)
    for i, (stamp, kind, zone) in enumerate(zip(stamps, precisions, zones)):
        if kind in IMPRECISE and not pd.isna(stamp):
            out[i] = pd.Timestamp(_end_of_date(stamp.to_pydatetime(), zone))
    return pd.DatetimeIndex(out).tz_convert("UTC") if len(out) else pd.DatetimeIndex([], tz="UTC")


def _end_of_date(moment: datetime, zone: str | None) -> datetime:
    if zone:
        local = ZoneInfo(zone)
        day = moment.astimezone(local).date()
        return datetime.combine(day + timedelta(days=1), time(0), local).astimezone(UTC)
    day = moment.astimezone(UTC).date()
    return datetime.combine(day + timedelta(days=1), time(0), WESTERNMOST).astimezone(UTC)


def _column(values, n: int) -> list:
    if values is None or isinstance(values, str):
        return [values] * n
    out = [None if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in list(values)]
    if len(out) != n:
        raise ValueError(f"{len(out)} values for {n} moments")
    return out


def _as_list(moments) -> list:
    return [moments] if isinstance(moments, (str, datetime, pd.Timestamp)) else list(moments)


class SessionCalendar:
    """The sessions of one exchange, each with its open and close as UTC instants."""

    def __init__(
        self,
        sessions: Iterable[date | str],
        opens: Iterable[datetime],
        closes: Iterable[datetime],
        *,
        exchange: str,
        source: str,
    ):
        self.sessions = pd.DatetimeIndex(pd.to_datetime(list(sessions))).normalize()
        self.opens = pd.DatetimeIndex(pd.to_datetime(list(opens), utc=True))
        self.closes = pd.DatetimeIndex(pd.to_datetime(list(closes), utc=True))
        self.exchange, self.source = exchange, source
        self._open_ns = self.opens.as_unit("ns").asi8
        self._close_ns = self.closes.as_unit("ns").asi8

    def __len__(self) -> int:
        return len(self.sessions)

    def __repr__(self) -> str:
        span = f"{self.sessions[0].date()}..{self.sessions[-1].date()}" if len(self) else "empty"
        return f"SessionCalendar({self.exchange}, {span}, {len(self)} sessions, source={self.source})"

    def session_for(self, moments, *, intraday: str = "same", precision=None, source_tz=None) -> pd.DatetimeIndex:
        """The session each UTC moment can first affect (NaT past the last known session).

        ``precision`` (one per moment, or one for all; default ``exact``) and ``source_tz`` apply the
        point-in-time rule of the module doc to ``date_only`` and ``relative`` items.

        >>> cal = calendar_from_dates(["2024-03-08", "2024-03-11"], "US")
        >>> [str(d.date()) for d in cal.session_for(["2024-03-08T20:59Z", "2024-03-08T21:01Z"])]
        ['2024-03-08', '2024-03-11']
        >>> [str(d.date()) for d in cal.session_for(["2024-03-08T00:00Z"], precision="date_only")]
        ['2024-03-11']
        """
        ns = _utc_ns(moments)
        if intraday == "same":
            idx = np.searchsorted(self._close_ns, ns, side="right")  # first close strictly after the story
        elif intraday == "next":
            idx = np.searchsorted(self._open_ns, ns, side="right")  # first open strictly after the story
        else:
            raise InputError(Errors.E082.format(intraday=intraday))
        precisions = _column(precision, len(ns))
        imprecise = np.array([p in IMPRECISE for p in precisions], dtype=bool)
        if imprecise.any():
            moments_list = _as_list(moments)
            ends = latest_publication(
                [m for m, i in zip(moments_list, imprecise) if i],
                [p for p, i in zip(precisions, imprecise) if i],
                [z for z, i in zip(_column(source_tz, len(ns)), imprecise) if i],
            )
            # First open at or after the end of the date: the item existed before that open, never before an
            # earlier one (the end of a date is exclusive).
            idx[imprecise] = np.searchsorted(self._open_ns, ends.as_unit("ns").asi8, side="left")
        return self._pick(idx, ns)

    def last_close(self, moments) -> pd.DatetimeIndex:
        """The last session whose close is at or before each UTC moment (NaT before the first one)."""
        ns = _utc_ns(moments)
        idx = np.searchsorted(self._close_ns, ns, side="right") - 1
        return self._pick(idx, ns)

    def _pick(self, idx: np.ndarray, ns: np.ndarray) -> pd.DatetimeIndex:
        valid = (idx >= 0) & (idx < len(self.sessions)) & (ns != _NAT)
        values = np.full(len(idx), np.datetime64("NaT"), dtype="datetime64[ns]")
        values[valid] = self.sessions.as_unit("ns").values[idx[valid]]
        return pd.DatetimeIndex(values)


def calendar_from_dates(dates: Iterable[date | str], exchange: str) -> SessionCalendar:
    """Sessions = the trading days present in the price data, with the exchange's regular hours."""
    hours = hours_for(exchange)
    zone = ZoneInfo(hours.tz)
    days = sorted({pd.Timestamp(d).date() for d in dates})
    opens = [datetime.combine(d, hours.open, zone).astimezone(UTC) for d in days]
    closes = [datetime.combine(d, hours.close, zone).astimezone(UTC) for d in days]
    return SessionCalendar(days, opens, closes, exchange=exchange, source="prices")


def calendar_for(
    exchange: str,
    start: str | date,
    end: str | date,
    *,
    dates: Iterable | None = None,
    source: Literal["auto", "exchange_calendars", "prices"] = "auto",
) -> SessionCalendar:
    """The calendar of ``exchange`` from ``start`` to ``end``.

    ``source="auto"`` uses ``exchange_calendars`` when it is installed and knows the exchange, else
    ``dates`` (the trading days in the price data).
    """
    hours = hours_for(exchange)
    if source in ("auto", "exchange_calendars"):
        try:
            return _xcals(hours, exchange, start, end)
        except ImportError:
            if source == "exchange_calendars":
                raise InputError(Errors.E083) from None
            LOGGER.info("exchange_calendars not installed; sessions come from the price data")
        except Exception as exc:  # noqa: BLE001 (an out-of-range or unknown calendar falls back, logged)
            if source == "exchange_calendars":
                raise InputError(Errors.E084.format(code=hours.code, start=start, end=end, problem=exc)) from None
            LOGGER.warning("exchange_calendars failed for %s (%s); sessions come from the price data", hours.code, exc)
    if dates is None:
        raise InputError(Errors.E085.format(exchange=exchange))
    return calendar_from_dates(dates, exchange)


def _xcals(hours: Hours, exchange: str, start, end) -> SessionCalendar:
    import warnings

    import exchange_calendars as xcals

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas deprecation warnings from inside exchange_calendars
        return _xcals_schedule(xcals, hours, exchange, start, end)


def _xcals_schedule(xcals, hours: Hours, exchange: str, start, end) -> SessionCalendar:
    start_ts = pd.Timestamp(start) - pd.Timedelta(days=10)
    end_ts = pd.Timestamp(end) + pd.Timedelta(days=10)
    try:
        calendar = xcals.get_calendar(hours.code, start=start_ts.strftime("%Y-%m-%d"), end=end_ts.strftime("%Y-%m-%d"))
    except Exception:  # noqa: BLE001 (outside the calendar's bounds: take its default range and clip)
        calendar = xcals.get_calendar(hours.code)
    schedule = calendar.schedule.loc[max(start_ts, calendar.first_session) : min(end_ts, calendar.last_session)]
    return SessionCalendar(
        schedule.index,
        schedule["open"],
        schedule["close"],
        exchange=exchange,
        source=f"exchange_calendars:{hours.code}",
    )


_NAT = np.iinfo(np.int64).min


def _utc_ns(moments) -> np.ndarray:
    moments = _as_list(moments)
    stamps = pd.to_datetime(pd.Series(list(moments), dtype=object), utc=True, format="ISO8601")
    values = stamps.dt.as_unit("ns").astype("int64").to_numpy().copy()
    values[stamps.isna().to_numpy()] = _NAT
    return values
