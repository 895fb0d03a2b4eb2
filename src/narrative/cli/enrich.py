"""``narrative enrich``: extract and score the articles the current extractor, catalog or model has not seen."""

from __future__ import annotations

import click

from .. import api
from . import cli
from .ingest import engine_options, workers_option
from .options import DB, LIMIT
from .score import device_option


@cli.command(name="enrich")
@DB
@LIMIT
@click.option("--rescore", is_flag=True, help="Re-score sentiment and stance of every article.")
@click.option("--no-score", is_flag=True, help="Extraction only, no sentiment scoring.")
@click.option(
    "--narrative",
    "narrative_id",
    metavar="NAME",
    help="Score toward this narrative (default: the narrative setting, NARRATIVE_NARRATIVE).",
)
@device_option
@engine_options
@workers_option
def enrich_cli(db_path, limit, rescore, no_score, narrative_id, engine, address, num_workers) -> None:
    """Extract entities, people, figures and narrative phrases from articles not yet
    processed by the current extractor and catalog (a catalog change re-processes all),
    then score sentiment and narrative stance where the model or narrative changed.

    Example: narrative enrich --rescore --narrative chip-export-controls

    Backfill on Ray: narrative enrich --engine ray --address auto --num-workers 32
    """
    summary = api.enrich(
        db_path=db_path,
        limit=limit,
        score=not no_score,
        rescore=rescore,
        narrative=narrative_id,
        engine=engine,
        address=address,
        num_workers=num_workers,
    )
    lines = [summary.line() if summary.articles else f"nothing to extract ({summary.version})"]
    if summary.scoring is not None:
        scoring = summary.scoring
        lines.append(scoring.line() if scoring.articles else f"nothing to score ({scoring.version})")
    click.echo("\n".join(dict.fromkeys(lines)))
