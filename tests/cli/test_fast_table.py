"""cli.output.fast_table (issue 12): terminal controls in stored text are shown as rich shows them (through
``plain``), and what it cannot lay out for sure (line breaks, tabs) is left to rich, after the one-pass checks."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from narrative.cli.output import as_text, fast_table


def _rich_lines(rows, columns, width):
    table = Table(show_lines=False)
    for column in columns:
        table.add_column(as_text(column))
    for row in rows:
        table.add_row(*(as_text(row.get(c)) for c in columns))
    out = io.StringIO()
    Console(file=out, width=width, markup=False, emoji=False).print(table)
    return out.getvalue().splitlines()


def test_issue_12_fast_table_shows_control_characters_as_rich_does():
    rows = [
        {"title": "red\x1b[31m alert\x07", "n": 1},
        {"title": "plain words that wrap over a narrow column", "n": None},
        {"title": "\x7f\x9b", "n": 22},
    ]
    for width in (24, 40, 160):
        lines = fast_table(rows, ["title", "n"], width=width)
        assert lines is not None and lines == _rich_lines(rows, ["title", "n"], width)
    assert "red\\x1b[31m alert\\x07" in "".join(fast_table(rows, ["title", "n"], width=160))


def test_issue_12_fast_table_leaves_line_breaks_and_tabs_to_rich():
    for text in ("two\nlines", "a\ttab", "\u200b zero width"):
        rows = [{"a": "fine", "b": 1}, {"a": text, "b": 2}]
        assert fast_table(rows, ["a", "b"], width=80) is None, repr(text)
    assert fast_table([{"a": "fine"}], ["a\nb"], width=80) is None


def test_issue_12_fast_table_many_rows_equal_rich():
    rows = [{"day": f"2025-01-{d:02d}", "attention": d * 3, "stance": round(d / 7, 4)} for d in range(1, 32)]
    rows[5]["stance"] = None
    rows[9]["day"] = "a long cell that has to wrap in a narrow table"
    for width in (30, 60, 160):
        assert fast_table(rows, ["day", "attention", "stance"], width=width) == _rich_lines(
            rows, ["day", "attention", "stance"], width
        )
