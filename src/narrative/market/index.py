"""The one narrative index (issue 8): scored articles -> one row per trading session, or per UTC day.

An article counts toward the index when ``relevance >= RELEVANT``; it is "positive" when ``stance > POSITIVE``.
These two constants are the only definitions in the project: the CLI (``narrative index``), the API
(:func:`narrative.api.index.narrative_index`) and the report all call :func:`narrative_index`.

Rows are either

* the sessions of an exchange (``calendar=`` a :class:`~narrative.market.calendar.SessionCalendar`): each article
  is credited to the session it can first affect, with the point-in-time rule of :mod:`.calendar` (date-only and
  relative items go to the first session opening after their date has ended everywhere). Joining this index to
  that exchange's returns by session has no look-ahead; or
* UTC calendar days (``calendar=None``): exact and fetched items by their UTC date, date-only and relative items
  by their stated date. This grouping is **not point-in-time for any exchange** (a UTC day straddles the Hong
  Kong and New York closes); it is for reading, not for testing against returns.

Every session (or day) from ``start`` to ``end`` appears, quiet ones included. Columns:

* ``attention``: relevant articles; ``stories``: distinct ``story_id`` among them (copies and rewrites of one story
  count once; ``article_id`` when no story was assigned); ``mentions``: their appearances across sources;
* ``stance``: relevance-weighted mean stance (NaN when quiet); ``stance_stories``: the same with each story once
  (its articles' mean stance, at the weight of its most relevant article); ``share_positive``: the share of
  relevant articles with ``stance > POSITIVE`` (NaN when quiet);
* ``net``: sum of relevance x stance, 0.0 when quiet -- the signal tested against returns, so a quiet session is
  neutral rather than missing;
* ``n_exact``, ``n_date_only``, ``n_fetched``, ``n_relative``: the relevant articles by timestamp precision;
* ``first_published``: the earliest stored publication time (UTC) of an article credited to the row (NaT when
  quiet). A date-only item's stored time is the start of its date: it may precede the session it is credited to.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..errors import Errors, InputError
from .calendar import IMPRECISE, SessionCalendar

RELEVANT = 0.5  # an article counts toward the index when relevance >= RELEVANT (the one definition)
POSITIVE = 0.0  # an article is "positive" when stance > POSITIVE (the one definition)
PRECISIONS = ("exact", "date_only", "fetched", "relative")
COLUMNS = [
    "attention",
    "stories",
    "mentions",
    "stance",
    "stance_stories",
    "share_positive",
    "net",
    *(f"n_{p}" for p in PRECISIONS),
    "first_published",
]


def narrative_index(
    articles: pd.DataFrame,
    *,
    calendar: SessionCalendar | None = None,
    start=None,
    end=None,
    precision: Iterable[str] | None = None,
    intraday: str = "same",
) -> pd.DataFrame:
    """Aggregate the articles frame (``published``, ``relevance``, ``stance``; optionally ``precision``,
    ``source_tz``, ``story_id``, ``sources``, ``article_id``) onto sessions of ``calendar`` or UTC days.

    ``precision`` keeps only items of those precisions (``["exact"]`` leaves out date-only, fetched-time and
    relative items); ``intraday`` is :meth:`SessionCalendar.session_for`'s rule for exact items.

    >>> from narrative.market.calendar import calendar_from_dates
    >>> cal = calendar_from_dates(["2024-03-08", "2024-03-11"], "US")
    >>> a = pd.DataFrame({"published": ["2024-03-08T22:00Z"], "relevance": [0.9], "stance": [0.5]})
    >>> narrative_index(a, calendar=cal)["attention"].tolist()
    [0, 1]
    """
    frame = _relevant(articles, precision)
    if calendar is not None:
        keys = (
            calendar.session_for(
                frame["published"].tolist(),
                intraday=intraday,
                precision=frame["precision"].tolist(),
                source_tz=frame["source_tz"].tolist(),
            )
            if len(frame)
            else pd.DatetimeIndex([])
        )
        rows = calendar.sessions
        name = "session"
    else:
        keys = pd.DatetimeIndex(
            [_stated_day(*r) for r in zip(frame["published"], frame["precision"], frame["source_tz"])]
        )
        rows = _days(keys, start, end)
        name = "date"
    if start is not None:
        rows = rows[rows >= pd.Timestamp(start)]
    if end is not None:
        rows = rows[rows <= pd.Timestamp(end)]
    frame["key"] = keys
    frame = frame.dropna(subset=["key"])
    frame = frame[frame["key"].isin(rows)]
    out = _aggregate(frame).reindex(rows)
    for column in ("attention", "stories", "mentions", *(f"n_{p}" for p in PRECISIONS)):
        out[column] = out[column].fillna(0).astype(int)
    out["net"] = out["net"].fillna(0.0)
    out.index.name = name
    return out[COLUMNS]


def _relevant(articles: pd.DataFrame, precision: Iterable[str] | None) -> pd.DataFrame:
    frame = articles.loc[articles["relevance"] >= RELEVANT].copy()
    if "precision" not in frame:
        frame["precision"] = "exact"
    frame["precision"] = frame["precision"].fillna("exact")
    if "source_tz" not in frame:
        frame["source_tz"] = None
    frame["source_tz"] = frame["source_tz"].astype(object).where(frame["source_tz"].notna(), None)
    if "article_id" not in frame:
        frame["article_id"] = np.arange(len(frame))
    if "story_id" not in frame:
        frame["story_id"] = frame["article_id"]
    frame["story_id"] = frame["story_id"].fillna(frame["article_id"])
    if "sources" not in frame:
        frame["sources"] = 1
    frame["sources"] = frame["sources"].fillna(1)
    if precision is not None:
        wanted = [precision] if isinstance(precision, str) else list(precision)
        unknown = sorted(set(wanted) - set(PRECISIONS))
        if unknown:
            raise InputError(Errors.E086.format(unknown=", ".join(map(repr, unknown)), valid=", ".join(PRECISIONS)))
        frame = frame[frame["precision"].isin(wanted)]
    frame["published_at"] = pd.to_datetime(frame["published"], utc=True, format="ISO8601")
    return frame


def _aggregate(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.assign(
        weighted=frame["relevance"] * frame["stance"], positive=(frame["stance"] > POSITIVE).astype(float)
    )
    grouped = frame.groupby("key")
    out = pd.DataFrame(
        {
            "attention": grouped.size(),
            "stories": grouped["story_id"].nunique(),
            "mentions": grouped["sources"].sum(),
            "stance": grouped["weighted"].sum() / grouped["relevance"].sum(),
            "share_positive": grouped["positive"].mean(),
            "net": grouped["weighted"].sum(),
            "first_published": grouped["published_at"].min(),
        },
        columns=["attention", "stories", "mentions", "stance", "share_positive", "net", "first_published"],
    )
    # A story counts once: its articles' mean stance, at the weight of its most relevant article.
    stories = frame.groupby(["key", "story_id"]).agg(weight=("relevance", "max"), stance=("stance", "mean"))
    stories["weighted"] = stories["weight"] * stories["stance"]
    per_key = stories.groupby(level="key")
    out["stance_stories"] = per_key["weighted"].sum() / per_key["weight"].sum()
    counts = frame.groupby(["key", "precision"]).size().unstack(fill_value=0)
    for kind in PRECISIONS:
        out[f"n_{kind}"] = counts.get(kind, 0)
    if out.empty:
        out["first_published"] = pd.Series(dtype="datetime64[ns, UTC]")
    return out


def _stated_day(published, precision: str, zone: str | None) -> pd.Timestamp:
    """The UTC date of an exact or fetched time; the date as stated (in its source's zone) otherwise."""
    moment = pd.Timestamp(published)
    moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment
    moment = moment.tz_convert(zone if precision in IMPRECISE and zone else "UTC")
    return pd.Timestamp(moment.date())


def _days(keys: pd.DatetimeIndex, start, end) -> pd.DatetimeIndex:
    first = pd.Timestamp(start) if start is not None else (keys.min() if len(keys) else None)
    last = pd.Timestamp(end) if end is not None else (keys.max() if len(keys) else None)
    if first is None or last is None or pd.isna(first) or pd.isna(last):
        return pd.DatetimeIndex([])
    return pd.date_range(first.normalize(), last.normalize(), freq="D")
