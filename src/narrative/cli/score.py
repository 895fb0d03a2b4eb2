"""Commands about sentiment: score (the narrative index is in :mod:`.index`)."""

from __future__ import annotations

import json

import click

from .. import api
from . import cli
from .options import input_texts
from .output import render


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
    lines = input_texts(texts, from_stdin)
    from ..config import Settings

    model_path = model_path or Settings.load().sentiment_model or None
    rows = api.score_texts(lines, model_path=model_path)
    if fmt == "jsonl":
        for row in rows:
            click.echo(
                json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}, ensure_ascii=False)
            )
    else:
        for row in rows:
            for key in ("negative", "neutral", "positive", "polarity"):
                row[key] = f"{row[key]:.3f}"
        render(rows, ["label", "negative", "neutral", "positive", "polarity", "text"], "table")
