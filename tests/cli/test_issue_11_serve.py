"""Issue 11 item 7: ``narrative serve`` wrote ~20 KB of rich traceback (with locals) per rejected query.

Now each rejected request logs one line (``narrative.serve``), and the page it answers is datasette's own error.
"""

from __future__ import annotations

import asyncio
import logging

from narrative.serve import datasette_app

from .helpers import make_store


def get(app, path: str):
    async def fetch():
        return await app.client.get(path)

    return asyncio.run(fetch())


def test_issue_11_serve_rejected_query_logs_one_line_not_a_traceback(tmp_path, capfd, caplog):
    db = make_store(tmp_path / "n.db")
    app = datasette_app(str(db))
    capfd.readouterr()
    with caplog.at_level(logging.WARNING, logger="narrative.serve"):
        response = get(app, "/n/articles.json?_where=no_such_column")
    assert response.status_code == 400 and response.json()["error"] == "no such column: no_such_column"
    out, err = capfd.readouterr()
    printed = out + err
    assert "Traceback" not in printed and "locals" not in printed and len(printed) < 1000, printed[:2000]
    assert len(printed.strip().splitlines()) <= 1  # datasette's own "ERROR: conn=..., sql=...: ..." line
    records = [r for r in caplog.records if r.name == "narrative.serve"]
    assert [r.getMessage() for r in records] == ["400 /n/articles.json: no such column: no_such_column"]


def test_issue_11_serve_error_page_is_still_rendered(tmp_path, capfd):
    db = make_store(tmp_path / "n.db")
    app = datasette_app(str(db))
    response = get(app, "/n/articles?_where=no_such_column")
    assert response.status_code == 400 and "no such column: no_such_column" in response.text
    assert "Traceback" not in "".join(capfd.readouterr())


def test_issue_11_serve_still_answers_good_queries(tmp_path):
    db = make_store(tmp_path / "n.db")
    app = datasette_app(str(db))
    response = get(app, "/n/articles.json?_shape=array")
    assert response.status_code == 200 and len(response.json()) == 2


def test_issue_11_serve_refuses_a_text_file_as_db(tmp_path):
    from click.testing import CliRunner

    from narrative.cli import cli

    notes = tmp_path / "notes.db"
    notes.write_text("not sqlite\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["serve", "--db", str(notes)], catch_exceptions=False)
    assert result.exit_code == 2 and "not a narrative database (not an SQLite file)" in result.stderr
