"""Exchanges' regular hours by name or ``exchange_calendars`` code, without pandas: what ``narrative index
--sessions`` needs to name an exchange before it reads the stored sessions (issue 12: start-up).

>>> hours_for("HKEX").code
'XHKG'
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from ..errors import Errors, InputError


@dataclass(frozen=True)
class Hours:
    """An exchange's regular session: its ``exchange_calendars`` code, time zone, open and close."""

    code: str
    tz: str
    open: time
    close: time


_US = Hours("XNYS", "America/New_York", time(9, 30), time(16, 0))
_HK = Hours("XHKG", "Asia/Hong_Kong", time(9, 30), time(16, 0))
_CN = Hours("XSHG", "Asia/Shanghai", time(9, 30), time(15, 0))
EXCHANGES: dict[str, Hours] = {
    "US": _US,
    "NYSE": _US,
    "NASDAQ": _US,
    "NYSE ARCA": _US,
    "NYSE AMERICAN": _US,
    "OTC": _US,
    "CBOE": _US,
    "HKEX": _HK,
    "HANG SENG INDEXES": _HK,
    "SSE": _CN,
    "SZSE": _CN,
    "CHINA": _CN,
    "TSE": Hours("XTKS", "Asia/Tokyo", time(9, 0), time(15, 30)),
    "KRX": Hours("XKRX", "Asia/Seoul", time(9, 0), time(15, 30)),
    "TWSE": Hours("XTAI", "Asia/Taipei", time(9, 0), time(13, 30)),
    "LSE": Hours("XLON", "Europe/London", time(8, 0), time(16, 30)),
    "XETRA": Hours("XETR", "Europe/Berlin", time(9, 0), time(17, 30)),
    "EURONEXT": Hours("XPAR", "Europe/Paris", time(9, 0), time(17, 30)),
    "SIX": Hours("XSWX", "Europe/Zurich", time(9, 0), time(17, 30)),
    "ASX": Hours("XASX", "Australia/Sydney", time(10, 0), time(16, 0)),
}


def exchange_names() -> list[str]:
    """Every exchange name or ``exchange_calendars`` code :func:`hours_for` knows (``XNYS``, ``HKEX`` ...)."""
    return sorted({*EXCHANGES, *(h.code for h in EXCHANGES.values())})


def hours_for(exchange: str) -> Hours:
    """The regular hours of ``exchange``: a catalog listing's exchange (``US``, ``HKEX``) or an
    ``exchange_calendars`` code (``XNYS``, ``XHKG``).

    >>> hours_for("xhkg").tz
    'Asia/Hong_Kong'
    """
    key = (exchange or "US").strip().upper()
    if key in EXCHANGES:
        return EXCHANGES[key]
    by_code = {h.code: h for h in EXCHANGES.values()}
    if key in by_code:
        return by_code[key]
    if key.startswith("NASDAQ") or key.startswith("NYSE"):
        return _US
    raise InputError(Errors.E081.format(exchange=exchange, known=", ".join(exchange_names())))
