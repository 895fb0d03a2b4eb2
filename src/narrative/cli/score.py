"""Commands about sentiment and the narrative index: score, index."""

from __future__ import annotations

import json
import sys

import click

from .. import api
from . import DB_HELP, cli, render


@cli.command(name="score")
@click.argument("texts", nargs=-1)
@click.option("--stdin", "from_stdin", is_flag=True, help="Score each line of standard input.")
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl"]), default="table", show_default=True)
@click.option("--model", "model_path", help="A model directory or hub id (default: the shipped models/sentiment).")
def score_cli(texts, from_stdin, fmt, model_path) -> None:
    """Print the sentiment label and the three probabilities of each TEXT (or stdin line),
    so anyone can check the model on their own sentences.

    Example: narrative score "Alibaba beat estimates and raised guidance." --format jsonl
    """
    lines = list(texts)
    if from_stdin:
        lines += [line.rstrip("\n") for line in sys.stdin if line.strip()]
    if not lines:
        raise click.UsageError("give at least one TEXT, or --stdin")
    from ..config import Settings

    model_path = model_path or Settings.load().sentiment_model or None
    rows = api.score_texts(lines, model_path=model_path)
    if fmt == "jsonl":
        for row in rows:
            click.echo(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()},
                                  ensure_ascii=False))
    else:
        for row in rows:
            for key in ("negative", "neutral", "positive", "polarity"):
                row[key] = f"{row[key]:.3f}"
        render(rows, ["label", "negative", "neutral", "positive", "polarity", "text"], "table")


@cli.command(name="index")
@click.option("--narrative", "narrative_id", default="china-ai", show_default=True, help="Narrative id.")
@click.option("--from", "since", metavar="DATE", help="First day (YYYY-MM-DD).")
@click.option("--to", "until", metavar="DATE", help="Last day, inclusive (YYYY-MM-DD).")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), help=DB_HELP)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
def index_cli(narrative_id, since, until, db_path, fmt) -> None:
    """The daily narrative index: attention (relevant stories), mentions across sources,
    relevance-weighted stance, share positive, and the novelty-discounted versions.

    Example: narrative index --narrative china-ai --from 2025-01-01 --format csv
    """
    frame = api.narrative_index(narrative_id, db_path=db_path, since=since, until=until)
    if fmt == "json":
        click.echo(frame.to_json(orient="records", indent=2))
    elif fmt == "csv":
        frame.to_csv(sys.stdout, index=False)
    else:
        render(frame.to_dict(orient="records"), list(frame.columns), "table")
