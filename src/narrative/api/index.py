"""The narrative index from the store: the one computation of :mod:`narrative.market.index`, wired to the store.

>>> from narrative import api
>>> api.narrative_index("china-ai", db_path="demo.db", sessions="XHKG")  # doctest: +SKIP
"""

from __future__ import annotations

import os
import re
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
    from ..plugins import load_plugins, pm

    load_plugins()  # plugins may add narrative folders: which are installed is part of the key
    plugins = sorted(f"{name}={getattr(dist, 'version', '')}" for name, dist in _plugin_versions(pm))
    key = [os.environ.get("NARRATIVE_MODELS", ""), os.environ.get("NARRATIVE_HOME", ""), str(Path(__file__)), plugins]
    return cached_by_files("default_narrative", key, _find_default_narrative)


def _plugin_versions(pm: Any) -> list[tuple[str, Any]]:
    return [(pm.get_name(plugin) or "", dist) for plugin, dist in pm.list_plugin_distinfo()] + [
        (name, None) for name, _ in pm.list_name_plugin()
    ]


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
    records = []
    while day <= end:
        row = by_day.get(day.isoformat())
        record: dict[str, Any] = {"date": day.isoformat()}
        for column in DAY_COLUMNS:
            value = None if row is None else row[column]
            if column in _COUNTS:
                value = int(value or 0)
            elif column == "net":
                value = round(float(value or 0.0), 4)
            elif value is not None and column != "first_published":
                value = round(float(value), 4)
            record[column] = value
        records.append(record)
        day += timedelta(days=1)
    return records
