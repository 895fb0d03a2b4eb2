"""Commands about what the articles say: enrich, mentions, figures, entities, serve."""

from __future__ import annotations

import json
import sys

import click

from .. import api
from . import DB_HELP, FORMATS, cli, render

_SINCE = click.option("--since", metavar="DATE", help="Only articles published on or after DATE (YYYY-MM-DD).")
_UNTIL = click.option("--until", metavar="DATE", help="Only articles published on or before DATE (YYYY-MM-DD).")
_DB = click.option("--db", "db_path", type=click.Path(dir_okay=False), help=DB_HELP)
_FORMAT = click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
_LIMIT = click.option("--limit", type=click.IntRange(1), help="At most this many rows.")
# Issue 12: listings come a page at a time (a store of millions of articles has huge ones).
_PAGE = click.option("--limit", type=click.IntRange(0), default=100, show_default=True,
                     help="At most this many rows, newest first (0: every row).")
_OFFSET = click.option("--offset", type=click.IntRange(0), default=0, help="Skip this many rows (the next page).")


@cli.command(name="enrich")
@_DB
@_LIMIT
@click.option("--rescore", is_flag=True, help="Re-score sentiment and stance of every article.")
@click.option("--no-score", is_flag=True, help="Extraction only, no sentiment scoring.")
@click.option("--narrative", "narrative_id", metavar="NAME",
              help="Score toward this narrative (default: the narrative setting, NARRATIVE_NARRATIVE).")
def enrich_cli(db_path, limit, rescore, no_score, narrative_id) -> None:
    """Extract entities, people, figures and narrative phrases from articles not yet
    processed by the current extractor and catalog (a catalog change re-processes all),
    then score sentiment and narrative stance where the model or narrative changed.

    Example: narrative enrich --rescore --narrative chip-export-controls
    """
    summary = api.enrich(db_path=db_path, limit=limit, score=not no_score, rescore=rescore, narrative=narrative_id)
    lines = [summary.line() if summary.articles else f"nothing to extract ({summary.version})"]
    if summary.scoring is not None:
        lines.append(summary.scoring.line() if summary.scoring.articles else
                     f"nothing to score ({summary.scoring.version})")
    click.echo("\n".join(dict.fromkeys(lines)))


@cli.command(name="mentions")
@click.argument("name")
@_SINCE
@_UNTIL
@_DB
@_FORMAT
@_PAGE
@_OFFSET
def mentions_cli(name, since, until, db_path, fmt, limit, offset) -> None:
    """Every sentence that mentions NAME: any alias, Chinese name or ticker of a catalog
    entity (Alibaba, 阿里巴巴集团, BABA, 9988.HK), or an unlinked person or organisation.

    Example: narrative mentions Alibaba --since 2025-03-01 --format json
    """
    columns = ["published", "entity", "surface", "sentence", "url"]
    if fmt == "table":  # rows, not a DataFrame: the default output does not import pandas (issue 12)
        from ..api.query import mention_rows

        rows = mention_rows(name, db_path=db_path, since=since, until=until, limit=limit or None, offset=offset)
        render([{**row, "sentence": _short(row.get("sentence"))} for row in rows], columns, "table")
        return
    frame = api.mentions(name, db_path=db_path, since=since, until=until, limit=limit or None, offset=offset)
    _emit(frame, columns, fmt)


@cli.command(name="figures")
@click.argument("name", required=False)
@_SINCE
@_UNTIL
@click.option("--kind", type=click.Choice(["change", "level", "amount", "multiple"]), help="Only this kind.")
@_DB
@_FORMAT
@_PAGE
@_OFFSET
def figures_cli(name, since, until, kind, db_path, fmt, limit, offset) -> None:
    """Figures the news states (value, unit, kind, direction, period, subject), optionally about NAME.

    Example: narrative figures Alibaba --kind change --format csv
    """
    frame = api.figures(name, db_path=db_path, since=since, until=until, kind=kind, limit=limit or None,
                        offset=offset)
    _emit(frame, ["published", "subject", "value", "unit", "kind", "direction", "period", "surface", "sentence"], fmt)


@cli.command(name="entities")
@_SINCE
@_UNTIL
@click.option("--linked", is_flag=True, help="Catalog entities only.")
@_DB
@_FORMAT
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True, help="How many entities.")
@_OFFSET
def entities_cli(since, until, linked, db_path, fmt, limit, offset) -> None:
    """Top entities by number of mentions over a window.

    Example: narrative entities --since 2025-01-01 --limit 10
    """
    frame = api.entities(db_path=db_path, since=since, until=until, limit=limit, offset=offset,
                         linked_only=linked)
    _emit(frame, ["entity", "type", "mentions", "articles", "entity_id", "last_seen"], fmt)


@cli.command(name="serve")
@_DB
@click.option("--port", type=click.IntRange(1, 65535), default=8001, show_default=True, help="TCP port, 1..65535.")
@click.option("--host", default="127.0.0.1", show_default=True)
def serve_cli(db_path, port, host) -> None:
    """Browse the database read-only in Datasette, with full-text search and canned queries
    for mentions, figures and top entities.

    Example: narrative serve --db narrative.db --port 8001
    """
    from ..serve import serve

    serve(db_path=db_path, host=host, port=port)


def _emit(frame, table_columns: list[str], fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(json.loads(frame.to_json(orient="records", force_ascii=False)), ensure_ascii=False,
                              indent=2))
    elif fmt == "csv":
        frame.to_csv(sys.stdout, index=False)
    else:
        rows = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
        for row in rows:
            row["sentence"] = _short(row.get("sentence"))
        render(rows, table_columns, "table")


def _short(text, width: int = 110):
    if not isinstance(text, str):
        return text
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"
