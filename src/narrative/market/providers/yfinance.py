"""Daily bars from Yahoo Finance through the optional ``yfinance`` package (``pip install narrative[yfinance]``).

Without the package, or without a network, :meth:`YFinanceProvider.fetch` raises :class:`ProviderError`
with one line that says what to do; it never leaks a traceback to the CLI.
"""

from __future__ import annotations

import logging
import math

from ...errors import Errors, ProviderError

LOGGER = logging.getLogger(__name__)


class YFinanceProvider:
    name = "yfinance.v1"

    def fetch(self, ticker: str, *, start: str | None = None, end: str | None = None) -> list[dict]:
        try:
            import yfinance
        except ImportError:
            raise ProviderError(Errors.E102) from None
        try:
            frame = yfinance.download(
                ticker, start=start, end=end, auto_adjust=False, progress=False, actions=False, threads=False
            )
        except Exception as exc:  # noqa: BLE001 (yfinance raises many kinds; one clear line for the user)
            raise ProviderError(Errors.E103.format(ticker=ticker, problem=f"{type(exc).__name__}: {exc}")) from None
        if frame is None or frame.empty:
            raise ProviderError(Errors.E104.format(ticker=ticker, start=start or "start", end=end or "today"))
        if getattr(frame.columns, "nlevels", 1) > 1:
            frame.columns = frame.columns.get_level_values(0)
        rows = []
        for stamp, bar in frame.iterrows():
            close = _num(bar.get("Close"))
            if close is None:
                continue
            adj = _num(bar.get("Adj Close"))
            rows.append(
                {
                    "date": str(stamp)[:10],
                    "open": _num(bar.get("Open")),
                    "high": _num(bar.get("High")),
                    "low": _num(bar.get("Low")),
                    "close": close,
                    "adj_close": adj if adj is not None else close,
                    "volume": _num(bar.get("Volume")),
                }
            )
        return rows


def _num(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None
