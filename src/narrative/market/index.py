"""The session-aligned narrative index: article scores -> one row per trading session.

An article counts when ``relevance >= 0.5``. It is credited to the session it can first affect
(:meth:`SessionCalendar.session_for`, no look-ahead). Per session:

* ``stance``: relevance-weighted mean stance of the relevant articles (NaN on a session without any);
* ``attention``: how many relevant articles;
* ``share_positive``: the share of them with stance > 0;
* ``net``: sum of relevance x stance (0 on a quiet session), the signal used for lead-lag tests, so that
  a quiet day is neutral rather than missing.
"""

from __future__ import annotations

import pandas as pd

from .calendar import SessionCalendar

RELEVANCE_THRESHOLD = 0.5
COLUMNS = ["stance", "attention", "share_positive", "net"]


def session_index(scores: pd.DataFrame, calendar: SessionCalendar, *, start: str | None = None,
                  end: str | None = None, intraday: str = "same", threshold: float = RELEVANCE_THRESHOLD) -> pd.DataFrame:
    """Aggregate ``scores`` (``published``, ``relevance``, ``stance``) onto ``calendar``'s sessions.

    Every session from ``start`` to ``end`` appears, quiet ones with attention 0.

    >>> from narrative.market.calendar import calendar_from_dates
    >>> cal = calendar_from_dates(["2024-03-08", "2024-03-11"], "US")
    >>> s = pd.DataFrame({"published": ["2024-03-08T22:00Z"], "relevance": [0.9], "stance": [0.5]})
    >>> session_index(s, cal)["attention"].tolist()
    [0, 1]
    """
    sessions = calendar.sessions
    if start:
        sessions = sessions[sessions >= pd.Timestamp(start)]
    if end:
        sessions = sessions[sessions <= pd.Timestamp(end)]
    frame = scores.loc[scores["relevance"] >= threshold, ["published", "relevance", "stance"]].copy()
    frame["session"] = calendar.session_for(frame["published"].tolist(), intraday=intraday) if len(frame) else []
    frame = frame.dropna(subset=["session"])
    frame["weighted"] = frame["relevance"] * frame["stance"]
    frame["positive"] = (frame["stance"] > 0).astype(float)
    grouped = frame.groupby("session")
    out = pd.DataFrame({
        "stance": grouped["weighted"].sum() / grouped["relevance"].sum(),
        "attention": grouped.size(),
        "share_positive": grouped["positive"].mean(),
        "net": grouped["weighted"].sum(),
    })
    out = out.reindex(sessions)
    out["attention"] = out["attention"].fillna(0).astype(int)
    out["net"] = out["net"].fillna(0.0)
    out.index.name = "session"
    return out[COLUMNS]
