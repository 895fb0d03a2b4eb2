"""What the news said, from frames: top stories per period and around a shift (both sides), sub-theme series and
per-entity sentiment series. Pure functions on the frames :mod:`narrative.store.reads` returns.

An article is relevant with the index's one definition (``relevance >= market.index.RELEVANT``). A story is the
articles sharing a ``story_id`` (an article alone when none was assigned); it is ranked by its weight, the sum of
relevance x |stance| of its articles, so a widely copied strong story ranks above a lone weak one. A sentence's
strength is its relevance x stance: the strongest positive and the strongest negative sentence are both shown, so
a period that the index calls positive still shows the best case against.
"""

from __future__ import annotations

import pandas as pd

from .index import RELEVANT

STORY_COLUMNS = ["period", "story_id", "title", "published", "url", "articles", "stance", "weight"]
SIDE_COLUMNS = ["period", "side", "stance", "sentence", "title", "published", "url"]


def period_of(moments: pd.Series, freq: str) -> pd.Series:
    """``YYYY-MM`` (``freq="M"``) or ``YYYY-Qn`` (``"Q"``) of UTC ISO times.

    >>> period_of(pd.Series(["2024-02-29T23:00:00+00:00"]), "Q").tolist()
    ['2024Q1']
    """
    stamps = pd.to_datetime(moments, utc=True, format="ISO8601").dt.tz_localize(None)
    return stamps.dt.to_period(freq).astype(str)


def period_freq(start, end) -> str:
    """Months for windows up to two years, quarters beyond (so a long report stays readable)."""
    return "M" if (pd.Timestamp(end) - pd.Timestamp(start)).days <= 731 else "Q"


def top_stories(articles: pd.DataFrame, periods: pd.Series, *, per_period: int = 3) -> pd.DataFrame:
    """The ``per_period`` heaviest stories of each period among the relevant ``articles`` (``periods`` aligned
    with them): ``STORY_COLUMNS``; ``stance`` is the story's mean article stance."""
    relevant = articles.assign(period=periods.to_numpy())[articles["relevance"] >= RELEVANT]
    if relevant.empty:
        return pd.DataFrame(columns=STORY_COLUMNS)
    relevant = relevant.assign(weight=relevant["relevance"] * relevant["stance"].abs())
    lead = relevant.sort_values("relevance", ascending=False).drop_duplicates(["period", "story_id"])
    stories = relevant.groupby(["period", "story_id"]).agg(
        articles=("article_id", "size"),
        stance=("stance", "mean"),
        weight=("weight", "sum"),
        published=("published", "min"),
    )
    stories = stories.join(lead.set_index(["period", "story_id"])[["title", "url"]]).reset_index()
    stories = stories.sort_values(["period", "weight"], ascending=[True, False]).groupby("period").head(per_period)
    return stories[STORY_COLUMNS].reset_index(drop=True)


def both_sides(sentences: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Per group (a period, or a shift's session): the strongest positive and strongest negative sentence
    (``SIDE_COLUMNS``; a side is missing when no sentence leans that way)."""
    frame = sentences.assign(period=groups.to_numpy(), strength=sentences["relevance"] * sentences["stance"])
    frame = frame[frame["text"].notna() & (frame["strength"] != 0)]
    rows = []
    for period, group in frame.groupby("period", sort=True):
        for side, pick in (("positive", group["strength"].idxmax()), ("negative", group["strength"].idxmin())):
            row = group.loc[pick]
            if (row["strength"] > 0) == (side == "positive"):
                rows.append(
                    {
                        "period": period,
                        "side": side,
                        "stance": float(row["stance"]),
                        "sentence": row["text"],
                        "title": row["title"],
                        "published": row["published"],
                        "url": row["url"],
                    }
                )
    return pd.DataFrame(rows, columns=SIDE_COLUMNS)


def theme_series(sentences: pd.DataFrame, articles: pd.DataFrame, periods: pd.Series) -> pd.DataFrame:
    """Sentences naming each sub-theme, per period, in the relevant articles: one column per theme id.

    ``periods`` is aligned with ``articles``; a sentence takes its article's period.
    """
    relevant = articles.loc[articles["relevance"] >= RELEVANT, "article_id"]
    period_by_article = pd.Series(periods.to_numpy(), index=articles["article_id"].to_numpy())
    frame = sentences[sentences["article_id"].isin(relevant)].explode("themes").dropna(subset=["themes"])
    if frame.empty:
        return pd.DataFrame()
    frame = frame.assign(period=frame["article_id"].map(period_by_article))
    table = frame.groupby(["period", "themes"]).size().unstack(fill_value=0)
    table.columns.name = None
    return table.sort_index()


def entity_series(sentiment: pd.DataFrame, freq: str, *, top: int = 5) -> pd.DataFrame:
    """Mean sentiment toward the ``top`` most-mentioned entities, per period: columns ``period, entity,
    sentiment, mentions``."""
    columns = ["period", "entity", "sentiment", "mentions"]
    if sentiment.empty:
        return pd.DataFrame(columns=columns)
    frame = sentiment.assign(period=period_of(sentiment["published"], freq))
    keep = frame["entity"].value_counts().head(top).index
    frame = frame[frame["entity"].isin(keep)]
    out = frame.groupby(["period", "entity"]).agg(sentiment=("sentiment", "mean"), mentions=("sentiment", "size"))
    return out.reset_index()[columns]
