"""Commands that query what the articles say: mentions, figures, entities, and serve (the same queries in Datasette)."""

from __future__ import annotations

import click

from .. import api
from . import cli
from .options import DB, FORMAT, OFFSET, PAGE, SINCE, UNTIL
from .output import render, render_frame, short

MENTION_COLUMNS = ["published", "entity", "relevance", "sentiment", "polarity", "surface", "sentence", "url"]
FIGURE_COLUMNS = ["published", "subject", "value", "unit", "kind", "direction", "period", "surface", "sentence"]
ENTITY_COLUMNS = ["entity", "type", "mentions", "articles", "weighted_articles", "entity_id", "last_seen"]
# issue 10 item 5: the entity's relevance (0-100) to an article: 100 when it is the subject, low in passing
MIN_RELEVANCE = click.option(
    "--min-relevance",
    type=click.IntRange(0, 100),
    default=0,
    show_default=True,
    help="Only articles where the entity's relevance (0-100) reaches this.",
)


@cli.command(name="mentions")
@click.argument("name")
@SINCE
@UNTIL
@DB
@FORMAT
@PAGE
@OFFSET
@MIN_RELEVANCE
def mentions_cli(name, since, until, db_path, fmt, limit, offset, min_relevance) -> None:
    """Every sentence that mentions NAME: any alias, Chinese name or ticker of a catalog
    entity (Alibaba, 阿里巴巴集团, BABA, 9988.HK), or an unlinked person or organisation.

    Example: narrative mentions Alibaba --since 2025-03-01 --format json
    """
    if fmt == "table":  # rows, not a DataFrame: the default output does not import pandas (issue 12)
        from ..api.query import mention_rows

        rows = mention_rows(
            name,
            db_path=db_path,
            since=since,
            until=until,
            limit=limit or None,
            offset=offset,
            min_relevance=min_relevance,
        )
        render([{**row, "sentence": short(row.get("sentence"))} for row in rows], MENTION_COLUMNS, "table")
        return
    frame = api.mentions(
        name, db_path=db_path, since=since, until=until, limit=limit or None, offset=offset, min_relevance=min_relevance
    )
    render_frame(frame, MENTION_COLUMNS, fmt)


@cli.command(name="figures")
@click.argument("name", required=False)
@SINCE
@UNTIL
@click.option("--kind", type=click.Choice(["change", "level", "amount", "multiple"]), help="Only this kind.")
@DB
@FORMAT
@PAGE
@OFFSET
def figures_cli(name, since, until, kind, db_path, fmt, limit, offset) -> None:
    """Figures the news states (value, unit, kind, direction, period, subject), optionally about NAME.

    Example: narrative figures Alibaba --kind change --format csv
    """
    if fmt == "table":  # rows, not a DataFrame: the default output does not import pandas (issue 12)
        from ..api.query import figure_rows

        rows = figure_rows(
            name, db_path=db_path, since=since, until=until, kind=kind, limit=limit or None, offset=offset
        )
        render([{**row, "sentence": short(row.get("sentence"))} for row in rows], FIGURE_COLUMNS, "table")
        return
    frame = api.figures(name, db_path=db_path, since=since, until=until, kind=kind, limit=limit or None, offset=offset)
    render_frame(frame, FIGURE_COLUMNS, fmt)


@cli.command(name="entities")
@SINCE
@UNTIL
@click.option("--linked", is_flag=True, help="Catalog entities only.")
@DB
@FORMAT
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True, help="How many entities.")
@OFFSET
@MIN_RELEVANCE
def entities_cli(since, until, linked, db_path, fmt, limit, offset, min_relevance) -> None:
    """Top entities by number of mentions over a window; weighted_articles counts each article by the entity's
    relevance to it (about 1 when it is the subject, about 0.2 for a passing mention).

    Example: narrative entities --since 2025-01-01 --limit 10 --min-relevance 50
    """
    options = dict(
        db_path=db_path,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
        linked_only=linked,
        min_relevance=min_relevance,
    )
    if fmt == "table":  # rows, not a DataFrame: the default output does not import pandas (issue 12)
        from ..api.query import entity_rows

        render(entity_rows(**options), ENTITY_COLUMNS, "table")
        return
    render_frame(api.entities(**options), ENTITY_COLUMNS, fmt)


@cli.command(name="serve")
@DB
@click.option("--port", type=click.IntRange(1, 65535), default=8001, show_default=True, help="TCP port, 1..65535.")
@click.option("--host", default="127.0.0.1", show_default=True)
def serve_cli(db_path, port, host) -> None:
    """Browse the database read-only in Datasette, with full-text search and canned queries
    for mentions, figures and top entities.

    Example: narrative serve --db narrative.db --port 8001
    """
    from ..serve import serve

    serve(db_path=db_path, host=host, port=port)
