"""Reading the Yahoo-style price CSVs people actually have.

Four shapes are understood, told apart by their first lines:

* ``Date,Close`` (adjusted closes only);
* ``Date,Open,High,Low,Close[,Adj Close],Volume`` in any column order;
* time-zone-aware dates (``2020-01-02 00:00:00+08:00``) with ``Dividends``/``Stock Splits`` columns;
* yfinance's three-row header (``Price,Adj Close,...`` / ``Ticker,QQQ,...`` / ``Date,,,...``).

``date`` is the exchange's local trading date: the first ten characters of the date field, which is
what Yahoo writes (a tz-aware stamp is local midnight). Rows that cannot be used (no date, a close
that is missing, not a number or not positive, a truncated last line) are returned as problems with
their line number, never dropped silently. ``adj_close`` is ``Adj Close`` when the file has it, else
``Close``.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Errors, InputError, Problems

LOGGER = logging.getLogger(__name__)

_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")
_COLUMNS = {
    "date": "date",
    "datetime": "date",
    "open": "open",
    "high": "high",
    "low": "low",
    "close": "close",
    "adj close": "adj_close",
    "adj_close": "adj_close",
    "adjclose": "adj_close",
    "volume": "volume",
}
_IGNORED = {"dividends", "stock splits", "capital gains", "price", "ticker"}


@dataclass
class PriceFile:
    """What one CSV holds: the rows that can be stored and the lines that could not."""

    ticker: str | None  # from yfinance's "Ticker" header row, when present
    rows: list[dict] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line number, why it was skipped)
    has_adj_close: bool = False


def read_price_csv(path: str | Path) -> PriceFile:
    """Parse a Yahoo-style CSV into rows of ``date, open, high, low, close, adj_close, volume``.

    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "X.csv")
    >>> _ = open(p, "w").write("Date,Close\\n2024-01-02,10\\n2024-01-03,\\n")
    >>> f = read_price_csv(p)
    >>> [r["adj_close"] for r in f.rows], f.problems
    ([10.0], [(3, 'no close price')])
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(Errors.E076.format(path=path))
    text = _read_text(path)
    try:
        records = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:  # e.g. a field over csv's size limit: not a price file
        raise InputError(Errors.E077.format(path=path, problem=exc)) from None
    if not records or not any(cell.strip() for cell in records[0]):
        raise InputError(Errors.E078.format(path=path))
    header = [cell.strip() for cell in records[0]]
    start, ticker = 1, None
    # yfinance >= 0.2.51 writes a 3-row header: Price,... / Ticker,SYM,... / Date,,,
    if (
        header
        and header[0].casefold() == "price"
        and len(records) > 2
        and records[1]
        and records[1][0].strip().casefold() == "ticker"
    ):
        ticker = next((c.strip() for c in records[1][1:] if c.strip()), None)
        header = ["Date", *header[1:]]
        start = 3 if records[2] and records[2][0].strip().casefold() == "date" else 2
    names = [_column(h) for h in header]
    if "date" not in names or "close" not in names:
        raise InputError(Errors.E079.format(path=path, found=", ".join(header)))
    unknown = [h for h, n in zip(header, names) if n is None and h.casefold() not in _IGNORED and h]
    if unknown:
        LOGGER.info("%s: ignoring column(s) %s", path, ", ".join(unknown))
    out = PriceFile(ticker=ticker, has_adj_close="adj_close" in names)
    seen: dict[str, int] = {}
    for offset, record in enumerate(records[start:]):
        line = start + offset + 1
        if not any(cell.strip() for cell in record):
            continue
        row, problem = _parse_row(record, names)
        if problem:
            out.problems.append((line, problem))
            continue
        if row["date"] in seen:
            out.problems.append((line, Problems.W026.format(date=row["date"], line=seen[row["date"]])))
            out.rows = [r for r in out.rows if r["date"] != row["date"]]
        seen[row["date"]] = line
        out.rows.append(row)
    _drop_partial_last_row(out, start + len(records[start:]))
    return out


def _read_text(path: Path) -> str:
    """The file's text: UTF-8 (BOM or not), UTF-16 with a BOM, else Windows cp1252, as spreadsheets save it.
    Binary data (a NUL byte) is refused with one line, never a decoding traceback (issue 11)."""
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif b"\x00" not in raw:
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return raw.decode("cp1252", errors="replace")
    raise InputError(Errors.E080.format(path=path))


def _drop_partial_last_row(out: PriceFile, last_line: int) -> None:
    """A file downloaded during a session ends with that session's bar so far: its close is not a
    close. It shows as a volume far below the usual one, so the last row goes when its volume is under
    a quarter of the median of the 20 before it."""
    volumes = [r["volume"] for r in out.rows[-21:-1] if r.get("volume")]
    last = out.rows[-1] if out.rows else None
    if last is None or not last.get("volume") or len(volumes) < 10:
        return
    median = sorted(volumes)[len(volumes) // 2]
    if last["volume"] < 0.25 * median:
        out.rows.pop()
        out.problems.append((last_line, Problems.W027.format(date=last["date"], volume=last["volume"], median=median)))


def _column(header: str) -> str | None:
    return _COLUMNS.get(header.strip().casefold())


def _parse_row(record: list[str], names: list[str | None]) -> tuple[dict, str | None]:
    if len(record) < len(names):
        # A download cut short mid-line: fewer fields than the header. Keep nothing from it.
        return {}, Problems.W020.format(found=len(record), expected=len(names))
    values = {n: record[i].strip() for i, n in enumerate(names) if n}
    match = _DATE.match(values.get("date", ""))
    if not match:
        return {}, Problems.W021.format(value=values.get("date", ""))
    row: dict = {"date": "-".join(match.groups())}
    for name in ("open", "high", "low", "close", "adj_close", "volume"):
        raw = values.get(name, "")
        if raw in ("", "null", "None", "NaN", "nan"):
            row[name] = None
            continue
        try:
            number = float(raw.replace(",", ""))
        except ValueError:
            return {}, Problems.W022.format(name=name, value=raw)
        row[name] = number if math.isfinite(number) else None
    if row["close"] is None:
        return {}, Problems.W023
    if row["close"] <= 0:
        return {}, Problems.W024.format(value=row["close"])
    if row.get("adj_close") is None:
        row["adj_close"] = row["close"]
    elif row["adj_close"] <= 0:
        return {}, Problems.W025.format(value=row["adj_close"])
    return row, None


def ticker_from_path(path: str | Path, known: set[str] | frozenset[str] = frozenset()) -> str:
    """The ticker a file name stands for: the stem (``9988.HK.csv`` -> ``9988.HK``).

    Index files are often saved without Yahoo's caret (``HSI.csv`` for ``^HSI``): when the stem is
    not a ``known`` symbol but ``^`` + stem is, the caret is added.

    >>> ticker_from_path("prices/9988.HK.csv"), ticker_from_path("HSI.csv", {"^HSI"})
    ('9988.HK', '^HSI')
    """
    name = Path(path).name
    stem = name[:-4] if name.lower().endswith(".csv") else Path(path).stem
    stem = stem.strip()
    if stem not in known and f"^{stem}" in known:
        return f"^{stem}"
    return stem


def listing_for(ticker: str, listings: dict[str, tuple[str, str]]) -> tuple[str, str]:
    """``(currency, exchange)`` of ``ticker``: from the catalog's listings when it is there, else the suffix.

    >>> listing_for("0700.HK", {}), listing_for("600519.SS", {}), listing_for("QQQ", {})
    (('HKD', 'HKEX'), ('CNY', 'SSE'), ('USD', 'US'))
    """
    if ticker in listings:
        return listings[ticker]
    upper = ticker.upper()
    if upper.endswith(".HK"):
        return "HKD", "HKEX"
    if upper.endswith(".SS"):
        return "CNY", "SSE"
    if upper.endswith(".SZ"):
        return "CNY", "SZSE"
    return "USD", "US"
