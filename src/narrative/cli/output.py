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
        # rich draws ASCII boxes for a stream that is not UTF-8 (its encoding read as rich reads it)
        utf = (getattr(sys.stdout, "encoding", None) or "utf-8").lower().startswith("utf")
        lines = fast_table(rows, columns, width=table_width()) if utf else None
        if lines is not None:
            sys.stdout.write("".join(line + "\n" for line in lines))
            return
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


def table_width() -> int:
    """The width a table may take: the terminal's, or 160 columns off a terminal (pipes, cron logs), as rich has it."""
    if sys.stdout.isatty():
        import shutil

        return shutil.get_terminal_size().columns
    return 160


# Issue 12: rich takes ~60 ms to import and ~1.6 ms a row to lay out (3 s for the 1,826 days of a five-year index).
# fast_table draws the same table (rich's default Table: HEAVY_HEAD box, padding 1, columns shrunk widest first
# and cells word-wrapped with an ellipsis as rich does) directly, for the cells whose width it knows for sure: one
# terminal cell per character (printable ASCII, Latin letters, typographic quotes and dashes, "…", currency signs;
# rich's cell_len is 1 for each, checked by a test). Anything else (CJK, emoji, combining marks) goes to rich.
_SIMPLE = re.compile(r"[\x20-\x7e\xa0-\xac\xae-\u02ff\u2010-\u2027\u2030-\u205e\u20a0-\u20c0]*")


def fast_table(rows: list[dict[str, Any]], columns: list[str], *, width: int) -> list[str] | None:
    """The lines rich prints for ``rows`` as a table of ``columns`` at ``width`` (no styles), or None when a cell
    holds a character whose width is not surely one cell (rich then draws it).

    >>> fast_table([{"source": "wire", "articles": 2}], ["source", "articles"], width=160)[1]
    '┃ source ┃ articles ┃'
    """
    if not columns or not _SIMPLE.fullmatch("".join(columns)):
        return None
    body = [["" if (value := row.get(c)) is None else str(value) for c in columns] for row in rows]
    every = " ".join(" ".join(cells) for cells in body)  # all cells checked in one regex pass (" " is simple)
    if _CONTROL.search(every):
        body = [[plain(cell) for cell in cells] for cells in body]
        every = " ".join(" ".join(cells) for cells in body)
    if not _SIMPLE.fullmatch(every):
        return None
    table = [list(columns), *body]
    # rich's measurement of a column: (longest word, longest cell) + 2 of padding, within the width left by borders
    room = width - (len(columns) + 1)
    longest = [max(map(len, column)) + 2 for column in zip(*table)]
    widths = [min(w, room) or 1 for w in longest]
    if sum(widths) > room:
        widths = _collapse(widths, room)
        if sum(widths) > room:  # rich's last resort: every column reduced alike
            widths = _ratio_reduce(sum(widths) - room, [1] * len(widths), widths, widths)
        widths = [min(w, m) for w, m in zip(widths, longest)]
    if min(widths) < 3:
        return None
    narrow = [i for i, (most, w) in enumerate(zip(longest, widths)) if most > w]  # columns a cell may wrap in
    out = ["┏" + "┳".join("━" * w for w in widths) + "┓"]
    _draw(out, table[0], widths, narrow, "┃")
    out.append("┡" + "╇".join("━" * w for w in widths) + "┩")
    laid = {i: [_wrap(cells[i], widths[i] - 2) for cells in body] for i in narrow}
    if all(len(lines) == 1 for column in laid.values() for lines in column):
        # every body cell on one line (fitting, or cut with "…"): one format per row
        for i, column in laid.items():
            for cells, lines in zip(body, column):
                cells[i] = lines[0]
        row_format = "│" + "│".join(f" {{:<{w - 2}}} " for w in widths) + "│"
        out += [row_format.format(*cells) for cells in body]
    else:
        for cells in body:
            _draw(out, cells, widths, narrow, "│")
    out.append("└" + "┴".join("─" * w for w in widths) + "┘")
    return out


def _draw(out: list[str], cells: list[str], widths: list[int], narrow: list[int], edge: str) -> None:
    """The lines of one row: its cells wrapped (the ``narrow`` columns' only) and padded to ``widths``."""
    if all(len(cells[i]) <= widths[i] - 2 for i in narrow):  # one line, as _wrap gives it
        out.append(edge + edge.join(f" {cell.ljust(w - 2)} " for cell, w in zip(cells, widths)) + edge)
        return
    wrapped = [
        _wrap(cell, w - 2) if i in narrow else [cell.ljust(w - 2)] for i, (cell, w) in enumerate(zip(cells, widths))
    ]
    for line in range(max(len(lines) for lines in wrapped)):
        parts = [f" {lines[line] if line < len(lines) else ' ' * (w - 2)} " for lines, w in zip(wrapped, widths)]
        out.append(edge + edge.join(parts) + edge)


def _collapse(widths: list[int], room: int) -> list[int]:
    """rich's Table._collapse_widths: the widest columns brought down toward the next widest until they fit."""
    excess = sum(widths) - room
    while sum(widths) and excess > 0:
        widest = max(widths)
        second = max((w for w in widths if w != widest), default=0)
        ratios = [1 if w == widest else 0 for w in widths]
        if not widest - second:
            break
        widths = _ratio_reduce(excess, ratios, [min(excess, widest - second)] * len(widths), widths)
        excess = sum(widths) - room
    return widths


def _ratio_reduce(total: int, ratios: list[int], maximums: list[int], values: list[int]) -> list[int]:
    """rich's _ratio.ratio_reduce: ``total`` taken off ``values`` in proportion to ``ratios``, within ``maximums``."""
    ratios = [ratio if top else 0 for ratio, top in zip(ratios, maximums)]
    total_ratio = sum(ratios)
    if not total_ratio:
        return values[:]
    remaining, result = total, []
    for ratio, top, value in zip(ratios, maximums, values):
        if ratio and total_ratio > 0:
            taken = min(top, round(ratio * remaining / total_ratio))
            result.append(value - taken)
            remaining -= taken
            total_ratio -= ratio
        else:
            result.append(value)
    return result


_WORD = re.compile(r"\s*\S+\s*")
_SPACE = re.compile(r"\s")


def _wrap(text: str, width: int) -> list[str]:
    """One cell's lines at ``width``, as rich wraps a Text in a table column (overflow "ellipsis", justify left):
    words moved to the next line when they do not fit, a word longer than the width cut with "…", each line padded.
    """
    if len(text) <= width:  # nearly every cell: no word can overflow a line the whole text fits in
        return [text + " " * (width - len(text))]
    if not _SPACE.search(text):  # one word too long (a timestamp): cut, as the loop below cuts it
        return [text[: width - 1] + "…"]
    breaks, offset = [], 0
    for match in _WORD.finditer(text):
        start, word = match.start(), match.group()
        if width - offset >= len(word.rstrip()):
            offset += len(word)
        elif len(word.rstrip()) > width:
            if start:
                breaks.append(start)
            offset = len(word)
        elif offset and start:
            breaks.append(start)
            offset = len(word)
    lines = [text[a:b] for a, b in zip([0, *breaks], [*breaks, len(text)])]
    out = []
    for line in lines:
        if len(line) > width:  # rstrip_end: trailing spaces past the width go first
            line = line[: max(width, len(line.rstrip()))]
        if len(line) > width:
            line = line[: width - 1] + "…"
        out.append(line + " " * (width - len(line)))
    return out


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
