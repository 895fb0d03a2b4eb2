"""The narrative index from the store: the one computation of :mod:`narrative.market.index`, wired to the store.

>>> from narrative import api
>>> api.narrative_index("china-ai", db_path="demo.db", sessions="XHKG")  # doctest: +SKIP
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..clock import day_bound
from ..config import Settings
from ..store import reader
from ..store.aggregates import NARRATIVE_DAY_COLUMNS, dirty_days, narrative_day_rows

if TYPE_CHECKING:
    import pandas as pd

# A date-only item is credited to a session up to two days after its date (weekends and holidays roll further):
# read that much before --from so the first sessions of the window are complete.
LOOKBACK_DAYS = 10


def narrative_index(
    narrative: str | None = None,
    *,
    db_path: str | None = None,
    since: str | None = None,
    until: str | None = None,
    sessions: str | None = None,
    precision: Iterable[str] | str | None = None,
    intraday: str = "same",
) -> pd.DataFrame:
    """The narrative index of ``narrative`` (default: the ``narrative`` setting), one row per session of the
    exchange ``sessions`` (``XNYS``, ``XHKG``, ``US``, ``HKEX`` ...) with no look-ahead, or per UTC day when
    ``sessions`` is None (not point-in-time for any exchange). ``precision`` keeps only those timestamp
    precisions (``"exact"``; ``"all"`` or None keeps every item). Columns: :data:`narrative.market.index.COLUMNS`;
    ``frame.attrs["grouping"]`` says which rows these are.

    >>> narrative_index(db_path="demo.db", sessions="XNYS", precision="exact")  # doctest: +SKIP
    """
    # pandas and the market stack load here, not with the module: `narrative index` prints stored days without them
    import pandas as pd

    from ..catalog import find_narrative, load_narratives, resolve_narrative_id
    from ..market.calendar import calendar_for, hours_for
    from ..market.index import COLUMNS, RELEVANT
    from ..market.index import narrative_index as compute_index
    from ..store.aggregates import has_scores, index_inputs
    from ..store.scores import scored_articles
    from .aggregates import index_from_days, stored_precision

    settings = Settings.load(db=db_path)
    narrative_id = resolve_narrative_id(narrative, configured=settings.narrative).replace("_", "-")
    hours = hours_for(sessions) if sessions is not None else None  # unknown names fail before any reading
    low, high = day_bound(since), day_bound(until, end=True)
    read_from = None if low is None else (datetime.fromisoformat(low) - timedelta(days=LOOKBACK_DAYS)).isoformat()
    start = None if low is None else pd.Timestamp(low[:10])
    end = None if until is None else pd.Timestamp(until.strip()[:10])
    last_day = None if until is None else until.strip()[:10]
    kept = stored_precision(precision)
    if hours is not None and intraday == "same" and kept is not None and (last_day is None or _DAY.match(last_day)):
        # the stored sessions (m013) when they answer: no articles read, no exchange_calendars
        found = _stored_sessions(settings, narrative_id, hours.code, None if low is None else low[:10], last_day, kept)
        if found is not None:
            return _session_frame(*found)
    with reader(settings) as db:
        stored = stored_precision(precision) if hours is None else None
        if stored is not None:  # UTC days from the per-day aggregates (issue 12): O(days), not O(articles)
            frame = index_from_days(db, narrative_id, stored, start=start, end=end)
            if not (frame["attention"] > 0).any() and not has_scores(db, narrative_id):
                find_narrative(load_narratives(), narrative_id)  # nothing scored: say so when the name is unknown
            frame.attrs["grouping"] = "UTC days (not point-in-time for any exchange)"
            return frame
        # Only relevant articles count (market.index.RELEVANT): read those, narrowly; every scored article only when
        # none is, so that an all-quiet window keeps its calendar span.
        articles = pd.DataFrame(index_inputs(db, narrative_id, since=read_from, until=high, min_relevance=RELEVANT))
        if articles.empty:
            articles = pd.DataFrame(scored_articles(db, narrative_id, since=read_from, until=high))
    if articles.empty:
        find_narrative(load_narratives(), narrative_id)  # nothing scored: say so when the name is unknown
        articles = pd.DataFrame(columns=["article_id", "published", "precision", "source_tz", "relevance", "stance"])
    calendar = None
    if hours is not None:
        first = start if start is not None else _edge(articles, "min")
        last = end if end is not None else (_edge(articles, "max") or first)
        if first is None:
            frame = pd.DataFrame(columns=COLUMNS)
            frame.index.name = "session"
            frame.attrs["grouping"] = f"{hours.code} sessions"
            return frame
        calendar = calendar_for(hours.code, first, last + pd.Timedelta(days=LOOKBACK_DAYS))
    if precision is not None and "all" in ([precision] if isinstance(precision, str) else list(precision)):
        precision = None
    frame = compute_index(articles, calendar=calendar, start=start, end=end, precision=precision, intraday=intraday)
    if calendar is not None:  # without --from/--to: from the first to the last session with news
        busy = frame.index[frame["attention"] > 0]
        if len(busy):
            frame = frame.loc[busy[0] if start is None else None : busy[-1] if end is None else None]
        elif start is None or end is None:
            frame = frame.iloc[:0]
    frame.attrs["grouping"] = (
        f"{hours.code} sessions ({calendar.source})"
        if calendar is not None and hours is not None
        else "UTC days (not point-in-time for any exchange)"
    )
    return frame


def _session_frame(keys: list[str], stored: dict[str, dict[str, Any]], grouping: str) -> pd.DataFrame:
    """The frame :func:`narrative.market.index.narrative_index` gives for sessions ``keys`` from their stored rows
    (quiet sessions filled as it fills them)."""
    import pandas as pd

    from ..market.index import COLUMNS, PRECISIONS

    frame = pd.DataFrame([stored.get(key, {}) for key in keys], columns=COLUMNS)
    # as market.calendar.SessionCalendar builds its sessions (nanoseconds, normalized: the same inferred freq)
    frame.index = pd.DatetimeIndex(pd.to_datetime(keys)).as_unit("ns").normalize().rename("session")
    for column in ("attention", "stories", "mentions", *(f"n_{p}" for p in PRECISIONS)):
        frame[column] = frame[column].fillna(0).astype(int)
    for column in ("stance", "stance_stories", "share_positive", "net"):
        frame[column] = frame[column].astype(float)
    frame["net"] = frame["net"].fillna(0.0)
    frame["first_published"] = pd.to_datetime(frame["first_published"], utc=True, format="ISO8601")
    if frame["first_published"].isna().all():  # no news: the computed frame's empty column is nanoseconds
        frame["first_published"] = frame["first_published"].astype("datetime64[ns, UTC]")
    frame.attrs["grouping"] = grouping
    return frame


def _edge(articles: pd.DataFrame, pick: str) -> pd.Timestamp | None:
    """The day of the first (``pick`` "min") or last ("max") article."""
    import pandas as pd

    if articles.empty:
        return None
    stamps = pd.to_datetime(articles["published"], utc=True, format="ISO8601")
    # the Series' own min/max: the builtins iterated the timestamps one by one (0.3 s for 7k articles)
    return pd.Timestamp(getattr(stamps, pick)().date())


def default_narrative_id() -> str:
    """The narrative file that says ``default: true`` (:func:`narrative.narratives.resolve_narrative_id`), kept
    while the narrative folders and files are unchanged (issue 12: loading them all costs more than the query).

    >>> default_narrative_id()  # doctest: +SKIP
    'china_ai'
    """
    from ..file_cache import cached_by_files

    # Plugins may add narrative folders, so which packages are installed is part of the key: the distributions
    # (name and version) in the import path's folders, listed, not loaded: scanning the entry points costs a query
    # command more than the rest of its start-up (issue 12).
    installed = [[folder, _distributions(folder)] for folder in sys.path if folder]
    key = [os.environ.get("NARRATIVE_MODELS", ""), os.environ.get("NARRATIVE_HOME", ""), str(Path(__file__)), installed]
    return cached_by_files("default_narrative", key, _find_default_narrative)


def _distributions(folder: str) -> list[str]:
    try:
        return sorted(name for name in os.listdir(folder) if name.endswith((".dist-info", ".egg-info", ".egg-link")))
    except OSError:  # not a folder (a zip), or gone
        return []


def _find_default_narrative() -> tuple[str, list[Path]]:
    from ..catalog import resolve_narrative_id
    from ..plugins import home_dir, narrative_dirs

    folders = narrative_dirs()
    found = resolve_narrative_id()
    # The user's folder even while it does not exist: its creation is a change.
    files = [
        home_dir() / "narratives",
        *folders,
        *(path for folder in folders for path in sorted(folder.glob("*.yaml"))),
    ]
    return found, files


DAY_COLUMNS = NARRATIVE_DAY_COLUMNS
_COUNTS = ("attention", "stories", "mentions", "n_exact", "n_date_only", "n_fetched", "n_relative")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def index_day_records(
    narrative: str | None = None,
    *,
    db_path: str | None = None,
    since: str | None = None,
    until: str | None = None,
    precision: str = "all",
) -> list[dict[str, Any]] | None:
    """The UTC-day index as ``narrative index`` prints it (one dict per day, ``date`` first, floats to 4 places),
    read from the stored days without pandas (issue 12: the command starts in a fraction of the time). None when
    the stored days cannot answer alone (a day of the window not yet refreshed, nothing stored, a precision that
    is not stored): :func:`narrative_index` then computes it. Rows equal ``narrative_index(...)``'s, day by day.

    >>> index_day_records("china-ai", db_path="demo.db", since="2025-03-01")  # doctest: +SKIP
    """
    if precision not in ("all", "exact"):
        return None
    settings = Settings.load(db=db_path)
    low = day_bound(since)
    day_bound(until, end=True)  # the same check (and error) as narrative_index
    last = None if until is None else until.strip()[:10]
    if last is not None and not _DAY.match(last):
        return None
    narrative_id = (narrative or settings.narrative or default_narrative_id()).replace("_", "-")
    first = None if low is None else low[:10]
    with reader(settings) as db:
        stale = dirty_days(db, "index", narrative_id)
        if any((first is None or d >= first) and (last is None or d <= last) for d in stale):
            return None
        stored = narrative_day_rows(db, narrative_id, precision, first_day=first, last_day=last)
    if not stored:
        return None
    by_day = {row["day"]: row for row in stored}
    day, end = date.fromisoformat(first or stored[0]["day"]), date.fromisoformat(last or stored[-1]["day"])
    keys = []
    while day <= end:
        keys.append(day.isoformat())
        day += timedelta(days=1)
    return _records("date", keys, by_day)


def _records(key: str, keys: list[str], stored: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One printed row per day or session of ``keys`` (quiet ones filled), as ``narrative index`` prints the
    computed frame: counts as ints, floats to 4 places, None where the frame has NaN."""
    quiet = {c: (0 if c in _COUNTS else 0.0 if c == "net" else None) for c in DAY_COLUMNS}
    counts = [c for c in DAY_COLUMNS if c in _COUNTS]
    floats = [c for c in DAY_COLUMNS if c not in _COUNTS and c != "first_published"]  # net: NOT NULL when stored
    records = []
    for name in keys:
        row = stored.get(name)
        if row is None:
            records.append({key: name, **quiet})
            continue
        record: dict[str, Any] = {key: name}
        for column in DAY_COLUMNS:
            record[column] = row[column]
        for column in counts:
            record[column] = int(record[column] or 0)
        for column in floats:
            if record[column] is not None:
                record[column] = round(float(record[column]), 4)
        records.append(record)
    return records


def index_session_records(
    narrative: str | None = None,
    *,
    sessions: str,
    db_path: str | None = None,
    since: str | None = None,
    until: str | None = None,
    precision: str = "all",
) -> tuple[list[dict[str, Any]], str] | None:
    """The index per session of the exchange ``sessions`` as ``narrative index --sessions`` prints it (one dict per
    session, ``session`` first) and its grouping line, read from the stored sessions (``m013``) without pandas or
    exchange_calendars. None when they cannot answer alone (an index day not yet refreshed, sessions never
    computed for this narrative and exchange, a window past the stored calendar, a precision not stored):
    :func:`narrative_index` then computes it. Rows equal ``narrative_index(...)``'s, session by session.

    >>> index_session_records("china-ai", sessions="XNYS", db_path="demo.db", since="2025-03-01")  # doctest: +SKIP
    """
    from ..market.exchanges import hours_for

    if precision not in ("all", "exact"):
        return None
    code = hours_for(sessions).code  # unknown names fail as narrative_index fails
    settings = Settings.load(db=db_path)
    low = day_bound(since)
    day_bound(until, end=True)
    last = None if until is None else until.strip()[:10]
    if last is not None and not _DAY.match(last):
        return None
    narrative_id = (narrative or settings.narrative or default_narrative_id()).replace("_", "-")
    found = _stored_sessions(settings, narrative_id, code, None if low is None else low[:10], last, precision)
    if found is None:
        return None
    keys, stored, grouping = found
    return _records("session", keys, stored), grouping


def _stored_sessions(
    settings: Settings, narrative_id: str, code: str, first: str | None, last: str | None, precision: str
) -> tuple[list[str], dict[str, dict[str, Any]], str] | None:
    """The sessions to show (``first`` to ``last`` inclusive, or from the first to the last session with news
    where a bound is None, as the computed index shows them), the stored rows by session, and the grouping line;
    None when the stored sessions cannot answer."""
    from ..store.session_index import calendar_span, has_session_rows, is_built, session_rows, sessions_between

    with reader(settings) as db:
        if "narrative_sessions" not in db.table_names() or dirty_days(db, "index", narrative_id):
            return None
        span = calendar_span(db, code)
        if (
            span is None
            or not is_built(db, narrative_id, code)
            or not has_session_rows(db, narrative_id, code, precision)
        ):
            return None
        if (first is not None and first < span["first_session"]) or (last is not None and last > span["last_session"]):
            return None
        stored = session_rows(db, narrative_id, code, precision, first=first, last=last)
        lower = first if first is not None else (stored[0]["session"] if stored else None)
        upper = last if last is not None else (stored[-1]["session"] if stored else None)
        keys = [] if lower is None or upper is None else sessions_between(db, code, lower, upper)
    return keys, {row["session"]: row for row in stored}, f"{code} sessions ({span['source']})"
