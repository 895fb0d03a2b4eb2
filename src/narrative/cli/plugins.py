"""``narrative plugins``: what is loaded. The commands plugins add (``register_commands``) are looked up by
:class:`narrative.cli.NarrativeGroup` when a name is not a built-in command, or when ``--help`` lists them."""

from __future__ import annotations

import click

from .. import plugins
from . import cli
from .options import FORMATS
from .output import render


@cli.command(name="plugins")
@click.option("--all", "include_builtins", is_flag=True, help="Include narrative's own default plugins.")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
def plugins_cli(include_builtins, fmt) -> None:
    """List the installed plugins: name, the hooks they implement, version.

    Plugins are packages that declare the `narrative` entry-point group (pip install them).

    Example: narrative plugins --all --format json
    """
    rows = plugins.list_plugins(include_builtins=include_builtins)
    if fmt != "json":
        rows = [{**row, "hooks": ", ".join(row["hooks"])} for row in rows]
    render(rows, ["name", "hooks", "version"], fmt)
