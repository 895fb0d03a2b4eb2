"""Commands about sentiment: score (the narrative index is in :mod:`.index`)."""

from __future__ import annotations

import json

import click

from .. import api
from . import cli
from .options import input_texts, setting_for_command
from .output import render


def _use_device(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """``--device X`` is ``NARRATIVE_DEVICE=X`` for this command (the models read the setting where they load);
    CUDA asked for where torch sees none fails here, before any work, as one line (exit 2)."""
    if value is None:
        return None
    from ..nlp.sentiment import resolve_device

    resolve_device(value)
    setting_for_command(ctx, "NARRATIVE_DEVICE", value)
    return value


device_option = click.option(
    "--device",
    metavar="auto|cpu|cuda[:N]",
    callback=_use_device,
    expose_value=False,
    help="Where the sentiment model runs (default auto: CUDA when torch sees a GPU; NARRATIVE_DEVICE).",
)


@cli.command(name="score")
@click.argument("texts", nargs=-1)
@click.option("--stdin", "from_stdin", is_flag=True, help="Score each line of standard input.")
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl"]), default="table", show_default=True)
@click.option("--model", "model_path", help="A model directory or hub id (default: the shipped models/sentiment).")
@device_option
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
