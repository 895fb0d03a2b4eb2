"""Issue 11 item 7: ``narrative serve`` wrote ~20 KB of rich traceback (with locals) per rejected query.

Now each rejected request logs one line (``narrative.serve``), and the page it answers is datasette's own error.
"""

from __future__ import annotations

import asyncio
import logging

from narrative.serve import datasette_app

from .helpers import make_store, run_process


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


def test_issue_11_serve_reads_a_store_in_a_read_only_folder(shared_dir):
    # datasette opens the file itself: in a folder nobody may write it must be told the store is immutable.
    folder = shared_dir / "ro"
    folder.mkdir()
    db = make_store(folder / "n.db")
    db.chmod(0o644)
    folder.chmod(0o555)
    script = (
        "import asyncio, sys; from narrative.serve import datasette_app; app = datasette_app(sys.argv[1]); "
        "r = asyncio.run(app.client.get('/n/articles.json?_shape=array')); print(r.status_code, len(r.json()))"
    )
    result = run_process("-c", script, db, cwd=shared_dir, as_nobody=True, module=False)
    assert result.returncode == 0 and result.stdout.split() == ["200", "2"], result.stderr[-2000:]
    assert sorted(p.name for p in folder.iterdir()) == ["archive.csv", "n.db", "n.db.lock"]
