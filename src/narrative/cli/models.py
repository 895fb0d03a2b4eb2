"""``narrative models``: where the catalog, the narratives and the trained models are read from."""

from __future__ import annotations

import click

from .. import plugins
from . import cli
from .options import FORMATS
from .output import render


@cli.group(name="models")
def models_cli() -> None:
    """Where the entity catalog, the narratives and the trained models are read from.

    Example: narrative models path
    """


@models_cli.command(name="path")
@click.option(
    "--home",
    is_flag=True,
    help="Print the user data folder instead (NARRATIVE_HOME); "
    "narrative files in its narratives/ folder are loaded too.",
)
def models_path_cli(home) -> None:
    """Print the models folder: NARRATIVE_MODELS, else the copy installed with the package,
    else the checkout's models/.

    Example: ls "$(narrative models path)/narratives"
    """
    from ..catalog import models_dir  # pydantic models: loaded here, not by --help

    click.echo(plugins.home_dir() if home else models_dir())


@models_cli.command(name="list")
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
def models_list_cli(fmt) -> None:
    """List the catalog, the model folders and every narrative folder (shipped, user, plugins).

    Example: narrative models list --format json
    """
    from ..catalog import models_dir

    base = models_dir()
    rows = [{"what": "catalog", "path": str(base / "entities.yaml"), "files": int((base / "entities.yaml").is_file())}]
    for name in ("sentiment", "narrative_scorer"):
        folder = base / name
        rows.append(
            {
                "what": f"model {name}",
                "path": str(folder),
                "files": sum(1 for f in folder.iterdir() if f.is_file()) if folder.is_dir() else 0,
            }
        )
    for folder in plugins.narrative_dirs():
        rows.append({"what": "narratives", "path": str(folder), "files": len(list(folder.glob("*.yaml")))})
    render(rows, ["what", "path", "files"], fmt)
