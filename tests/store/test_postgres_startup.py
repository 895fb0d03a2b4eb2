"""Issue 14 item 4: a PostgreSQL read command's start-up. The session's settings travel in the connection's start-up
packet (no round trip each), after any ``options`` the URL gives; the schema check reads every table and column in
one query; no read command imports sqlite-utils or runs the migrations (the migrated schema comes from its cache).
Checked by what the session shows and what gets imported, never by time."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from narrative.store import open_db, reader
from narrative.store.postgres import MIGRATIONS_TABLE, applied
from tests.cli.test_startup import heavy_modules_after


def _settings(db) -> dict[str, str]:
    names = ("TimeZone", "lock_timeout", "default_transaction_read_only", "work_mem")
    return {name: db.raw.execute(f"SHOW {name}").fetchone()[0] for name in names}


def test_issue_14_pg_session_settings_come_with_the_connection(postgres_cluster):
    url = postgres_cluster.migrated()
    with reader(url) as db:
        shown = _settings(db)
        assert shown["TimeZone"] == "UTC" and shown["default_transaction_read_only"] == "on"
        assert shown["lock_timeout"] == "30s"
    writer = open_db(url, lock_timeout=2.5)
    try:
        shown = _settings(writer)
        assert shown["default_transaction_read_only"] == "off" and shown["lock_timeout"] == "2500ms"
        assert shown["TimeZone"] == "UTC"
    finally:
        writer.close()


def test_issue_14_pg_options_of_the_url_are_kept(postgres_cluster):
    url = postgres_cluster.migrated() + "&options=" + quote("-c work_mem=7MB -c TimeZone=Asia/Tokyo")
    with reader(url) as db:
        shown = _settings(db)
    assert shown["work_mem"] == "7MB"
    assert shown["TimeZone"] == "UTC"  # narrative's comparisons of ISO times need UTC: its setting comes last
    assert shown["default_transaction_read_only"] == "on"


def test_issue_14_pg_schema_check_reads_the_tables_it_was_given(postgres_cluster):
    url = postgres_cluster.migrated()
    db = open_db(url)
    try:
        assert applied(db) == applied(db, db.table_names()) != []
        assert applied(db, [t for t in db.table_names() if t != MIGRATIONS_TABLE]) == []
    finally:
        db.close()


@pytest.mark.parametrize("command", [["stats"], ["entities"], ["mentions", "alibaba", "--limit", "5"]])
def test_issue_14_pg_read_commands_import_no_sqlite_utils(tmp_path, postgres_cluster, command):
    url = postgres_cluster.migrated()
    args = [*command, "--db", url]
    heavy_modules_after(args, tmp_path)  # fills the caches (the migrated schema, catalog names)
    outcome = heavy_modules_after(args, tmp_path, heavy=("sqlite_utils", "narrative.store.schema"))
    assert outcome["heavy"] == []
    assert outcome["code"] in (0, None)


def _imported(program: str, cwd) -> set[str]:
    """The modules a fresh interpreter holds after ``program`` (run as the CLI's tests run it: HOME and
    NARRATIVE_HOME under ``cwd``)."""
    import json
    import subprocess
    import sys

    script = f"{program}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)), file=sys.__stderr__)"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "NARRATIVE_HOME": str(cwd / "home")}
    result = subprocess.run([sys.executable, "-c", script], cwd=cwd, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stderr.strip().splitlines()[-1]))


def test_issue_14_pg_read_command_imports_psycopg_and_nothing_else_sqlite_does_not(tmp_path, postgres_cluster):
    # The start-up a PostgreSQL query command pays beyond SQLite's is psycopg's (what it imports to load and to
    # connect: asyncio, importlib.metadata, ctypes, ...) and narrative's two PostgreSQL modules, nothing more.
    url = postgres_cluster.migrated()
    sqlite_path = tmp_path / "store.db"
    open_db(str(sqlite_path)).close()
    run = (
        "import narrative.cli\ntry:\n    narrative.cli.cli.main({!r}, standalone_mode=False)\n"
        "except SystemExit:\n    pass"
    )
    for db in (url, str(sqlite_path)):
        _imported(run.format(["stats", "--db", db]), tmp_path)  # fills the caches
    on_postgres = _imported(run.format(["stats", "--db", url]), tmp_path)
    on_sqlite = _imported(run.format(["stats", "--db", str(sqlite_path)]), tmp_path)
    psycopg_brings = _imported(f"import narrative.cli\nimport psycopg\npsycopg.connect({url!r}).close()", tmp_path)
    assert "psycopg" in on_postgres and "psycopg" not in on_sqlite
    assert on_postgres - on_sqlite - psycopg_brings == {"narrative.store.postgres", "narrative.store.postgres_sql"}
