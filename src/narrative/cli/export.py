"""``narrative export``: a Parquet snapshot of the store for DuckDB, pandas or Spark (issue 14 item 3)."""

from __future__ import annotations

import click

from . import cli
from .options import DB, SINCE, UNTIL


@cli.command(name="export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["parquet"]),
    default="parquet",
    show_default=True,
    help="File format (one file per table).",
)
@click.option(
    "--out",
    "out",
    required=True,
    metavar="DIR",
    help="Folder for the files and manifest.json (created if missing; earlier files of the same tables replaced).",
)
@SINCE
@UNTIL
@DB
def export_cli(fmt, out, since, until, db_path) -> None:
    """Write articles, mentions (with entity sentiment and relevance), entity relevance, figures, sentence and
    article scores, and the daily narrative index as one Parquet file per table, plus manifest.json (schema
    version, row counts, versions). The store is read only, as one snapshot, a chunk of rows at a time.

    Example: narrative export --out snapshot/ --since 2025-01-01

    Then, e.g.: duckdb -c "SELECT count(*) FROM 'snapshot/mentions.parquet'"
    """
    from ..api.export import export_parquet

    summary = export_parquet(out, db_path=db_path, since=since, until=until)
    click.echo(summary.line())
