"""PostgreSQL as the store (issue 14 item 2): the same schema and store code on both backends, full-text search
(Chinese too), concurrent writers, read-only readers, and the one-line errors. A throwaway cluster is started for
the session (tests/conftest.py: postgres_cluster); without PostgreSQL these tests skip, and fail under CI=true."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import imported_store, make_items, rss, static, write_feeds

# The dedupe tests of the SQLite store, run again on PostgreSQL through the `db` fixture below.
from sample_articles import ARTICLES

from narrative.cli import cli
from narrative.store import open_db, reader
from narrative.store.db import expected_columns
from narrative.store.postgres import MIGRATIONS_TABLE, SQLITE_ONLY, applied, shown_url
from narrative.store.postgres_sql import translate, translate_trigger
from narrative.store.schema import migrations
from narrative.store.search import search_articles
from narrative.store.stats import store_summary
from store.test_articles import (  # noqa: F401 (collected by pytest with this module's `db`)
    item,
    save,
    test_store_batch_is_atomic,
    test_store_duplicate_keeps_the_fuller_text,
    test_store_home_page_links_do_not_merge_stories,
    test_store_same_guid_from_another_source_is_not_trusted_alone,
    test_store_same_guid_from_same_source_is_seen,
    test_store_short_titles_need_matching_content,
    test_store_title_match_only_within_window,
    test_store_tracking_parameters_and_fragment_match_by_url,
)


@pytest.fixture
def db(postgres_cluster):
    store = open_db(postgres_cluster.migrated())
    yield store
    store.close()


# -- the translator (no server needed) ------------------------------------------------------------------------------


def test_issue_14_pg_translates_the_sqlite_constructs_the_store_uses():
    assert translate("SELECT 1 FROM t WHERE a = ? AND b IN (?, ?) LIMIT -1 OFFSET ?") == (
        "SELECT 1 FROM t WHERE a = $1 AND b IN ($2, $3) LIMIT ALL OFFSET $4"
    )
    assert translate("SELECT ? || '?'") == "SELECT $1 || '?'"  # a ? inside a literal is text
    assert translate("SELECT m.id FROM articles a CROSS JOIN mentions m ON m.article_id = a.id WHERE +m.name = ?") == (
        "SELECT m.id FROM articles a JOIN mentions m ON m.article_id = a.id WHERE name = $1".replace("name", "m.name")
    )
    assert translate("CREATE INDEX i ON mentions(name COLLATE NOCASE)") == "CREATE INDEX i ON mentions(lower(name))"
    assert translate("SELECT count(*) FROM (SELECT 1 FROM t GROUP BY a)") == (
        "SELECT count(*) FROM (SELECT 1 FROM t GROUP BY a) AS subquery_1"
    )
    assert translate("SELECT date(?, '+1 day')") == "SELECT narrative_date($1, '+1 day')"
    assert translate("SELECT m.entity_id IS NOT NULL AS linked") == "SELECT (m.entity_id IS NOT NULL)::int AS linked"
    assert "IS DISTINCT FROM NEW.language" in translate("SELECT 1 WHERE OLD.language IS NOT NEW.language")
    with pytest.raises(ValueError, match="primary key"):
        translate("INSERT OR REPLACE INTO unknown_table (a) VALUES (?)")


def test_issue_14_pg_triggers_become_plpgsql_functions():
    function, trigger = translate_trigger(
        "CREATE TRIGGER t AFTER UPDATE OF language ON articles WHEN OLD.language IS NOT NEW.language BEGIN "
        "UPDATE c SET n = n - 1 WHERE k = OLD.language; SELECT RAISE(ABORT, 'never; ever'); END"
    )
    assert "IF OLD.language IS DISTINCT FROM NEW.language THEN UPDATE c SET n = n - 1" in function
    assert "RAISE EXCEPTION 'never; ever';" in function
    assert trigger == "CREATE TRIGGER t AFTER UPDATE OF language ON articles FOR EACH ROW EXECUTE FUNCTION t_fn()"


def test_issue_14_pg_messages_never_show_the_password():
    assert shown_url("postgresql://me:s3cret@db:5432/n") == "postgresql://me:***@db:5432/n"


# -- schema and migrations ------------------------------------------------------------------------------------------


def test_issue_14_pg_same_migrations_and_every_column(postgres_cluster):
    store = open_db(postgres_cluster.database())
    try:
        assert applied(store) == [m.name for m in migrations._migrations]
        for table, columns in expected_columns().items():
            if not table.startswith(SQLITE_ONLY):
                found = [name for name, _ in store.columns(table)]
                assert set(columns) <= set(found), table
        assert MIGRATIONS_TABLE in store.table_names()
    finally:
        store.close()
    again = open_db(postgres_cluster.url(f"test_{postgres_cluster.count}"))  # nothing left to apply
    assert applied(again) == [m.name for m in migrations._migrations]
    again.close()


def test_issue_14_pg_a_newer_store_is_refused(postgres_cluster):
    url = postgres_cluster.migrated()
    store = open_db(url)
    store.raw.execute(
        f"INSERT INTO {MIGRATIONS_TABLE} (migration_set, name, applied_at) "
        "VALUES ('narrative', 'm999_from_the_future', '2999-01-01T00:00:00+00:00')"
    )
    store.close()
    result = CliRunner().invoke(cli, ["stats", "--db", url])
    assert result.exit_code == 1
    assert "written by a newer narrative (schema m999_from_the_future" in result.output


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ("ALTER TABLE mentions RENAME COLUMN surface TO surface_text", "table 'mentions' has no column ['surface']"),
        ("DROP TABLE entity_totals", "table 'entity_totals' is missing"),
    ],
)
def test_issue_14_pg_a_reader_refuses_a_store_missing_a_column_or_table(postgres_cluster, change, problem):
    url = postgres_cluster.migrated()
    store = open_db(url)
    store.raw.execute(change)
    store.close()
    result = CliRunner().invoke(cli, ["stats", "--db", url])
    assert result.exit_code == 1 and problem in result.output


def test_issue_14_pg_readers_cannot_write(postgres_cluster):
    import psycopg

    url = postgres_cluster.migrated()
    with reader(url) as store, pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        store.execute("INSERT INTO store_counts (name, value) VALUES ('x', 1)")


def test_issue_14_pg_an_empty_database_is_refused_for_reading(postgres_cluster):
    result = CliRunner().invoke(cli, ["stats", "--db", postgres_cluster.database()])
    assert result.exit_code == 2
    assert "empty" in result.output.lower() or "no narrative" in result.output.lower()


# -- errors ---------------------------------------------------------------------------------------------------------


def test_issue_14_pg_an_unreachable_server_is_one_line_exit_2(tmp_path):
    url = f"postgresql://nobody:pw@/narrative?host={tmp_path}&port=1"
    result = subprocess.run(
        [sys.executable, "-m", "narrative", "stats", "--db", url], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "cannot connect to PostgreSQL" in result.stderr and "nobody:***@" in result.stderr


def test_issue_14_pg_without_psycopg_is_one_line_exit_2():
    # psycopg made unimportable in a child interpreter: what a user without the `postgres` extra sees
    code = "import sys; sys.modules['psycopg'] = None; from narrative.cli import main; main()"
    result = subprocess.run(
        [sys.executable, "-c", code, "stats", "--db", "postgresql://me@db.example/narrative"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        "Error: --db postgresql://me@db.example/narrative: PostgreSQL needs psycopg: pip install "
        "'narrative[postgres]' (or pip install 'psycopg[binary]')."
    ]


# -- the same results on both backends -----------------------------------------------------------------------------


def test_issue_14_pg_stats_and_search_on_both_backends(backend_db):
    store = open_db(backend_db)
    with store.atomic():
        save(store, "a", item("Alibaba cloud revenue jumps on AI demand", url="https://a.example.test/1"))
        save(store, "b", item("Alibaba cloud revenue jumps on AI demand", url="https://b.example.test/9"))
        save(store, "a", item("阿里巴巴云业务收入大涨", summary="阿里云收入增长。", url="https://a.example.test/2"))
    summary = store_summary(store)
    assert (summary["articles"], summary["sources"], summary["multi_source_articles"]) == (2, 2, 1)
    assert summary["by_source"] == [{"source": "a", "articles": 2}, {"source": "b", "articles": 1}]
    assert [r["id"] for r in search_articles(store, "alibaba CLOUD")] == [1]
    assert [r["id"] for r in search_articles(store, '"cloud revenue" demand')] == [1]
    assert search_articles(store, '"revenue cloud"') == []
    assert [r["id"] for r in search_articles(store, "云业务")] == [2]  # a word inside a run of Chinese
    assert [r["id"] for r in search_articles(store, "阿里巴巴 收入")] == [2]
    assert search_articles(store, "云收入大") == []
    store.close()


@pytest.fixture(scope="module")
def imported_pair(tmp_path_factory, postgres_cluster):
    """The three articles imported (and enriched and scored) once into SQLite and once into PostgreSQL."""
    sqlite = imported_store(tmp_path_factory.mktemp("sqlite"), ARTICLES)
    folder = tmp_path_factory.mktemp("postgres")
    archive = folder / "news.jsonl"
    archive.write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in ARTICLES), encoding="utf-8")
    url = postgres_cluster.database()
    result = CliRunner().invoke(cli, ["import", str(archive), "--db", url, "--source", "test"])
    assert result.exit_code == 0, result.output
    return str(sqlite), url


@pytest.mark.parametrize(
    "command",
    [
        ["stats"],
        ["mentions", "alibaba"],
        ["mentions", "阿里巴巴"],
        ["entities"],
        ["entities", "--since", "2025-09-01"],
        ["figures", "alibaba"],
        ["index"],
        ["sentiment", "alibaba"],
        ["claims"],
    ],
    ids=" ".join,
)
def test_issue_14_pg_read_commands_print_what_sqlite_prints(imported_pair, command):
    sqlite, postgres = imported_pair
    outputs = []
    for store in (sqlite, postgres):
        result = CliRunner().invoke(cli, [*command, "--db", store, "--format", "json"])
        assert result.exit_code == 0, result.output
        outputs.append(json.loads(result.output))
    assert outputs[0] == outputs[1]
    assert outputs[0]  # something to compare


def test_issue_14_pg_enrich_stored_the_same_rows(imported_pair):
    counts = []
    tables = ["articles", "sentences", "mentions", "figures", "mention_sentiment", "article_entities"]
    for store in imported_pair:
        with reader(store) as db:
            counts.append({t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables})
            assert db.execute("SELECT count(*) FROM aggregate_dirty").fetchone()[0] == 0
    assert counts[0] == counts[1]
    assert counts[1]["mentions"] > 5 and counts[1]["figures"] > 2


def test_issue_14_pg_ingest_stores_each_story_once_on_both_backends(backend_db, server, tmp_path):
    """Two feeds sharing stories, fetched twice: the same articles, sources and feed state on each backend."""
    first = make_items("a", 12)
    second = [dict(i, guid=f"b-{n}", link=f"http://other.test/{n}") for n, i in enumerate(first[:6])]
    server.routes["/a.xml"] = static(rss(first), etag='"a1"')
    own = [
        {"title": f"Regulator fines lender {n} over loan books", "link": f"http://other.test/own/{n}", "guid": f"o{n}"}
        for n in range(3)
    ]
    server.routes["/b.xml"] = static(rss(second + own))
    feeds = write_feeds(
        tmp_path / "feeds.yaml",
        [{"name": "feed-a", "url": server.url("/a.xml")}, {"name": "feed-b", "url": server.url("/b.xml")}],
    )
    for _ in range(2):
        result = CliRunner().invoke(
            cli, ["ingest", "--feeds", str(feeds), "--db", backend_db, "--silent", "--no-enrich"]
        )
        assert result.exit_code == 0, result.output
    assert "0 new" in result.output
    with reader(backend_db) as store:
        summary = store_summary(store)
        assert (summary["articles"], summary["multi_source_articles"]) == (15, 6)
        assert summary["by_source"] == [{"source": "feed-b", "articles": 9}, {"source": "feed-a", "articles": 12}][::-1]
        assert store.execute("SELECT count(*) FROM article_sources").fetchone()[0] == 21
        assert store.execute("SELECT etag, last_status FROM feeds WHERE name = 'feed-a'").fetchone() == (
            '"a1"',
            "not_modified",
        )
        assert store.execute("SELECT count(*) FROM fetches").fetchone()[0] == 4
    listed = CliRunner().invoke(cli, ["feeds", "--feeds", str(feeds), "--db", backend_db, "--format", "json"])
    assert listed.exit_code == 0, listed.output
    assert [(f["name"], f["last_status"], f["articles"]) for f in json.loads(listed.output)] == [
        ("feed-a", "not_modified", 12),
        ("feed-b", "unchanged", 9),
    ]


def test_issue_14_pg_export_writes_the_same_parquet_on_both_backends(imported_pair, tmp_path):
    import pyarrow.parquet as pq

    tables = []
    for n, store in enumerate(imported_pair):
        result = CliRunner().invoke(
            cli, ["export", "--format", "parquet", "--out", str(tmp_path / str(n)), "--db", store]
        )
        assert result.exit_code == 0, result.output
        tables.append({path.name: pq.read_table(path) for path in sorted((tmp_path / str(n)).glob("*.parquet"))})
    sqlite, postgres = tables
    assert sorted(sqlite) == sorted(postgres) and "mentions.parquet" in sqlite
    for name, table in sqlite.items():
        other = postgres[name]
        assert table.schema == other.schema, name
        clocks = [c for c in table.column_names if c.endswith("_at")]  # when each import ran: its own clock
        table, other = (t.drop_columns(clocks) for t in (table, other))
        assert table.to_pylist() == other.to_pylist(), name
    manifests = [json.loads((tmp_path / str(n) / "manifest.json").read_text()) for n in (0, 1)]
    assert manifests[0]["schema_version"] == manifests[1]["schema_version"]


# -- concurrent writers ---------------------------------------------------------------------------------------------


def test_issue_14_pg_a_second_writer_waits_for_the_first_transaction(postgres_cluster):
    """The dedupe check and the insert of one writer never interleave with another's: the second writer's
    transaction waits (on the advisory lock) until the first commits, then sees its rows and stores only the rest."""
    import threading
    import time

    from narrative.store.articles import save_items

    url = postgres_cluster.migrated()
    first, second = open_db(url), open_db(url)
    items = [item(f"Chip maker {n} widens its lead in memory", url=f"https://w.example.test/{n}") for n in range(10)]
    done = {}

    def write(store, part):
        with store.atomic():
            return save_items(store, source="w", source_kind="feed", items=part, window_hours=72, now="2026-01-01")

    thread = threading.Thread(target=lambda: done.update(stats=write(second, items[5:])))
    with first.atomic():
        save_items(first, source="w", source_kind="feed", items=items[:8], window_hours=72, now="2026-01-01")
        thread.start()
        waiting = None
        for _ in range(1200):  # until the second writer is blocked (a bound, not a timed assertion)
            waiting = first.raw.execute(
                "SELECT wait_event FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'",
                [second.raw.info.backend_pid],
            ).fetchone()
            if waiting:
                break
            time.sleep(0.05)
        assert waiting == ("advisory",)
    thread.join()
    assert (done["stats"].new, done["stats"].seen) == (2, 3)
    assert first.execute("SELECT count(*), count(DISTINCT url) FROM articles").fetchone() == (10, 10)
    first.close()
    second.close()


def test_issue_14_pg_two_imports_at_once_store_each_article_once(postgres_cluster, tmp_path):
    """Two processes import overlapping archives at the same time: every article once, every source row once."""
    rows = [
        {
            "url": f"https://c.example.test/{n}",
            "title": f"Company {n} reports quarterly results number {n}",
            "published": f"2025-03-{1 + n % 28:02d}T09:00:00+00:00",
            "text": f"Company {n} said revenue rose {n}% in the quarter.",
        }
        for n in range(300)
    ]
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text("\n".join(json.dumps(r) for r in rows[:200]), encoding="utf-8")
    second.write_text("\n".join(json.dumps(r) for r in rows[100:]), encoding="utf-8")
    url = postgres_cluster.database()
    env = {**os.environ, "NARRATIVE_DB": url}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "narrative", "import", str(path), "--no-enrich", "--source", "archive"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path in (first, second)
    ]
    for process in processes:
        _, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    with reader(url) as store:
        assert store.execute("SELECT count(*), count(DISTINCT url) FROM articles").fetchone() == (300, 300)
        assert store.execute("SELECT count(*) FROM article_sources").fetchone()[0] == 300
        assert store_summary(store)["by_source"] == [{"source": "archive", "articles": 300}]


def test_issue_14_pg_serve_names_what_to_use_instead(postgres_cluster):
    result = CliRunner().invoke(cli, ["serve", "--db", postgres_cluster.migrated()])
    assert result.exit_code == 2
    assert "psql" in result.output and "Traceback" not in result.output


def test_issue_14_pg_the_sqlite_default_is_untouched(tmp_path):
    store = open_db(tmp_path / "n.db")
    assert not hasattr(store, "dialect") and Path(tmp_path / "n.db").exists()
    store.close()
