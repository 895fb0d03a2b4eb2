"""Issue 11 item 6: read-only stores and wrong files as --db give one line, never a traceback.

Read commands open the store read-only (``mode=ro``, immutable when its folder cannot hold the -shm file);
write commands in a read-only folder, text files, empty files, other programs' SQLite files, stores of a
newer narrative and stores with a renamed column each end with one ``Error:`` line and a documented exit code.
"""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from narrative.store import open_db
from narrative.store.db import readonly_uri
from narrative.store.schema import migrations

from .helpers import make_store, one_error_line, run, run_process

READ_COMMANDS = [("stats",), ("feeds",), ("mentions", "Alibaba"), ("entities",), ("figures",), ("index",)]


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: c[0])
def test_issue_11_read_commands_work_on_a_store_in_a_read_only_folder(shared_dir, command):
    folder = shared_dir / "ro"
    folder.mkdir()
    db = make_store(folder / "n.db")
    db.chmod(0o644)
    before, files = digest(db), sorted(p.name for p in folder.iterdir())
    folder.chmod(0o555)  # nobody may read the store but create nothing next to it (no -shm, -wal or .lock)
    result = run_process(*command, "--db", db, cwd=shared_dir, as_nobody=True)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "readonly" not in result.stderr
    assert digest(db) == before and sorted(p.name for p in folder.iterdir()) == files


@pytest.mark.parametrize(
    "command", [("import", "{archive}", "--no-enrich"), ("ingest", "--feeds", "{feeds}")], ids=["import", "ingest"]
)
def test_issue_11_write_commands_in_a_read_only_folder_give_one_line(shared_dir, command):
    folder = shared_dir / "ro"
    folder.mkdir()
    db = make_store(folder / "n.db")
    db.chmod(0o666)
    (shared_dir / "feeds.yaml").write_text("feeds:\n  - name: local\n    url: local.xml\n", encoding="utf-8")
    folder.chmod(0o555)
    args = [a.format(archive=folder / "archive.csv", feeds=shared_dir / "feeds.yaml") for a in command]
    result = run_process(*args, "--db", db, cwd=shared_dir, as_nobody=True)
    line = one_error_line(result)
    assert result.returncode == 1
    assert f"{db}: cannot write next to the database (Permission denied)" in line and "Read commands" in line


def test_issue_11_write_command_on_a_read_only_file_gives_one_line(shared_dir):
    db = make_store(shared_dir / "n.db")
    db.chmod(0o444)
    for leftover in shared_dir.glob("n.db.lock"):
        leftover.chmod(0o666)  # the lock file root left is not the point of this test
    shared_dir.chmod(0o777)
    result = run_process(
        "import", shared_dir / "archive.csv", "--db", db, "--no-enrich", cwd=shared_dir, as_nobody=True
    )
    line = one_error_line(result)
    assert result.returncode == 1 and "the database file is read-only" in line and "chmod u+w" in line


def test_issue_11_read_only_open_uses_mode_ro_and_cannot_write(tmp_path):
    # As root the folder test above is the real check; this one holds for any user: the reader's connection is
    # opened with mode=ro, so even a bug that tried to write could not change the store.
    db_path = make_store(tmp_path / "n.db")
    assert "?mode=ro" in readonly_uri(db_path)
    db = open_db(db_path, readonly=True)
    try:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            db.execute("DELETE FROM articles")
    finally:
        db.close()


@pytest.mark.parametrize(
    "command",
    [("stats",), ("mentions", "Alibaba"), ("import", "archive.csv", "--no-enrich")],
    ids=["stats", "mentions", "import"],
)
def test_issue_11_text_file_as_db_is_not_a_narrative_database(tmp_path, command):
    (tmp_path / "archive.csv").write_text("url,title,published\nhttp://a.test/1,T,2025-01-02\n", encoding="utf-8")
    notes = tmp_path / "notes.db"
    notes.write_text("my shopping list\n", encoding="utf-8")
    result = run(*command, "--db", notes)
    line = one_error_line(result)
    assert result.exit_code == 2
    assert line.startswith(f"Error: {notes}: not a narrative database (not an SQLite file)")
    assert notes.read_text(encoding="utf-8") == "my shopping list\n"


@pytest.mark.parametrize("command", [("stats",), ("feeds",), ("entities",)], ids=lambda c: c[0])
def test_issue_11_zero_byte_db_read_says_it_is_empty(tmp_path, command):
    empty = tmp_path / "empty.db"
    empty.touch()
    result = run(*command, "--db", empty)
    line = one_error_line(result)
    assert result.exit_code == 2 and "the database is empty" in line and "narrative import" in line
    assert empty.stat().st_size == 0


def test_issue_11_zero_byte_db_write_initialises_it(tmp_path):
    empty = tmp_path / "empty.db"
    empty.touch()
    make_store(empty)
    stats = run("stats", "--db", empty, "--format", "json")
    assert stats.exit_code == 0 and '"articles": 2' in stats.stdout


@pytest.mark.parametrize("command", [("stats",), ("import", "archive.csv", "--no-enrich")], ids=["stats", "import"])
def test_issue_11_other_programs_sqlite_file_is_refused(tmp_path, command):
    (tmp_path / "archive.csv").write_text("url,title,published\nhttp://a.test/1,T,2025-01-02\n", encoding="utf-8")
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.commit()
    conn.close()
    before = digest(other)
    result = run(*command, "--db", other)
    line = one_error_line(result)
    assert result.exit_code == 2 and "not a narrative database" in line and "tables recipes" in line
    assert digest(other) == before


@pytest.mark.parametrize(
    "command",
    [("stats",), ("mentions", "Alibaba"), ("import", "archive.csv", "--no-enrich")],
    ids=["stats", "mentions", "import"],
)
def test_issue_11_store_from_a_newer_schema_is_refused_naming_the_version(tmp_path, command):
    db = make_store(tmp_path / "n.db")
    conn = sqlite3.connect(db)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('narrative', 'm999_from_the_future', '2030-01-01')"
    )
    conn.commit()
    conn.close()
    before = digest(db)
    result = run(*command, "--db", db)
    line = one_error_line(result)
    newest = [m.name for m in migrations._migrations][-1]
    assert result.exit_code == 1
    assert f"written by a newer narrative (schema m999_from_the_future; this version knows up to {newest})" in line
    assert "pip install -U narrative" in line and digest(db) == before


@pytest.mark.parametrize("command", [("stats",), ("import", "archive.csv", "--no-enrich")], ids=["stats", "import"])
def test_issue_11_renamed_column_is_reported_not_a_crash(tmp_path, command):
    db = make_store(tmp_path / "n.db")
    conn = sqlite3.connect(db)
    conn.execute("ALTER TABLE articles RENAME COLUMN content_hash TO body_hash")
    conn.commit()
    conn.close()
    result = run(*command, "--db", db)
    line = one_error_line(result)
    assert result.exit_code == 1
    assert "table 'articles' has no column 'content_hash'" in line and "changed outside narrative" in line


def test_issue_11_store_of_an_older_version_is_read_after_one_write(tmp_path):
    db_path = tmp_path / "old.db"
    db = open_db(db_path, migrate=False)
    migrations.apply(db, stop_before="m006_stories")  # a store written before issue 9's stories
    db.close()
    result = run("stats", "--db", db_path)
    line = one_error_line(result)
    assert result.exit_code == 1 and "written by an older narrative (schema m005_point_in_time" in line
    make_store(db_path)  # any write command upgrades it
    assert run("stats", "--db", db_path).exit_code == 0


def test_issue_11_damaged_store_is_named_at_open(tmp_path):
    db = make_store(tmp_path / "n.db")
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])  # cut in half: the schema pages no longer add up
    result = run("stats", "--db", db)
    line = one_error_line(result)
    assert result.exit_code == 1 and f"{db}: the database file is damaged (database disk image is malformed)" in line
    assert ".recover" in line


def test_issue_11_damage_found_mid_query_is_one_line(tmp_path):
    db = make_store(tmp_path / "n.db")
    conn = sqlite3.connect(db)
    # enough rows that the articles table spans pages the schema check at open never reads
    conn.executemany(
        "INSERT INTO articles (title, published, published_source, title_hash, content_hash, "
        "first_seen_at, updated_at, ingest_version) VALUES (?, '2025-01-01', 'archive', ?, ?, '', '', "
        "'t')",
        [(f"title {n} " + "x" * 500, str(n), str(n)) for n in range(400)],
    )
    conn.commit()
    page_size, pages = conn.execute("PRAGMA page_size").fetchone()[0], conn.execute("PRAGMA page_count").fetchone()[0]
    conn.close()
    data = bytearray(db.read_bytes())
    for offset in range(page_size * (pages - 40), page_size * pages, 7):
        data[offset] = 0x5A
    db.write_bytes(bytes(data))
    result = run("stats", "--db", db)
    line = one_error_line(result)
    assert result.exit_code == 1
    assert line.startswith("Error: the database (--db or NARRATIVE_DB) is damaged (database disk image is malformed)")
