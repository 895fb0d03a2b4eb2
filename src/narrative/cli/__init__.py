"""The ``narrative`` command: a thin layer over :mod:`narrative.api`.

Each command parses options, calls one API function and renders the result.
Errors a user can fix arrive as :class:`NarrativeError` and leave as one line
on stderr with the error's exit code (2 for bad input). Commands live one group
per module: :mod:`.ingest` (getting articles in), :mod:`.enrich` (processing them), :mod:`.query` (what they
say), :mod:`.market` (prices and what they show). What the commands print goes through :mod:`.output`; the options
they share are in :mod:`.options`.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
from typing import Any

import click

from ..errors import Errors, NarrativeError
from .options import DB_HELP, FORMATS, input_texts
from .output import ProgressBar, as_text, plain, render

__all__ = ["DB_HELP", "FORMATS", "ProgressBar", "as_text", "cli", "input_texts", "main", "plain", "render"]


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


@click.group(cls=NarrativeGroup)
@click.version_option(package_name="narrative")
@click.option("-v", "--verbose", count=True, help="Log to stderr: -v for info, -vv for debug.")
def cli(verbose: int) -> None:
    """Track what financial news says about a theme, and whether it moved prices."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")


def main() -> None:
    cli(prog_name="narrative")


# Each module registers its commands on `cli`; plugins last: its register_commands hook lets packages add commands.
from . import analyze, enrich, export, index, ingest, market, query, score, sentiment  # noqa: E402, F401

# isort: split
from . import models, plugins  # noqa: E402, F401
