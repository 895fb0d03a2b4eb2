"""Commands that get articles in and look after the store: ingest, import, feeds, stats..."""

from __future__ import annotations

import json
import sys

import click

from .. import api
from ..errors import Errors, RowProblemKind
from . import cli
from .options import DB_HELP, setting_for_command
from .output import ProgressBar, plain, render
from .score import device_option


def _use_workers(ctx: click.Context, param: click.Parameter, value: int | None) -> int | None:
    """``--workers N`` is ``NARRATIVE_WORKERS=N`` for this command (read where the work is split, api/parallel.py)."""
    if value is None:
        return None
    setting_for_command(ctx, "NARRATIVE_WORKERS", str(value))
    return value


workers_option = click.option(
    "--workers",
    type=click.IntRange(0, 64),
    callback=_use_workers,
    expose_value=False,
    help="Processes that extract and score (default 0: one per core, one for small batches; 1: this process only; "
    "NARRATIVE_WORKERS).",
)


def engine_options(command):
    """``--engine``, ``--address``, ``--num-workers``: where ``enrich`` and ``import`` extract and score (issue 14)."""
    for option in reversed(
        [
            click.option(
                "--engine",
                type=click.Choice(["inprocess", "ray"]),
                default="inprocess",
                show_default=True,
                help="Where extraction and scoring run: this process, or a Ray actor pool "
                "(pip install 'narrative[ray]').",
            ),
            click.option(
                "--address",
                metavar="ADDR",
                help="Ray cluster to join (auto, HOST:6379, ray://HOST:10001); default: a local instance.",
            ),
            click.option("--num-workers", type=int, help="Ray actors (default: one per CPU of the Ray instance)."),
        ]
    ):
        command = option(command)
    return command


@cli.command(name="ingest")
@click.option(
    "--feeds",
    "feeds_path",
    type=click.Path(dir_okay=False),
    help="Feeds file (default ./feeds.yaml, or NARRATIVE_FEEDS).",
)
@click.option("--db", "db_path", type=click.Path(dir_okay=False), help=DB_HELP)
@click.option("--only", multiple=True, metavar="NAME", help="Fetch only this feed (repeatable).")
@click.option("--concurrency", type=click.IntRange(1, 64), help="Feeds fetched at once (default 8).")
@click.option("--lock-timeout", type=click.FloatRange(0), help="Seconds to wait for another writer (default 300).")
@click.option("--silent", is_flag=True, help="No progress bar.")
@click.option("--no-enrich", is_flag=True, help="Store articles only; run `narrative enrich` later.")
@device_option
@workers_option
def ingest_cli(feeds_path, db_path, only, concurrency, lock_timeout, silent, no_enrich) -> None:
    """Fetch every feed and store new articles once each.

    Prints one summary line. Exits 0 when the run completed, even if some feeds
    failed (see `narrative feeds`), and 1 when every feed failed.

    Example: narrative ingest --feeds feeds.yaml --db narrative.db
    """
    from ..config import Settings  # pydantic: loaded by the commands that read settings, not by --help

    settings = Settings.load(db=db_path, feeds=feeds_path, concurrency=concurrency, lock_timeout=lock_timeout)
    with ProgressBar(silent) as progress:
        summary = api.ingest(settings=settings, only=only or None, progress=progress, enrich=not no_enrich)
    for failed in summary.failed:
        click.echo(plain(f"{failed.name}: {failed.error}"), err=True)
    click.echo(summary.line())
    if summary.nothing_done:
        sys.exit(1)


@cli.command(name="import")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--db", "db_path", type=click.Path(dir_okay=False), help=DB_HELP)
@click.option("--source", help="Source name for rows without a 'source' column (default import:FILENAME).")
@click.option("--encoding", help="File encoding (default: UTF-8, falling back to cp1252).")
@click.option(
    "--map",
    "mappings",
    multiple=True,
    metavar="FIELD=COLUMN",
    help="Use COLUMN for FIELD (title, url, published, text, summary, source). Repeatable.",
)
@click.option("--as-of", help="Anchor for relative dates such as '9 DAYS AGO' (YYYY-MM-DD).")
@click.option("--language", help="Language of every row (default: detected per row).")
@click.option(
    "--timezone",
    "zone",
    metavar="ZONE",
    help="IANA time zone of the archive's dates (e.g. America/New_York): a date-only row means that date "
    "there, a time without an offset that time there. Default: UTC.",
)
@click.option("--show", type=int, default=20, show_default=True, help="Bad rows to list on stderr.")
@click.option("--no-enrich", is_flag=True, help="Store articles only; run `narrative enrich` later.")
@device_option
@engine_options
@workers_option
def import_cli(
    path, db_path, source, encoding, mappings, as_of, language, zone, show, no_enrich, engine, address, num_workers
) -> None:
    """Backfill a CSV or JSONL archive (url, title, published, text or summary, source).

    Bad rows are skipped and listed by line number on stderr.

    Example: narrative import archive.csv --map title=Headlines --map published=Time

    A large archive on Ray: narrative import archive.csv --engine ray --address auto --num-workers 32
    """
    column_map = {}
    for mapping in mappings:
        field, sep, column = mapping.partition("=")
        if not sep or not column:
            raise click.BadParameter(Errors.E067.format(mapping=mapping), param_hint="--map")
        column_map[field.strip()] = column.strip()
    summary = api.import_archive(
        path,
        db_path=db_path,
        source=source,
        encoding=encoding,
        column_map=column_map,
        as_of=as_of,
        language=language,
        enrich=not no_enrich,
        timezone=zone,
        engine=engine,
        address=address,
        num_workers=num_workers,
    )
    blank = [p.line for p in summary.problems if p.kind == RowProblemKind.BLANK]
    others = [p for p in summary.problems if p.kind != RowProblemKind.BLANK]
    if blank:
        lines = ", ".join(str(n) for n in blank[:10]) + (", ..." if len(blank) > 10 else "")
        click.echo(f"{path}: skipped {len(blank)} blank rows (lines {lines})", err=True)
    for problem in others[:show]:
        click.echo(plain(f"{path}:{problem.line}: skipped: {problem.problem}"), err=True)
    if len(others) > show:
        click.echo(f"{path}: ... and {len(others) - show} more skipped rows", err=True)
    click.echo(summary.line())


@cli.command(name="feeds")
@click.option("--feeds", "feeds_path", type=click.Path(dir_okay=False), help="Feeds file.")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), help=DB_HELP)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
def feeds_cli(feeds_path, db_path, fmt) -> None:
    """List feeds with their last fetch status and article counts.

    Example: narrative feeds --db narrative.db
    """
    rows = api.list_feeds(db_path=db_path, feeds_path=feeds_path)
    columns = ["name", "last_status", "articles", "last_fetched_at", "last_error", "url"]
    render(rows, columns, fmt)


@cli.command(name="validate")
@click.option("--feeds", "feeds_path", type=click.Path(dir_okay=False), help="Feeds file.")
def validate_cli(feeds_path) -> None:
    """Check the feeds file, the entity catalog and the narratives without fetching anything.

    Example: narrative validate --feeds feeds.yaml
    """
    from ..catalog import check_scope, load_catalog, load_narratives, models_dir
    from ..config import Settings, load_feeds

    settings = Settings.load(feeds=feeds_path)
    feeds = load_feeds(settings.feeds)
    click.echo(f"{settings.feeds}: {len(feeds)} feeds OK")
    catalog = load_catalog()
    click.echo(f"{models_dir() / 'entities.yaml'}: {len(catalog.entities)} entities OK (version {catalog.version})")
    for narrative in load_narratives():
        check_scope(narrative, catalog)  # unknown entity ids in scope: an error naming them
        examples = sum(len(getattr(narrative.examples, k)) for k in ("positive", "negative", "neutral", "irrelevant"))
        click.echo(
            f"narrative {narrative.id}: {len(narrative.themes)} themes, {examples} examples OK "
            f"(version {narrative.version})"
        )


@cli.command(name="stats")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), help=DB_HELP)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def stats_cli(db_path, fmt) -> None:
    """Summarise the store: articles per source and language, date range.

    Example: narrative stats --db narrative.db
    """
    stats = api.store_stats(db_path=db_path)
    if fmt == "json":
        click.echo(json.dumps(stats, indent=2, ensure_ascii=False))
        return
    click.echo(
        f"{stats['articles']} articles from {stats['sources']} sources, "
        f"published {stats['first_published']} .. {stats['last_published']}"
    )
    render(stats["by_source"], ["source", "articles"], "table")
    render(stats["by_language"], ["language", "articles"], "table")


@cli.command(name="settings")
def settings_cli() -> None:
    """List every setting with its default, allowed values and NARRATIVE_* variable.

    Example: narrative settings
    """
    from ..config import SETTINGS

    rows = [
        {"name": s.name, "default": s.default, "allowed": s.allowed, "env": s.env, "help": s.help} for s in SETTINGS
    ]
    render(rows, ["name", "default", "allowed", "env", "help"], "table")
