"""Reading backfill archives (CSV or JSONL) into rows, reporting bad rows by line.

Real archives are messy: blank rows, cp1252 files, mojibake, dates such as
" 7:51  PM ET Fri, 17 July 2020", "18-Jul-20" or "9 DAYS AGO". Every row comes
out either as an :class:`ArchiveRow` or as a :class:`RowProblem` naming its line.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

from dateutil import parser as dateparser

from ..clock import to_utc_iso
from ..errors import Errors, InputError, Problems, RowProblemKind
from .normalize import clean_text, clean_title, html_to_text, precision_of, published_problem, repair_text

COLUMN_ALIASES = {
    "title": ("title", "headline", "headlines"),
    "url": ("url", "link", "href"),
    "published": ("published", "date", "time", "datetime", "published_at", "pubdate", "timestamp"),
    "text": ("text", "content", "body", "article"),
    "summary": ("summary", "description", "desc", "abstract"),
    "source": ("source", "publisher", "site"),
}

_TZINFOS = {
    "ET": ZoneInfo("America/New_York"),
    "EST": ZoneInfo("America/New_York"),
    "EDT": ZoneInfo("America/New_York"),
    "CT": ZoneInfo("America/Chicago"),
    "PT": ZoneInfo("America/Los_Angeles"),
    "PST": ZoneInfo("America/Los_Angeles"),
    "PDT": ZoneInfo("America/Los_Angeles"),
    "GMT": UTC,
    "UTC": UTC,
    "Z": UTC,
    "BST": ZoneInfo("Europe/London"),
    "HKT": ZoneInfo("Asia/Hong_Kong"),
    "CST": ZoneInfo("Asia/Shanghai"),
    "JST": ZoneInfo("Asia/Tokyo"),
}
_RELATIVE_RE = re.compile(r"^\s*(\d+|an?|one)\s+(minute|min|hour|hr|day|week|month)s?\s+ago\s*$", re.IGNORECASE)
_RELATIVE_UNITS = {
    "minute": timedelta(minutes=1),
    "min": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "hr": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
    "month": timedelta(days=30),
}
# Parsing twice with different defaults tells which parts the text really gave.
_DEFAULT_A = datetime(2001, 1, 1, 3, 7)
_DEFAULT_B = datetime(2002, 2, 2, 5, 9)


@dataclasses.dataclass
class ArchiveRow:
    line: int
    title: str
    summary: str
    text: str
    url: str | None
    published: str
    published_source: str  # "archive", "date_only" (midnight of the date, UTC or --timezone) or "relative"
    source: str | None
    title_derived: bool = False  # made from the URL or the text: never matched on alone
    source_tz: str | None = None  # the IANA zone the user gave for the archive (--timezone)

    @property
    def precision(self) -> str:
        return precision_of(self.published_source)


@dataclasses.dataclass
class RowProblem:
    """A row that was skipped: its line, what is wrong (a catalogued text, :class:`~narrative.errors.Problems`)
    and its kind, which callers sort by (``problem.kind is RowProblemKind.BLANK``), never by the text."""

    line: int
    problem: str
    kind: RowProblemKind = RowProblemKind.OTHER

    def __str__(self) -> str:
        return f"line {self.line}: {self.problem}"


def read_archive(
    path: str | Path,
    *,
    encoding: str | None = None,
    column_map: dict[str, str] | None = None,
    as_of: datetime | None = None,
    zone: ZoneInfo | None = None,
) -> Iterator[ArchiveRow | RowProblem]:
    """Yield each data row of a ``.csv``, ``.jsonl`` or ``.ndjson`` archive, in file order.

    ``column_map`` maps our field names to the file's (``{"title": "Headlines"}``);
    known aliases (``headline``, ``link``, ``date``, ``description`` ...) are found without it.
    ``as_of`` anchors relative dates ("9 DAYS AGO"). ``zone`` is the source's time zone: a date without a time
    means that date there, a time without an offset that wall-clock time there (default: UTC for both).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(Errors.E023.format(path=path))
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl", ".ndjson"):
        raise InputError(Errors.E020.format(path=path, suffix=suffix, available=".csv, .jsonl or .ndjson"))
    text = _decode(path, encoding)
    records = _csv_records(path, text) if suffix == ".csv" else _jsonl_records(text)
    columns: dict[str, str] | None = None
    for line, record in records:
        if isinstance(record, RowProblem):
            yield record
            continue
        if suffix != ".csv":  # JSON objects need not share keys: resolve each one
            found = _object_columns(line, list(record), column_map or {})
            yield found if isinstance(found, RowProblem) else _row(line, record, found, as_of, zone)
            continue
        if columns is None:
            columns = _header_columns(path, line, list(record), column_map or {})
        yield _row(line, record, columns, as_of, zone)


def _decode(path: Path, encoding: str | None) -> str:
    raw = path.read_bytes()
    if encoding:
        try:
            return raw.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise InputError(Errors.E022.format(path=path, encoding=encoding)) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Spreadsheet exports from Windows: cp1252 is by far the likeliest.
        return raw.decode("cp1252", errors="replace")


def _csv_records(path: Path, text: str) -> Iterator[tuple[int, dict | RowProblem]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise InputError(Errors.E024.format(path=path, problem=exc)) from None
    header = [h.strip() for h in header]
    previous_end = reader.line_num
    while True:
        start = previous_end + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            previous_end = reader.line_num
            yield start, RowProblem(start, Problems.W003.format(problem=exc), RowProblemKind.UNREADABLE)
            continue
        previous_end = reader.line_num
        if not any(cell.strip() for cell in cells):
            yield start, RowProblem(start, Problems.W001, RowProblemKind.BLANK)
            continue
        if len(cells) > len(header):
            problem = Problems.W004.format(found=len(cells), expected=len(header))
            yield start, RowProblem(start, problem, RowProblemKind.COLUMNS)
            continue
        yield start, dict(zip(header, cells + [""] * (len(header) - len(cells))))


def _jsonl_records(text: str) -> Iterator[tuple[int, dict | RowProblem]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            yield number, RowProblem(number, Problems.W002, RowProblemKind.BLANK)
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            problem = Problems.W005.format(problem=exc.msg, column=exc.colno)
            yield number, RowProblem(number, problem, RowProblemKind.UNREADABLE)
            continue
        if not isinstance(value, dict):
            problem = Problems.W006.format(type=type(value).__name__)
            yield number, RowProblem(number, problem, RowProblemKind.UNREADABLE)
            continue
        yield number, {str(k): "" if v is None else str(v) for k, v in value.items()}


def _resolve_columns(found: list[str], column_map: dict[str, str]) -> tuple[dict[str, str], str | None, list[str]]:
    """The file's column for each field, the field whose --map names no column (or None), and the required
    fields no column gives."""
    lowered = {name.strip().lower(): name for name in found}
    columns: dict[str, str] = {}
    for field, aliases in COLUMN_ALIASES.items():
        if field in column_map:
            if column_map[field] not in found:
                return columns, field, []
            columns[field] = column_map[field]
            continue
        for alias in aliases:
            if alias in lowered:
                columns[field] = lowered[alias]
                break
    missing = []
    if "published" not in columns:
        missing.append("published")
    if "title" not in columns and "text" not in columns and "summary" not in columns:
        missing.append("title (or text/summary)")
    return columns, None, missing


def _header_columns(path: Path, line: int, found: list[str], column_map: dict[str, str]) -> dict[str, str]:
    """A CSV header's columns; a --map naming no column or a missing required column stops the import."""
    columns, unmapped, missing = _resolve_columns(found, column_map)
    if unmapped:
        column = column_map[unmapped]
        raise InputError(Errors.E025.format(path=path, field=unmapped, column=column, found=found))
    if missing:
        raise InputError(Errors.E021.format(path=path, line=line, missing=", ".join(missing), found=found))
    return columns


def _object_columns(line: int, found: list[str], column_map: dict[str, str]) -> dict[str, str] | RowProblem:
    """One JSON object's columns (objects need not share keys): a problem of that row only when they fall short."""
    columns, unmapped, missing = _resolve_columns(found, column_map)
    if unmapped:
        problem = Problems.W017.format(field=unmapped, column=column_map[unmapped], found=found)
        return RowProblem(line, problem, RowProblemKind.COLUMNS)
    if missing:
        return RowProblem(line, Problems.W016.format(missing=", ".join(missing), found=found), RowProblemKind.COLUMNS)
    return columns


def _row(
    line: int, record: dict, columns: dict[str, str], as_of: datetime | None, zone: ZoneInfo | None = None
) -> ArchiveRow | RowProblem:
    def get(field: str) -> str:
        return repair_text(record.get(columns.get(field, ""), "") or "").strip()

    title, summary, text = (
        _words_or_empty(clean_title(get("title"))),
        _words_or_empty(html_to_text(get("summary"))),
        _words_or_empty(html_to_text(get("text"))),
    )
    url = get("url") or None
    derived = not title
    if derived:
        # A URL slug is usually the headline; a text's first line is often a byline or boilerplate.
        title = title_from_url(url) if url else ""
        body = text or summary
        if not title and body:
            first = clean_text(body).split("\n", 1)[0]
            title = first if len(first) <= 160 else first[:160].rsplit(" ", 1)[0] + "…"
        if not title:
            return RowProblem(line, Problems.W007, RowProblemKind.CONTENT)
    raw_date = get("published")
    if not raw_date:
        return RowProblem(line, Problems.W008, RowProblemKind.DATE)
    published = parse_archive_date(raw_date, as_of=as_of, zone=zone)
    if isinstance(published, str):
        return RowProblem(line, published, RowProblemKind.DATE)
    moment, source = published
    return ArchiveRow(
        line=line,
        title=title,
        summary=summary or text[:500],
        text=text or summary,
        url=url,
        published=to_utc_iso(moment),
        published_source=source,
        source=get("source") or None,
        title_derived=derived,
        source_tz=zone.key if zone else None,
    )


def _words_or_empty(value: str) -> str:
    """Placeholders such as "0", "-" or "N/A" are no text at all."""
    return value if sum(ch.isalpha() for ch in value) >= 3 else ""


def title_from_url(url: str) -> str:
    """A readable title from a URL's last path segment, as archives of links often need.

    >>> title_from_url("https://www.nasdaq.com/articles/apple-stock%3A-get-ready-for-2024")
    'apple stock: get ready for 2024'
    """
    segment = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    segment = re.sub(r"\.(html?|php|aspx?)$", "", segment)
    words = re.sub(r"[-_+]+", " ", segment).strip()
    return words if sum(ch.isalpha() for ch in words) >= 8 and " " in words else ""


def parse_archive_date(
    value: str, *, as_of: datetime | None = None, zone: ZoneInfo | None = None
) -> tuple[datetime, str] | str:
    """Parse a messy date; return ``(datetime, how)`` or a one-line problem.

    Naive times are taken in ``zone`` (default UTC); a date without a time is midnight there, flagged
    ``date_only`` (the calendar then maps it as "some time that day", never as midnight).

    >>> parse_archive_date(" 7:51  PM ET Fri, 17 July 2020")[0].isoformat()
    '2020-07-17T19:51:00-04:00'
    """
    relative = _RELATIVE_RE.match(value)
    if relative:
        if as_of is None:
            return Problems.W009.format(value=value.strip())
        unit = _RELATIVE_UNITS[relative.group(2).lower()]
        anchor = as_of if as_of.tzinfo else as_of.replace(tzinfo=zone or UTC)
        try:
            count = 1 if relative.group(1).lower() in ("a", "an", "one") else int(relative.group(1))
            moment = anchor - count * unit
        except (OverflowError, ValueError):
            return Problems.W010.format(value=value.strip())
        if problem := published_problem(moment):
            return Problems.W011.format(problem=problem)
        return moment, "relative"
    cleaned = re.sub(r"[—–]", " ", value).strip()
    try:
        first = dateparser.parse(cleaned, default=_DEFAULT_A, tzinfos=_TZINFOS)
        second = dateparser.parse(cleaned, default=_DEFAULT_B, tzinfos=_TZINFOS)
    except (ValueError, OverflowError, TypeError, dateparser.ParserError):
        return Problems.W012.format(value=value.strip())
    if first.year != second.year or first.month != second.month or first.day != second.day:
        return Problems.W013.format(value=value.strip())
    if first.tzinfo is None:
        first = first.replace(tzinfo=zone or UTC)
    if problem := published_problem(first):  # issue 11: 9999-12-31 is a recorded row problem, never a crash
        return Problems.W014.format(problem=problem, value=value.strip())
    if (first.hour, first.minute) != (second.hour, second.minute):
        return first.replace(hour=0, minute=0, second=0), "date_only"
    return first, "archive"
