"""``narrative sentiment NAME``: the sentiment toward one entity, over a window or day by day (issue 10 item 4)."""

from __future__ import annotations

import click

from . import cli
from .options import DB, FORMAT, SINCE, UNTIL
from .output import render

SENTIMENT_COLUMNS = [
    "entity",
    "mentions",
    "articles",
    "positive",
    "neutral",
    "negative",
    "polarity",
    "weighted_polarity",
    "lexicon_mentions",
]


@cli.command(name="sentiment")
@click.argument("name")
@click.option("--daily", is_flag=True, help="One row per day (UTC) instead of one over the window.")
@SINCE
@UNTIL
@DB
@FORMAT
def sentiment_cli(name, daily, since, until, db_path, fmt) -> None:
    """Sentiment toward NAME (any alias or ticker of a catalog entity, or an unlinked name) in every sentence
    that mentions it: mentions per label, mean polarity (positive - negative, -1..1) and, where entity relevance
    is stored, the polarity weighted by it. English mentions are scored by the entity model; Chinese ones by the
    sentence lexicon (counted in lexicon_mentions).

    Example: narrative sentiment Alibaba --daily --since 2025-03-01 --format csv
    """
    rows = None
    if daily:  # the stored days when they answer (issue 12), else every scored mention of the window
        from ..api.sentiment_days import daily_sentiment

        rows = daily_sentiment(name, db_path=db_path, since=since, until=until)
    if rows is None:
        from ..api.entity_sentiment import entity_sentiment

        rows = entity_sentiment(name, db_path=db_path, since=since, until=until, daily=daily)
    columns = (["day"] if daily else ["since", "until"]) + SENTIMENT_COLUMNS
    render(rows, columns, fmt)
