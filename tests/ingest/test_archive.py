"""Backfill archives: messy CSV/JSONL rows become articles or line-numbered problems."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from narrative import api
from narrative.errors import InputError
from narrative.ingest.archive import ArchiveRow, RowProblem, parse_archive_date, read_archive

CSV = (
    "Headlines,Time,Description\n"
    'Alibaba shares jump after cloud unit posts faster growth," 7:51  PM ET Fri, 17 July 2020",'
    '"Alibaba\u2019s cloud revenue rose 59%."\n'
    ",,\n"
    '"Multi-line, quoted\nheadline about Tencent",Jul 18 2020,"Tencent said..."\n'
    "Row with a relative date,9 DAYS AGO,Text\n"
    "Row with a bad date,someday,Text\n"
    "Row with no date,,Text\n"
)


def rows_of(path, **kwargs):
    return list(read_archive(path, **kwargs))


def test_archive_csv_rows_and_problems_carry_line_numbers(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(CSV, encoding="utf-8")
    rows = rows_of(path)
    good = [r for r in rows if isinstance(r, ArchiveRow)]
    bad = {r.line: r.problem for r in rows if isinstance(r, RowProblem)}
    assert [r.line for r in good] == [2, 4]
    assert good[0].published == "2020-07-17T23:51:00+00:00" and good[0].published_source == "archive"
    assert good[1].published == "2020-07-18T00:00:00+00:00" and good[1].published_source == "date_only"
    assert good[1].title == "Multi-line, quoted headline about Tencent"
    assert bad[3] == "blank row"
    assert "needs --as-of" in bad[6] and "unrecognised date" in bad[7] and "no date" in bad[8]


def test_archive_relative_dates_anchor_on_as_of(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(CSV, encoding="utf-8")
    rows = rows_of(path, as_of=datetime(2024, 2, 10, tzinfo=UTC))
    relative = next(r for r in rows if isinstance(r, ArchiveRow) and r.line == 6)
    assert relative.published == "2024-02-01T00:00:00+00:00" and relative.published_source == "relative"


def test_archive_cp1252_file_and_mojibake_are_repaired(tmp_path):
    path = tmp_path / "g.csv"
    text = (
        "Time,Headlines\n18-Jul-20,\u201cI now fear the worst\u201d: tales of working life\n"
        "19-Jul-20,Baidu\u00e2\u20ac\u2122s chip unit raises funds\n"
    )
    path.write_bytes(text.encode("cp1252"))
    good = [r for r in rows_of(path) if isinstance(r, ArchiveRow)]
    assert good[0].title == "\u201cI now fear the worst\u201d: tales of working life"
    assert good[1].title == "Baidu\u2019s chip unit raises funds"
    assert good[0].published == "2020-07-18T00:00:00+00:00"


def test_archive_jsonl_bad_lines_are_reported(tmp_path):
    path = tmp_path / "a.jsonl"
    lines = [
        json.dumps(
            {
                "url": "https://x.example.test/1",
                "title": "SMIC expands capacity",
                "published": "2025-03-01",
                "text": "SMIC said...",
            }
        ),
        "",
        "{not json",
        json.dumps([1, 2]),
        json.dumps(
            {
                "link": "https://x.example.test/2",
                "headline": "Cambricon revenue soars",
                "date": "2025-03-02T10:00:00+08:00",
                "summary": "Up a lot.",
                "source": "wire",
            }
        ),
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    rows = rows_of(path)
    assert [type(r).__name__ for r in rows] == ["ArchiveRow", "RowProblem", "RowProblem", "RowProblem", "ArchiveRow"]
    assert rows[4].published == "2025-03-02T02:00:00+00:00" and rows[4].source == "wire"
    assert "not valid JSON" in rows[2].problem


def test_archive_missing_columns_is_one_clear_error(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("foo,bar\n1,2\n")
    with pytest.raises(InputError, match=r"x.csv: line 2: missing required column\(s\) published"):
        rows_of(path)


def test_archive_unsupported_suffix(tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(InputError, match="unsupported archive format"):
        rows_of(path)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("January 25, 2024 \u2014 03:33 am EST", "2024-01-25T08:33:00+00:00"),
        ("FEB 9, 2024 9:05AM EST", "2024-02-09T14:05:00+00:00"),
        ("18-Jul-20", "2020-07-18T00:00:00+00:00"),
        ("2025-09-19T16:05:00+08:00", "2025-09-19T08:05:00+00:00"),
    ],
)
def test_archive_date_formats(value, expected):
    moment, _how = parse_archive_date(value)
    assert moment.astimezone(UTC).isoformat() == expected


def test_import_archive_dedups_and_reimport_adds_nothing(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(
        "url,title,published,text\n"
        "https://n.example.test/1?utm_source=x,Tencent raises buyback after strong quarter,2025-05-14,Tencent text\n"
        "https://n.example.test/1,Tencent raises buyback after strong quarter,2025-05-14,Tencent text\n"
        ",,,\n"
        "https://n.example.test/2,Xiaomi unveils its own smartphone processor design,2025-05-22,Xiaomi text\n",
        encoding="utf-8",
    )
    db = str(tmp_path / "i.db")
    first = api.import_archive(str(path), db_path=db, enrich=False)
    # The second row is the first with its tracking parameters stripped: one article.
    assert (first.rows, first.new, first.duplicates, first.seen, len(first.problems)) == (3, 2, 1, 0, 1)
    second = api.import_archive(str(path), db_path=db, enrich=False)
    assert (second.new, second.seen) == (0, 3)
