"""Issue 12 / 14 item 4: read commands open the store without sqlite-utils and without running the migrations.

A reader is a plain sqlite3 connection behind the few ``Database`` calls the read modules make
(:class:`narrative.store.db.SqliteReader`), and the schema it is checked against comes from a cache kept while the
migrations' files are unchanged (:mod:`narrative.store.schema_snapshot`). Each fast path is compared with the slow
one it replaces; start-up is checked by what gets imported, never by time.
"""

from __future__ import annotations

import sqlite3
import sys

import pytest

from narrative.file_cache import cached_by_files
from narrative.store import open_db, reader
from narrative.store import schema_snapshot as snapshot
from narrative.store.aggregates import top_entities, top_entities_direct
from narrative.store.db import SqliteReader, expected_columns
from narrative.store.recent import figure_page, mention_page
from narrative.store.search import search_articles
from narrative.store.stats import store_summary
from tests.cli.test_startup import heavy_modules_after
from tests.cli.test_startup import scored_store as scored_store  # a fixture
from tests.store.test_aggregates import filled_store


def test_issue_14_cached_schema_equals_the_migrations_run_and_is_reused(tmp_path, monkeypatch):
    build = snapshot._build_schema
    fresh, sources = build()
    builds = []

    def counted():
        builds.append(1)
        return build()

    monkeypatch.setattr(snapshot, "_build_schema", counted)
    first = snapshot.load_schema(cached_by_files)
    second = snapshot.load_schema(cached_by_files)
    assert first == second == fresh
    assert len(builds) == 1  # the second process-equivalent read it from the cache
    assert fresh["migrations"][0] == "m001_ingest_tables" and "articles" in fresh["tables"]
    assert {p.name for p in sources} >= {"schema.py", "db.py", "aggregates.py", "session_index.py"}


def test_issue_14_cached_schema_is_rebuilt_when_a_migration_file_changes(tmp_path, monkeypatch):
    # A stand-in for the store package's files: the cache is keyed by the files the build says it read.
    source = tmp_path / "schema.py"
    source.write_text("v1", encoding="utf-8")
    built = []

    def build():
        built.append(source.read_text(encoding="utf-8"))
        return {"migrations": [built[-1]]}, [source]

    monkeypatch.setattr(snapshot, "_build_schema", build)
    assert snapshot.load_schema(cached_by_files)["migrations"] == ["v1"]
    assert snapshot.load_schema(cached_by_files)["migrations"] == ["v1"] and len(built) == 1
    source.write_text("v2 (a new migration)", encoding="utf-8")
    assert snapshot.load_schema(cached_by_files)["migrations"] == ["v2 (a new migration)"]


def test_issue_14_reader_is_the_light_wrapper_and_reads_what_sqlite_utils_reads(tmp_path):
    path = filled_store(tmp_path / "agg.db")
    slow = open_db(path)  # sqlite-utils' Database (what readers were)
    with reader(path) as fast:
        assert isinstance(fast, SqliteReader)
        for read in (
            lambda db: store_summary(db),
            lambda db: top_entities(db, since_day=None, until_day=None, limit=20, offset=0, linked_only=False),
            lambda db: top_entities_direct(db, since=None, until=None, limit=20, offset=0, linked_only=False),
            lambda db: mention_page(db, entity_id="alibaba", name=None, since=None, until=None, limit=5, offset=0),
            lambda db: figure_page(db, entity_id=None, name=None, since=None, until=None, kind=None, limit=5, offset=0),
            lambda db: sorted(db.table_names()),
            lambda db: list(db.query("SELECT id, title FROM articles ORDER BY id")),
            lambda db: search_articles(db, "title"),
        ):
            assert read(fast) == read(slow)
        assert "database" not in vars(fast)  # none of those reads fell through to sqlite-utils
        # Anything else is sqlite-utils' Database on the same connection.
        assert fast["articles"].columns_dict == slow["articles"].columns_dict
    slow.close()


def test_issue_14_reader_still_refuses_a_changed_store_with_the_cached_schema(tmp_path, monkeypatch):
    monkeypatch.setattr(snapshot, "schema_cache", cached_by_files)
    snapshot.migrated_schema.cache_clear()
    snapshot.expected_columns.cache_clear()
    try:
        path = filled_store(tmp_path / "agg.db")
        conn = sqlite3.connect(path)
        conn.execute("ALTER TABLE mentions RENAME COLUMN surface TO surface_text")
        conn.commit()
        conn.close()
        with pytest.raises(Exception, match="table 'mentions' has no column 'surface'"), reader(path):
            pass
        assert "surface" in expected_columns()["mentions"]
    finally:
        snapshot.migrated_schema.cache_clear()
        snapshot.expected_columns.cache_clear()


@pytest.mark.parametrize(
    "command",
    [
        ["entities"],
        ["entities", "--since", "2025-03-02"],
        ["mentions", "alibaba", "--limit", "50"],
        ["figures", "alibaba", "--limit", "50"],
        ["figures", "--limit", "50"],
        ["index", "--narrative", "china-ai"],
        ["index", "--narrative", "china-ai", "--sessions", "XNYS"],
        ["sentiment", "alibaba", "--daily"],
        ["stats"],
    ],
)
def test_issue_14_read_commands_import_no_sqlite_utils(tmp_path, scored_store, command):
    args = [*command, "--db", str(scored_store)]
    heavy_modules_after(args, tmp_path)  # the first run fills the caches (catalog names, the migrated schema)
    outcome = heavy_modules_after(args, tmp_path, heavy=("sqlite_utils", "narrative.store.schema"))
    assert outcome["heavy"] == []
    assert outcome["code"] in (0, None)


def test_issue_14_sqlite_reader_wraps_any_connection():
    db = SqliteReader(sqlite3.connect(":memory:"))
    db.execute("CREATE TABLE t (a INTEGER)")
    db.conn.executemany("INSERT INTO t VALUES (?)", [(1,), (2,)])
    assert db.table_names() == ["t"]
    assert list(db.query("SELECT a FROM t ORDER BY a")) == [{"a": 1}, {"a": 2}]
    assert db.execute("SELECT count(*) FROM t").fetchone() == (2,)
    db.close()


@pytest.mark.parametrize(
    "env",
    [
        {"HOME": "{tmp}"},
        {"HOME": "{tmp}/"},
        {"HOME": "/"},
        {"HOME": "{tmp}", "XDG_DATA_HOME": "{tmp}/xdg"},
        {"HOME": "{tmp}", "XDG_DATA_HOME": "relative/xdg"},
        {"HOME": "relative"},
        {"HOME": "{tmp}", "ANDROID_DATA": "/data"},
    ],
)
def test_issue_14_home_dir_without_narrative_home_is_platformdirs_answer(tmp_path, monkeypatch, env):
    from pathlib import Path

    from platformdirs import user_data_dir

    from narrative import plugins

    monkeypatch.delenv("NARRATIVE_HOME", raising=False)
    for name in ("XDG_DATA_HOME", "ANDROID_DATA"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value.format(tmp=tmp_path))
    assert plugins.home_dir() == Path(user_data_dir("narrative", appauthor=False))


@pytest.mark.skipif(sys.platform != "linux", reason="the data folder is read without platformdirs on Linux only")
def test_issue_14_read_command_without_narrative_home_imports_no_platformdirs(tmp_path, scored_store):
    args = ["stats", "--db", str(scored_store)]
    heavy_modules_after(args, tmp_path, narrative_home=False)  # fills the cache under ~/.local/share/narrative
    outcome = heavy_modules_after(args, tmp_path, heavy=("platformdirs", "tempfile"), narrative_home=False)
    assert outcome["heavy"] == []
    assert outcome["code"] in (0, None)
    assert (tmp_path / ".local" / "share" / "narrative" / "cache").is_dir()


@pytest.mark.parametrize(
    ("command", "frozen"),
    [(["stats"], True), (["index", "--narrative", "china-ai"], True), (["models", "path"], False)],
)
def test_issue_14_read_commands_exit_without_the_final_collections(tmp_path, scored_store, command, frozen):
    # What the process does at exit (atexit callbacks): a read command freezes its objects out of the final
    # garbage collections; any other command leaves them to the interpreter as usual.
    import subprocess
    import textwrap

    args = [*command, "--db", str(scored_store)] if command != ["models", "path"] else command
    program = textwrap.dedent(f"""
        import atexit, gc, io, sys, contextlib
        import narrative.cli
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                narrative.cli.cli.main({args!r}, prog_name="narrative", standalone_mode=False)
            except SystemExit:
                pass
        before = gc.get_freeze_count()
        atexit._run_exitfuncs()
        print(before, gc.get_freeze_count())
    """)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "NARRATIVE_HOME": str(tmp_path / "home")}
    result = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, check=True)
    before, after = map(int, result.stdout.split())
    assert before == 0
    assert (after > 0) is frozen
