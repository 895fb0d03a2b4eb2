"""What the commands take in: the options several commands share, and TEXT arguments or --stdin lines."""

from __future__ import annotations

import sys

import click

from ..errors import Errors, InputError

DB_HELP = "SQLite file or postgresql:// URL (default ./narrative.db, or NARRATIVE_DB)."
FORMATS = click.Choice(["table", "json", "csv"])

DB = click.option("--db", "db_path", type=click.Path(dir_okay=False), help=DB_HELP)
FORMAT = click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
SINCE = click.option("--since", metavar="DATE", help="Only articles published on or after DATE (YYYY-MM-DD).")
UNTIL = click.option("--until", metavar="DATE", help="Only articles published on or before DATE (YYYY-MM-DD).")
LIMIT = click.option("--limit", type=click.IntRange(1), help="At most this many rows.")
# Issue 12: listings come a page at a time (a store of millions of articles has huge ones).
PAGE = click.option(
    "--limit",
    type=click.IntRange(0),
    default=100,
    show_default=True,
    help="At most this many rows, newest first (0: every row).",
)
OFFSET = click.option("--offset", type=click.IntRange(0), default=0, help="Skip this many rows (the next page).")
# Commands that read the store and print, nothing else: their process exits without the final garbage collections
# (narrative.lazy.freeze_at_exit; issue 14).
READ_COMMANDS = frozenset({"entities", "figures", "index", "mentions", "sentiment", "stats"})


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
            problem = f"an undecodable byte at character {exc.start}"
            raise InputError(Errors.E064.format(source=f"TEXT argument {number}", problem=problem)) from None
        lines.append(text)
    if from_stdin:
        stream = getattr(sys.stdin, "buffer", None)  # bytes: the text layer would hand over lone surrogates
        raw = stream.read() if stream is not None else sys.stdin.read().encode("utf-8", "surrogateescape")
        try:
            decoded = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            problem = f"byte 0x{raw[exc.start]:02x} on line {line}"
            raise InputError(Errors.E064.format(source="standard input", problem=problem)) from None
        lines += [line.rstrip("\r") for line in decoded.split("\n") if line.strip()]
    if not lines:
        raise click.UsageError(Errors.E066)
    return lines


def setting_for_command(ctx: click.Context, variable: str, value: str) -> None:
    """Set the environment variable ``variable`` (a setting, e.g. ``NARRATIVE_WORKERS``) to ``value`` for this command
    and put the previous value back when it ends: an option such as ``--workers`` means the setting, read where the
    work happens, and must not outlive the command (tests run many commands in one process).

    >>> setting_for_command(click.get_current_context(), "NARRATIVE_WORKERS", "2")  # doctest: +SKIP
    """
    import os

    previous = os.environ.get(variable)
    os.environ[variable] = value

    def restore() -> None:
        if previous is None:
            os.environ.pop(variable, None)
        else:
            os.environ[variable] = previous

    ctx.call_on_close(restore)
