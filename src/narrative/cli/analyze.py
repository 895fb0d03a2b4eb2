"""``narrative analyze``: what the pipeline sees in your own sentences (issue 9)."""

from __future__ import annotations

import json

import click

from .. import api
from . import cli
from .options import input_texts


@cli.command(name="analyze")
@click.argument("texts", nargs=-1)
@click.option("--stdin", "from_stdin", is_flag=True, help="Analyze each non-blank line of standard input.")
@click.option(
    "--narrative",
    "narrative_id",
    metavar="NAME",
    help="Narrative id (default: the narrative setting, NARRATIVE_NARRATIVE).",
)
@click.option("--language", type=click.Choice(["en", "zh"]), help="Language of the texts (default: detected).")
@click.option("--format", "fmt", type=click.Choice(["table", "jsonl"]), default="table", show_default=True)
def analyze_cli(texts, from_stdin, narrative_id, language, fmt) -> None:
    """For each TEXT (or stdin line): its sentences with sentiment, relevance (0..1), stance (-1..1)
    and themes; entities with character offsets and the sentiment toward them; figures; people;
    and the text's relevance and stance. Same code path as enrich: what it prints is what is stored.

    Example: narrative analyze "US adds SMIC units to the Entity List" --narrative chip-export-controls
    """
    lines = input_texts(texts, from_stdin)
    results = api.analyze(lines, narrative_id=narrative_id, language=language)
    if fmt == "jsonl":
        for result in results:
            click.echo(json.dumps(result, ensure_ascii=False))
        return
    for n, result in enumerate(results):
        if n:
            click.echo("")
        click.echo(
            f"{result['narrative']}: relevance {result['relevance']:.2f}  stance {result['stance']:+.2f}  "
            f"({result['language']}) {result['text'][:100]}"
        )
        for s in result["sentences"]:
            sentiment = s["sentiment"]
            themes = ",".join(s["themes"]) or "-"
            click.echo(
                f"  [{s['index']}] rel {s['relevance']:.2f}  stance {s['stance']:+.2f}  "
                f"{sentiment['label']:<8} (neg {sentiment['negative']:.2f} neu {sentiment['neutral']:.2f} "
                f"pos {sentiment['positive']:.2f})  themes {themes}  {s['text'][:80]}"
            )
        for e in result["entities"]:
            targeted = e.get("entity_sentiment")  # issue 10 item 4: every entity, from the entity model
            toward = f"{targeted['label']} {targeted['polarity']:+.2f}" if targeted else "-"
            click.echo(
                f"  entity {e['text']!r} [{e['start']}:{e['end']}] {e['type']} id={e['id'] or '-'} sentiment={toward}"
            )
        for f in result["figures"]:
            click.echo(
                f"  figure {f['value']:g} {f['unit']} {f['kind']} period={f['period'] or '-'} "
                f"subject={f['subject'] or '-'}"
            )
        for p in result["people"]:
            click.echo(f"  person {p['name']} role={p['role'] or '-'} org={p['org'] or '-'}")
