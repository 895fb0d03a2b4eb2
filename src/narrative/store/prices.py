"""Reads and writes of the ``prices`` table (m003). Every statement is parameterised."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import pandas as pd
from sqlite_utils import Database

from .db import placeholders, published_window, rows

_FIELDS = ("open", "high", "low", "close", "adj_close", "volume")


def upsert_prices(
    db: Database, ticker: str, rows: Iterable[dict], *, currency: str | None, exchange: str | None, source: str
) -> tuple[int, int]:
    """Insert or replace ``rows`` for ``ticker`` (key ticker+date), so re-importing a file is idempotent.

    Returns ``(new, updated)`` row counts.
    """
    now = datetime.now(UTC).isoformat(timespec="seconds")
    existing = {r[0] for r in db.execute("SELECT date FROM prices WHERE ticker = ?", [ticker]).fetchall()}
    new = updated = 0
    with db.conn:
        for row in rows:
            values = [ticker, row["date"], *(row.get(f) for f in _FIELDS), currency, exchange, source, now]
            db.conn.execute(
                "INSERT INTO prices (ticker, date, open, high, low, close, adj_close, volume, currency, exchange, "
                "source, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(ticker, date) DO UPDATE SET open = excluded.open, high = excluded.high, "
                "low = excluded.low, close = excluded.close, adj_close = excluded.adj_close, "
                "volume = excluded.volume, currency = excluded.currency, exchange = excluded.exchange, "
                "source = excluded.source, imported_at = excluded.imported_at",
                values,
            )
            if row["date"] in existing:
                updated += 1
            else:
                new += 1
                existing.add(row["date"])
    return new, updated


def price_rows(db: Database, tickers: Iterable[str], *, start: str | None = None, end: str | None = None) -> list[dict]:
    """Rows of ``tickers`` between ``start`` and ``end`` (inclusive local dates), oldest first."""
    tickers = list(tickers)
    if not tickers or "prices" not in db.table_names():
        return []
    params: list = list(tickers)
    window = published_window("prices", start, end, params, column="date", until_inclusive=True)
    return rows(
        db,
        f"SELECT ticker, date, open, high, low, close, adj_close, volume, currency, exchange, source "
        f"FROM prices WHERE ticker IN ({placeholders(tickers)}){window} ORDER BY ticker, date",
        params,
    )


def price_coverage(db: Database) -> list[dict]:
    """Per ticker: first and last date, row count, currency and exchange."""
    if "prices" not in db.table_names():
        return []
    return rows(
        db,
        'SELECT ticker, MIN(date) AS "first", MAX(date) AS "last", COUNT(*) AS "rows", MAX(currency) AS currency, '
        "MAX(exchange) AS exchange FROM prices GROUP BY ticker ORDER BY ticker",
    )


def close_series(db: Database, ticker: str) -> tuple[pd.Series | None, str | None]:
    """The adjusted closes of ``ticker`` as a Series indexed by local trading date, and its stored exchange.

    The one price loader: the claim check and the analysis both read closes through it.
    ``(None, None)`` when the store has no prices for ``ticker``.
    """
    found = price_rows(db, [ticker])
    if not found:
        return None, None
    dates = pd.DatetimeIndex(pd.to_datetime([r["date"] for r in found]))
    series = pd.Series([r["adj_close"] for r in found], index=dates, name=ticker, dtype=float)
    return series, found[-1]["exchange"]
