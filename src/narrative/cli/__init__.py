"""The ``narrative`` command: a thin layer over :mod:`narrative.api`.

Each command parses options, calls one API function and renders the result.
Errors a user can fix arrive as :class:`NarrativeError` and leave as one line
on stderr with the error's exit code (2 for bad input). Commands live one group
per module: :mod:`.ingest` (getting articles in), :mod:`.enrich` (processing them), :mod:`.query` (what they
say), :mod:`.market` (prices and what they show). What the commands print goes through :mod:`.output`; the options
they share are in :mod:`.options`.
"""

from __future__ import annotations

import importlib
import logging
import sqlite3
import sys
from typing import Any

import click

from ..errors import Errors, NarrativeError
from ..lazy import freeze_at_exit
from .options import DB_HELP, FORMATS, READ_COMMANDS, input_texts
from .output import ProgressBar, as_text, plain, render

__all__ = ["DB_HELP", "FORMATS", "ProgressBar", "as_text", "cli", "input_texts", "main", "plain", "render"]


# Where each built-in command lives. A module registers its commands on `cli` when it is imported, and only the
# module of the command being run is imported (issue 12: start-up), so every built-in command is named here;
# tests/cli/test_cli.py checks the map against what the modules register.
COMMAND_MODULES = {
    "analyze": "analyze",
    "claims": "market",
    "enrich": "enrich",
    "entities": "query",
    "export": "export",
    "feeds": "ingest",
    "figures": "query",
    "import": "ingest",
    "index": "index",
    "ingest": "ingest",
    "leadlag": "market",
    "mentions": "query",
    "models": "models",
    "plugins": "plugins",
    "prices": "market",
    "report": "market",
    "score": "score",
    "sentiment": "sentiment",
    "serve": "query",
    "settings": "ingest",
    "stats": "ingest",
    "validate": "ingest",
}


class NarrativeGroup(click.Group):
    """Turns NarrativeError into ``Error: ...`` and its exit code, once for every command; imports a built-in
    command's module only when that command is asked for; adds the commands of plugins (the ``register_commands``
    hook) only when they are asked for.

    A built-in command runs without loading any plugin (the entry-point scan is ~50 ms of start-up) or the other
    commands' modules; a name the group does not know, and the listing of ``--help``, ask the plugins, once per
    invocation. A plugin command cannot replace a built-in one of the same name.
    """

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            importlib.import_module(f"{__name__}.{COMMAND_MODULES[cmd_name]}")
        return super().get_command(ctx, cmd_name) or self.plugin_commands(ctx).get(cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMAND_MODULES, *self.commands, *self.plugin_commands(ctx)})

    def load_all(self) -> dict[str, click.Command]:
        """Every built-in command, its module imported (what ``--help`` lists), by name."""
        for module in sorted(set(COMMAND_MODULES.values())):
            importlib.import_module(f"{__name__}.{module}")
        return dict(self.commands)

    def plugin_commands(self, ctx: click.Context | None) -> dict[str, click.Command]:
        """The commands plugins add, by name (registered on a scratch group: the built-in ones stay as they are).

        >>> sorted(cli.plugin_commands(None)) == sorted(set(cli.list_commands(None)) - set(cli.load_all()))
        True
        """
        meta = ctx.find_root().meta if ctx is not None else {}
        if _PLUGIN_COMMANDS not in meta:
            from .. import plugins

            scratch = click.Group(self.name)
            plugins.register_commands(scratch)
            meta[_PLUGIN_COMMANDS] = {
                n: c for n, c in scratch.commands.items() if n not in self.commands and n not in COMMAND_MODULES
            }
        return meta[_PLUGIN_COMMANDS]

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
_PLUGIN_COMMANDS = "narrative.plugin_commands"  # key of ctx.meta: the plugin commands of this invocation


@click.group(cls=NarrativeGroup)
@click.version_option(package_name="narrative")
@click.option("-v", "--verbose", count=True, help="Log to stderr: -v for info, -vv for debug.")
def cli(verbose: int) -> None:
    """Track what financial news says about a theme, and whether it moved prices."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    from ..store import schema_snapshot

    schema_snapshot.schema_cache = _cached_by_files  # the migrated schema from the user's cache (issue 12)
    if click.get_current_context().invoked_subcommand in READ_COMMANDS:
        freeze_at_exit()  # issue 14: nothing to finalize at exit, so no final collections (~10-30 ms of CPU)


def _cached_by_files(name: str, key: Any, build: Any) -> Any:
    from ..file_cache import cached_by_files  # imported by a command that opens a store, not by --help

    return cached_by_files(name, key, build)


def main() -> None:
    cli(prog_name="narrative")
