"""Time in one place: the current time, the one form every stored timestamp has, and the dates users type.

Low in the stack (next to :mod:`narrative.errors`): ``ingest``, ``store``, ``market`` and ``api`` all import it,
it imports nothing of theirs. Archive dates found in the wild ("9 DAYS AGO", " 7:51 PM ET Fri, 17 July 2020") are
a different job, done by :func:`narrative.ingest.archive.parse_archive_date`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import Errors, InputError


def to_utc_iso(moment: datetime) -> str:
    """ISO-8601 in UTC with a ``Z``-free ``+00:00`` offset, second precision; naive times are read as UTC.

    >>> from datetime import timezone
    >>> to_utc_iso(datetime(2025, 1, 2, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=8))))
    '2025-01-02T01:30:15+00:00'
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def utc_now_iso() -> str:
    """The current time as :func:`to_utc_iso` writes it: every stored timestamp has this form.

    >>> utc_now_iso().endswith("+00:00")
    True
    """
    return to_utc_iso(datetime.now(UTC))


def parse_date(value: str, *, flag: str | None = None, zone: tzinfo | None = None) -> datetime:
    """A date (``YYYY-MM-DD``) or ISO-8601 timestamp that a user typed, as an aware datetime; a value without an
    offset is in ``zone`` (default UTC). Anything else is an :class:`InputError` naming ``flag`` when given.

    >>> parse_date("2025-03-01").isoformat()
    '2025-03-01T00:00:00+00:00'
    >>> parse_date("2025-03-01T09:30Z").isoformat()
    '2025-03-01T09:30:00+00:00'
    >>> parse_date("last tuesday", flag="--from")
    Traceback (most recent call last):
    narrative.errors.InputError: --from 'last tuesday' is not a valid date. Use YYYY-MM-DD.
    """
    try:
        moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        if flag:
            raise InputError(Errors.E031.format(flag=flag, value=value)) from None
        raise InputError(Errors.E030.format(value=value)) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone or UTC)


def day_bound(value: str | None, *, end: bool = False) -> str | None:
    """A ``--since``/``--until`` value as an ISO bound in UTC (None stays None); an ``until`` given as a day
    (``end=True``) means up to the end of that day, so the bound is the next midnight (exclusive).

    >>> day_bound("2025-03-01"), day_bound("2025-03-01", end=True)
    ('2025-03-01T00:00:00+00:00', '2025-03-02T00:00:00+00:00')
    """
    if value is None:
        return None
    moment = parse_date(value)
    if end and len(value.strip()) == 10:
        moment += timedelta(days=1)
    return moment.astimezone(UTC).isoformat()


def date_window(start: str | date | None, end: str | date | None) -> tuple[date | None, date | None]:
    """``--from``/``--to`` as calendar dates (None when not given); a bad or reversed window is an InputError.

    >>> date_window("2024-01-01", "2025-10-31T16:00:00-04:00")
    (datetime.date(2024, 1, 1), datetime.date(2025, 10, 31))
    >>> date_window("2025-01-01", "2024-01-01")
    Traceback (most recent call last):
    narrative.errors.InputError: --from 2025-01-01 is after --to 2024-01-01; swap them.
    """
    first, last = (
        None if value is None else parse_date(str(value), flag=flag).date()
        for flag, value in (("--from", start), ("--to", end))
    )
    if first and last and first > last:
        raise InputError(Errors.E032.format(start=first, end=last))
    return first, last


def time_zone(name: str) -> ZoneInfo:
    """The IANA zone ``name`` (``Asia/Hong_Kong``), or ValueError saying what is accepted (E027): the one check
    of a zone a user names, for ``import --timezone`` and a feed's ``timezone:`` alike.

    >>> time_zone(" America/New_York").key
    'America/New_York'
    >>> time_zone("Mars/Olympus")
    Traceback (most recent call last):
    ValueError: 'Mars/Olympus' is not an IANA time zone such as 'America/New_York', 'Asia/Hong_Kong' or 'UTC'
    """
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, TypeError, AttributeError):
        raise ValueError(Errors.E027.format(value=name)) from None
