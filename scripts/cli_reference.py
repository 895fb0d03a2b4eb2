"""The README's CLI reference, generated from the commands' own ``--help`` (issue 13 item 5).

Every command and subcommand's help, as ``narrative ... --help`` prints it at 80 columns, goes between the
two marker lines of README.md's "CLI reference" section; nothing else in the README is touched.
``tests/cli/test_cli_reference.py`` fails when the README and the help texts differ, naming the command to run:

    .venv/bin/python scripts/cli_reference.py --write   # regenerate the README section
    .venv/bin/python scripts/cli_reference.py --check   # exit 1 when it is out of date
"""

from __future__ import annotations

import argparse
import html
import sys
from collections.abc import Iterator
from pathlib import Path

import click

README = Path(__file__).resolve().parents[1] / "README.md"
BEGIN = "<!-- cli-reference: generated from --help by scripts/cli_reference.py --write; do not edit by hand -->"
END = "<!-- end cli-reference -->"
WIDTH = 80  # fixed, so the text does not depend on the terminal that runs the script


def _commands(command: click.Command, ctx: click.Context) -> Iterator[tuple[str, str, str]]:
    """(command path, one-line summary, full help) for ``command`` and, depth first, each of its subcommands."""
    yield ctx.command_path, command.get_short_help_str(limit=120), command.get_help(ctx).rstrip()
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is None or sub.hidden:
                continue
            yield from _commands(sub, click.Context(sub, info_name=name, parent=ctx, terminal_width=WIDTH))


def render() -> str:
    """The generated block, markers included: one collapsible entry per command with its ``--help``."""
    from narrative.cli import cli  # imported here so that `--help` of this script does not load the CLI

    root = click.Context(cli, info_name="narrative", terminal_width=WIDTH)
    parts = [BEGIN, ""]
    for path, summary, help_text in _commands(cli, root):
        parts += [
            f"<details><summary><code>{path}</code>: {html.escape(summary, quote=False)}</summary>",
            "",
            "```text",
            help_text,
            "```",
            "",
            "</details>",
            "",
        ]
    parts.append(END)
    return "\n".join(parts)


def current(readme: str) -> str:
    """The block as it stands in ``readme`` (markers included); a missing marker is an error naming the fix."""
    start, end = readme.find(BEGIN), readme.find(END)
    if start < 0 or end < start:
        raise SystemExit(f"{README}: the CLI reference markers are missing; put\n{BEGIN}\n{END}\nwhere it belongs.")
    return readme[start : end + len(END)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true", help="rewrite README.md's generated section")
    mode.add_argument("--check", action="store_true", help="exit 1 when README.md's section is out of date")
    args = parser.parse_args(argv)
    readme = README.read_text(encoding="utf-8")
    old, new = current(readme), render()
    if args.check:
        if old != new:
            print(f"{README.name}: the CLI reference is out of date; run: python scripts/cli_reference.py --write")
            return 1
        return 0
    if old != new:
        README.write_text(readme.replace(old, new), encoding="utf-8")
        print(f"{README.name}: CLI reference updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
