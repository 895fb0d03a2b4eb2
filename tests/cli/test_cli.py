"""The command line: exit codes, one-line errors, output formats, the bundled demo."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from conftest import make_items, rss, static, write_feeds

from narrative.cli import cli

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_cli_bad_feeds_file_exits_2_with_one_line(tmp_path):
    bad = tmp_path / "feeds.yaml"
    bad.write_text("feeds:\n  - name: x\n    url: gopher://old\n")
    result = subprocess.run(
        [sys.executable, "-m", "narrative", "ingest", "--feeds", str(bad), "--db", str(tmp_path / "x.db")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {bad}: [feeds[0] line 2 name='x']")
    assert "gopher" in lines[0] and not (tmp_path / "x.db").exists()


def test_cli_missing_feeds_file_exits_2(tmp_path):
    result = run("ingest", "--feeds", str(tmp_path / "none.yaml"), "--db", str(tmp_path / "x.db"))
    assert result.exit_code == 2 and "file not found" in result.stderr


def test_cli_ingest_demo_corpus(tmp_path):
    feeds = tmp_path / "demo"
    shutil.copytree(DEMO, feeds)
    db = tmp_path / "demo.db"
    result = run("ingest", "--feeds", str(feeds / "feeds.yaml"), "--db", str(db), "--silent")
    assert result.exit_code == 0, result.stderr
    assert "6 ok" in result.stdout and "0 failed" in result.stdout
    stats = json.loads(run("stats", "--db", str(db), "--format", "json").stdout)
    assert stats["articles"] >= 40 and stats["multi_source_articles"] >= 3
    assert {row["language"] for row in stats["by_language"]} == {"en", "zh"}
    again = run("ingest", "--feeds", str(feeds / "feeds.yaml"), "--db", str(db), "--silent")
    assert "6 ok (6 unchanged)" in again.stdout and "0 new" in again.stdout


def test_cli_feeds_lists_status_as_json_and_csv(server, tmp_path):
    server.routes["/ok"] = static(rss(make_items("ok", 2)))
    feeds = write_feeds(
        tmp_path / "feeds.yaml",
        [{"name": "ok", "url": server.url("/ok")}, {"name": "gone", "url": server.url("/gone")}],
    )
    db = tmp_path / "f.db"
    result = run("ingest", "--feeds", str(feeds), "--db", str(db), "--silent")
    assert result.exit_code == 0 and "gone: HTTP 404" in result.stderr
    listed = {
        r["name"]: r
        for r in json.loads(run("feeds", "--feeds", str(feeds), "--db", str(db), "--format", "json").stdout)
    }
    assert listed["ok"]["last_status"] == "ok" and listed["gone"]["last_status"] == "error"
    csv_out = run("feeds", "--feeds", str(feeds), "--db", str(db), "--format", "csv").stdout
    assert csv_out.splitlines()[0] == "name,last_status,articles,last_fetched_at,last_error,url"


def test_cli_ingest_exits_1_when_every_feed_fails(server, tmp_path):
    feeds = write_feeds(tmp_path / "feeds.yaml", [{"name": "gone", "url": server.url("/gone")}])
    result = run("ingest", "--feeds", str(feeds), "--db", str(tmp_path / "x.db"), "--silent")
    assert result.exit_code == 1 and "0 ok" in result.stdout


def test_cli_import_reports_bad_rows_by_line(tmp_path):
    archive = tmp_path / "news.csv"
    archive.write_text(
        "Headlines,Time,Description\nBaidu robotaxi unit expands to Dubai,Jul 18 2025,Text\n"
        ",,\nSomething,9 DAYS AGO,Text\n",
        encoding="utf-8",
    )
    result = run("import", str(archive), "--db", str(tmp_path / "i.db"))
    assert result.exit_code == 0
    assert f"{archive}: skipped 1 blank rows (lines 3)" in result.stderr
    assert f"{archive}:4: skipped: relative date '9 DAYS AGO' needs --as-of DATE" in result.stderr
    assert "1 new articles" in result.stdout and "2 rows skipped" in result.stdout


def test_cli_import_bad_as_of_and_missing_columns_exit_2(tmp_path):
    archive = tmp_path / "news.csv"
    archive.write_text("a,b\n1,2\n", encoding="utf-8")
    result = run("import", str(archive), "--db", str(tmp_path / "i.db"))
    assert result.exit_code == 2 and "missing required column(s)" in result.stderr
    result = run("import", str(archive), "--db", str(tmp_path / "i.db"), "--as-of", "yesterday-ish")
    assert result.exit_code == 2 and "not a valid date" in result.stderr


def test_cli_command_modules_name_every_built_in_command():
    """Only the module of the command being run is imported (narrative.cli.COMMAND_MODULES): the map must name every
    command each module registers, with its module."""
    from narrative.cli import COMMAND_MODULES

    registered = {name: command.callback.__module__ for name, command in cli.load_all().items()}
    assert registered == {name: f"narrative.cli.{module}" for name, module in COMMAND_MODULES.items()}


def test_cli_every_command_has_help_with_an_example():
    for name, command in cli.load_all().items():
        assert command.help and "Example: narrative" in command.help, name


def test_cli_readme_documents_every_command_and_setting():
    from narrative.config import SETTINGS

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    for name in cli.load_all():
        assert f"narrative {name}" in readme, name
    for setting in SETTINGS:
        assert f"NARRATIVE_{setting.name.upper()}" in readme, setting.name
