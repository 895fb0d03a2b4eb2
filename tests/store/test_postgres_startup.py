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
