"""Everything the commands print goes through here: tables, CSV and JSON from rows or a DataFrame, text made
safe for a terminal, and the progress bar on stderr.

stdout is for results and stderr for progress (STYLE.md). A cell is always shown as written: never read as
rich markup, emoji codes or terminal controls (issue 11).
"""

from __future__ import annotations

import csv
import json
import re
import sys
from typing import Any

import click

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


def short(text: Any, width: int = 110) -> Any:
    """A sentence on one line, cut to ``width`` characters with an ellipsis; anything else unchanged.

    >>> short("Alibaba  rose\\n5% on cloud growth", width=16)
    'Alibaba rose 5%…'
    """
    if not isinstance(text, str):
        return text
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def frame_rows(frame) -> list[dict[str, Any]]:
    """A DataFrame's rows as dicts, missing values as ``None`` (not NaN/NaT), for :func:`render`.

    >>> import pandas as pd
    >>> frame_rows(pd.DataFrame({"a": [1.5, None]}))
    [{'a': 1.5}, {'a': None}]
    """
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")


def render(rows: list[dict[str, Any]], columns: list[str], fmt: str) -> None:
    """Print ``rows`` as a table (only ``columns``), CSV (only ``columns``) or JSON (every key) on stdout.

    Example: ``render([{"source": "wire", "articles": 2}], ["source", "articles"], "csv")``
    """
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


def render_frame(frame, table_columns: list[str], fmt: str) -> None:
    """Print a DataFrame: JSON and CSV with every column as pandas writes them; the table with
    ``table_columns`` only and each ``sentence`` cut to one line (:func:`short`).

    Example: ``render_frame(api.figures("Alibaba"), ["published", "value", "sentence"], "table")``
    """
    if fmt == "json":
        records = json.loads(frame.to_json(orient="records", force_ascii=False))
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        frame.to_csv(sys.stdout, index=False)
    else:
        rows = frame_rows(frame)
        for row in rows:
            row["sentence"] = short(row.get("sentence"))
        render(rows, table_columns, "table")


class ProgressBar:
    """A rich progress bar on a terminal; a no-op callback otherwise or with --silent.

    Example: ``with ProgressBar(silent) as progress: api.ingest(settings=settings, progress=progress)``
    """

    def __init__(self, silent: bool):
        self.enabled = not silent and sys.stderr.isatty()
        self._bar: Any = None  # a rich Progress while entered on a terminal
        self._task: Any = None

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._bar = Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
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


progress_bar = ProgressBar  # the name the commands used before it followed the class-name convention
