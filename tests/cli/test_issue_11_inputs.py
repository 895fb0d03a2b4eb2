"""Issue 11 items 7 and 8: more inputs that gave tracebacks or were accepted as nonsense; each is one line now.

feeds.yaml that is not UTF-8, binary garbage given to ``prices import``, ``serve --port 70000``, a port already in
use, ``url: ''`` in feeds.yaml, ``import --map colour=title``. (Settings ranges: tests/test_config.py.)
"""

from __future__ import annotations

import socket

import pytest

from narrative.config import load_feeds
from narrative.errors import ConfigError

from .helpers import make_store, one_error_line, run, run_process


@pytest.mark.parametrize("command", ["validate", "ingest", "feeds"])
def test_issue_11_feeds_yaml_not_utf8_is_one_line_naming_file_and_fix(tmp_path, command):
    feeds = tmp_path / "feeds.yaml"
    feeds.write_bytes("feeds:\n  - name: cafe\n    url: http://x.test/caf\xe9\n".encode("latin-1"))
    result = run(command, "--feeds", feeds)
    line = one_error_line(result)
    assert result.exit_code == 2
    assert line == (
        f"Error: {feeds}: not UTF-8 text (byte 0xe9 on line 3). Re-save the file as UTF-8 "
        "(e.g. `iconv -f latin1 -t utf-8`)."
    )


def test_issue_11_feeds_yaml_with_utf8_bom_is_read(tmp_path):
    feeds = tmp_path / "feeds.yaml"
    feeds.write_bytes("\ufefffeeds:\n  - name: wire\n    url: https://x.test/rss\n".encode("utf-8"))
    assert [f.name for f in load_feeds(feeds)] == ["wire"]


def test_issue_11_feeds_yaml_unreadable_is_one_line(shared_dir):
    feeds = shared_dir / "feeds.yaml"
    feeds.write_text("feeds:\n  - name: wire\n    url: https://x.test/rss\n", encoding="utf-8")
    feeds.chmod(0o000)
    result = run_process("validate", "--feeds", feeds, cwd=shared_dir, as_nobody=True)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last == f"Error: Invalid value for '--feeds': File '{feeds}' is not readable."


@pytest.mark.parametrize(
    "payload",
    [bytes(range(256)) * 8, b"\x7fELF\x02\x01\x01\x00" + bytes(500), b"PK\x03\x04" + b"\x00\xff" * 300],
    ids=["all-bytes", "elf", "zip"],
)
def test_issue_11_prices_import_of_binary_garbage_is_one_line(tmp_path, payload):
    garbage = tmp_path / "BABA.csv"
    garbage.write_bytes(payload)
    result = run("prices", "import", garbage, "--db", tmp_path / "n.db")
    line = one_error_line(result)
    assert result.exit_code == 2 and line.startswith(f"Error: {garbage}: ")


@pytest.mark.parametrize("port", ["70000", "0", "-1", "http"])
def test_issue_11_serve_port_out_of_range_is_a_usage_error(tmp_path, port):
    db = make_store(tmp_path / "n.db")
    result = run("serve", "--db", db, "--port", port)
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr and "Invalid value for '--port'" in result.stderr


def test_issue_11_serve_on_a_port_in_use_is_one_line(shared_dir):
    db = make_store(shared_dir / "n.db")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_process("serve", "--db", db, "--port", port, cwd=shared_dir)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last == (
        f"Error: narrative serve could not listen on 127.0.0.1:{port} (see the line above: address in "
        "use or unknown host). Pick another --port or --host."
    )


@pytest.mark.parametrize("url", ["''", "'   '", '""'])
def test_issue_11_feed_with_an_empty_url_is_refused(tmp_path, url):
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"feeds:\n  - name: blank\n    url: {url}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"\[feeds\[0\] line 2 name='blank'\] url: url is empty"):
        load_feeds(feeds)
    line = one_error_line(run("validate", "--feeds", feeds))
    assert "url is empty; give an http(s):// address, a file:// URL or a local path" in line


def test_issue_11_import_map_to_an_unknown_field_names_the_allowed_fields(tmp_path):
    archive = tmp_path / "archive.csv"
    archive.write_text("url,title,published\nhttp://a.test/1,T,2025-01-02\n", encoding="utf-8")
    result = run("import", archive, "--map", "colour=title", "--db", tmp_path / "n.db", "--no-enrich")
    line = one_error_line(result)
    assert result.exit_code == 2
    assert line == (
        "Error: --map colour=title: 'colour' is not a field of an archive; allowed fields: "
        "title, url, published, text, summary, source."
    )
    assert not (tmp_path / "n.db").exists()


def test_issue_11_import_archive_api_refuses_an_unknown_map_field_before_writing(tmp_path):
    from narrative.api.imports import import_archive
    from narrative.errors import InputError

    archive = tmp_path / "a.csv"
    archive.write_text("title,url,published\nA,https://e.test/a,2025-09-01T08:00:00Z\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"'colour' is not a field of an archive; allowed fields: title, url"):
        import_archive(str(archive), db_path=str(tmp_path / "n.db"), column_map={"colour": "title"}, enrich=False)
    assert not (tmp_path / "n.db").exists()


def test_issue_11_empty_feeds_yaml_says_no_feeds(tmp_path):
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("# nothing yet\n", encoding="utf-8")
    line = one_error_line(run("validate", "--feeds", feeds))
    assert line == f"Error: {feeds}: no feeds listed. Add at least one entry under 'feeds:'."


def test_issue_11_leadlag_index_csv_of_binary_garbage_is_one_line(tmp_path):
    garbage = tmp_path / "series.csv"
    garbage.write_bytes(b"date,value\n\xff\xfe\x00\xf0garbage")
    result = run(
        "leadlag",
        "--index-csv",
        garbage,
        "--tickers",
        "BABA",
        "--from",
        "2025-01-01",
        "--to",
        "2025-02-01",
        "--db",
        tmp_path / "n.db",
    )
    line = one_error_line(result)
    assert result.exit_code == 2 and line.startswith(f"Error: {garbage}: not UTF-8 text (byte 0xff at offset 11)")


def test_issue_11_report_out_folder_not_writable_is_one_line(shared_dir):
    db = make_store(shared_dir / "n.db")
    locked = shared_dir / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    result = run_process(
        "report",
        "--narrative",
        "china-ai",
        "--tickers",
        "BABA",
        "--from",
        "2025-01-01",
        "--to",
        "2025-02-01",
        "--out",
        locked / "report",
        "--db",
        db,
        cwd=shared_dir,
        as_nobody=True,
    )
    line = one_error_line(result)
    assert result.returncode == 2
    assert line == (
        f"Error: --out {locked / 'report'}: cannot write the report there (Permission denied). "
        "Pass a folder you can write to."
    )


@pytest.mark.parametrize("command", ["score", "analyze"])
def test_issue_11_stdin_that_is_not_utf8_is_one_line(command):
    from click.testing import CliRunner

    from narrative.cli import cli

    result = CliRunner().invoke(
        cli, [command, "--stdin"], input=b"Alibaba rose.\n\x94\xff\xfe binary\n", catch_exceptions=False
    )
    line = one_error_line(result)
    assert result.exit_code == 2
    assert line == (
        "Error: standard input: not UTF-8 text (byte 0x94 on line 2). Pass UTF-8 text (e.g. through `iconv -t utf-8`)."
    )


def test_issue_11_text_argument_with_undecodable_bytes_is_one_line():
    line = one_error_line(run("score", "ab\udcffcd"))  # how Python hands over argv bytes that are not UTF-8
    assert line.startswith("Error: TEXT argument 1: not UTF-8 text (an undecodable byte at character 2).")
