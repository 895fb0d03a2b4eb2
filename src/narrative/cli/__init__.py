"""The ``narrative`` command: a thin layer over :mod:`narrative.api`.

Each command parses options, calls one API function and renders the result.
Errors a user can fix arrive as :class:`NarrativeError` and leave as one line
on stderr with the error's exit code (2 for bad input). Commands live one group
per module: :mod:`.ingest` (getting articles in), :mod:`.extract` (what they say).
"""

from __future__ import annotations

import csv
import json
import logging
import re
import sqlite3
import sys
from typing import Any

import click

from ..errors import Errors, InputError, NarrativeError

DB_HELP = "SQLite database (default ./narrative.db, or NARRATIVE_DB)."
FORMATS = click.Choice(["table", "json", "csv"])


class NarrativeGroup(click.Group):
    """Turns NarrativeError into ``Error: ...`` and its exit code, once for every command."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NarrativeError as exc:
            click.echo(f"Error: {plain(str(exc))}", err=True)
            ctx.exit(exc.exit_code)
        except sqlite3.DatabaseError as exc:
            # Damage deeper in the file than the schema check at open reads shows up mid-query (issue 11). Only
            # damage is turned into a line; any other SQLite error is a bug and keeps its traceback.
            if not any(sign in str(exc) for sign in _DAMAGE):
                raise
            click.echo(f"Error: {Errors.E009.format(problem=exc)}", err=True)
            ctx.exit(1)


_DAMAGE = ("malformed", "not a database", "disk I/O error")


# C0 and C1 control characters except tab and newline: an ESC in a feed title must not drive the terminal
# (colours, cursor moves, OSC 8 hyperlinks). Shown as \xNN so the reader still sees that something was there.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def plain(text: str) -> str:
    r"""``text`` with terminal control characters made visible, for output that echoes feed or file content.

    >>> plain("red\x1b[31m alert\x07")
    'red\\x1b[31m alert\\x07'
    """
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def as_text(value: Any):
    """One table cell or label as a rich ``Text``: shown as written, never read as markup, emoji codes or
    terminal controls (issue 11: a stored ``[/]`` crashed ``mentions``; ``[link=...]`` became a hyperlink).

    >>> as_text("[link=file:///etc/passwd]x[/link]").plain
    '[link=file:///etc/passwd]x[/link]'
    """
    from rich.text import Text

    return Text("" if value is None else plain(str(value)))


@click.group(cls=NarrativeGroup)
@click.version_option(package_name="narrative")
@click.option("-v", "--verbose", count=True, help="Log to stderr: -v for info, -vv for debug.")
def cli(verbose: int) -> None:
    """Track what financial news says about a theme, and whether it moved prices."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")


def render(rows: list[dict[str, Any]], columns: list[str], fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False, default=str))
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(show_lines=False)
        for column in columns:
            table.add_column(as_text(column))
        for row in rows:
            table.add_row(*(as_text(row.get(c)) for c in columns))
        # Off a terminal (pipes, cron logs) rich would wrap at 80 columns; give it room. Cells are Text, and the
        # console interprets neither markup nor emoji codes, so no stored text is ever read as instructions.
        Console(width=None if sys.stdout.isatty() else 160, markup=False, emoji=False).print(table)


def input_texts(texts: tuple[str, ...], from_stdin: bool) -> list[str]:
    """The TEXT arguments, then (with --stdin) each non-blank line of standard input, checked to be UTF-8 text:
    undecodable bytes are one line naming where they are (issue 11), not a crash deep in the tokenizer.

    >>> input_texts(("Alibaba rose.",), False)
    ['Alibaba rose.']
    """
    lines = []
    for number, text in enumerate(texts, 1):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:  # undecodable argv bytes arrive as lone surrogates
            raise InputError(Errors.E064.format(source=f"TEXT argument {number}",
                                                problem=f"an undecodable byte at character {exc.start}")) from None
        lines.append(text)
    if from_stdin:
        stream = getattr(sys.stdin, "buffer", None)  # bytes: the text layer would hand over lone surrogates
        raw = stream.read() if stream is not None else sys.stdin.read().encode("utf-8", "surrogateescape")
        try:
            decoded = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            raise InputError(Errors.E064.format(source="standard input",
                                                problem=f"byte 0x{raw[exc.start]:02x} on line {line}")) from None
        lines += [line.rstrip("\r") for line in decoded.split("\n") if line.strip()]
    if not lines:
        raise click.UsageError("give at least one TEXT, or --stdin")
    return lines


class progress_bar:
    """A rich progress bar on a terminal; a no-op callback otherwise or with --silent."""

    def __init__(self, silent: bool):
        self.enabled = not silent and sys.stderr.isatty()
        self._bar = None
        self._task = None

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        from rich.console import Console

        self._bar = Progress(TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
                             TimeElapsedColumn(), console=Console(stderr=True), transient=True)
        self._bar.__enter__()
        return self.callback

    def callback(self, event: dict[str, Any]) -> None:
        if event["event"] == "start":
            self._task = self._bar.add_task("feeds", total=event["total"])
        elif event["event"] == "feed":
            self._bar.update(self._task, advance=1, description=plain(f"{event['name']}: {event['status']}"))

    def __exit__(self, *exc_info) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc_info)


def main() -> None:
    cli(prog_name="narrative")


from . import extract, ingest, score, market, index, analyze  # noqa: E402,F401  (each module registers its commands on `cli`)
from . import models, plugins  # noqa: E402,F401  (plugins last: its register_commands hook lets packages add commands)
