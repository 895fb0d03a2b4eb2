"""cli.output.fast_table (issue 12): terminal controls in stored text are shown as rich shows them (through
``plain``), and what it cannot lay out for sure (line breaks, tabs) is left to rich, after the one-pass checks."""

from __future__ import annotations

import io
import random
import string

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table

from narrative.cli.output import _SIMPLE, as_text, fast_table


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


def test_issue_12_fast_table_draws_what_rich_draws():
    rng = random.Random(7)
    letters = string.ascii_letters + "0123456789.-:/’“”—€£éßø\xa0 "

    def word():
        return "".join(rng.choice(letters) for _ in range(rng.choice([1, 2, 3, 5, 8, 13, 25, 40])))

    def cell():
        kind = rng.random()
        if kind < 0.1:
            return None
        if kind < 0.3:
            return rng.randint(-5, 10 ** rng.randint(1, 9))
        if kind < 0.4:
            return round(rng.random(), 4)
        return " ".join(word() for _ in range(rng.randint(1, 12))) + ("…" if rng.random() < 0.2 else "")

    compared = 0
    for _ in range(400):
        columns = [
            rng.choice(["date", "stance_stories", "first_published", "entity", "sentence"]) + str(i)
            for i in range(rng.randint(1, 14))
        ]
        rows = [{c: cell() for c in columns} for _ in range(rng.randint(0, 5))]
        width = rng.choice([30, 50, 80, 120, 160, 200])
        lines = fast_table(rows, columns, width=width)
        if lines is not None:
            compared += 1
            assert lines == _rich_lines(rows, columns, width), (width, columns, rows)
    assert compared > 300
    # what it does not draw itself goes to rich: characters two cells wide, combining marks
    assert fast_table([{"a": "阿里巴巴"}], ["a"], width=80) is None
    assert fast_table([{"a": "e\u0301"}], ["a"], width=80) is None


def test_issue_12_fast_table_characters_are_one_cell_in_rich():
    wide = [chr(c) for c in range(0x20, 0x2100) if _SIMPLE.fullmatch(chr(c)) and cell_len(chr(c)) != 1]
    assert wide == []
