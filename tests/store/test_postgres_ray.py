"""``narrative enrich --engine ray`` on a PostgreSQL store (issue 14 items 1 and 2): the Ray driver writes through
PostgreSQL's writer the rows the in-process engine writes into SQLite, and a run killed after a commit is finished
by the next one without losing or doubling a row. A throwaway cluster (tests/conftest.py: postgres_cluster) and a
local Ray instance started here; without PostgreSQL these tests skip, and fail under CI=true."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import imported_store
from sample_articles import ARTICLES

from narrative.api.ray_engine import enrich_ray
from narrative.api.score import sentiment_model
from narrative.cli import cli
from narrative.config import Settings
from narrative.store import reader
from narrative.store.fingerprint import ARTICLE_STORY_COLUMNS, ENRICHMENT_TABLES, WRITE_TIMES

pytestmark = pytest.mark.ray

# Tables whose probabilities depend on the batch a sentence was scored in (int8 sentiment models): compared on
# these columns when the articles were scored in other chunks than in-process (tests/test_issue_14_ray.py).
SCORED = {
    "sentence_scores": ["article_id", "sentence_idx", "narrative", "relevance", "themes", "entities", "model_version"],
    "entity_sentiment": ["article_id", "sentence_idx", "entity_id", "model_version"],
    "article_scores": ["article_id", "narrative", "relevance", "model_version"],
}


@pytest.fixture(scope="module")
def inprocess_sqlite(tmp_path_factory) -> Path:
    """The sample articles imported and enriched in-process into SQLite: the reference rows."""
    sentiment_model(Settings.load().sentiment_model or None).clear_cache()  # scores from this batch alone
    return imported_store(tmp_path_factory.mktemp("inprocess"), ARTICLES)


def columns(reference: Path) -> dict[str, list[str]]:
    """Per enrichment table (and ``articles``' story columns), the columns compared: all but the write times."""
    with closing(sqlite3.connect(reference)) as conn:
        out = {
            table: [row[1] for row in conn.execute(f"PRAGMA table_info([{table}])") if row[1] not in WRITE_TIMES]
            for table in ENRICHMENT_TABLES
        }
    out["articles"] = list(ARTICLE_STORY_COLUMNS)
    return out


def rows(store: str, table: str, listed: list[str]) -> list[tuple]:
    """The table's rows on either backend, as plain tuples sorted in Python (the backends order NULLs apart)."""
    quoted = ", ".join(f'"{column}"' for column in listed)
    with reader(Settings.load(db=store)) as db:
        found = [tuple(row) for row in db.execute(f"SELECT {quoted} FROM {table}").fetchall()]
    return sorted(found, key=repr)


def stored_without_enrichment(url: str, folder: Path) -> None:
    archive = folder / "news.jsonl"
    archive.write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in ARTICLES), encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", str(archive), "--db", url, "--source", "test", "--no-enrich"])
    assert result.exit_code == 0, result.output


def test_issue_14_pg_enrich_engine_ray_writes_the_in_process_rows(
    postgres_cluster, local_ray, inprocess_sqlite, tmp_path
):
    url = postgres_cluster.migrated()
    stored_without_enrichment(url, tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["enrich", "--engine", "ray", "--num-workers", "2", "--db", url])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"enriched {len(ARTICLES)} articles"), result.output
    reference = str(inprocess_sqlite)
    compared = columns(inprocess_sqlite)
    for table, listed in compared.items():  # one chunk, as in-process scores them in one batch: every row equal
        assert rows(url, table, listed) == rows(reference, table, listed), table
    for table in ("mentions", "mention_sentiment", "figures", "sentence_scores", "article_entities", "stories"):
        assert rows(reference, table, compared[table]), table  # something was compared
    result = runner.invoke(cli, ["enrich", "--engine", "ray", "--num-workers", "2", "--db", url])
    assert result.exit_code == 0 and result.output.startswith("nothing to extract"), result.output


class DriverKilledError(Exception):
    """Raised by the progress callback: the driver dies after a commit, as a kill between transactions would."""


def test_issue_14_pg_ray_run_killed_after_a_commit_is_finished_without_duplicates(
    postgres_cluster, local_ray, inprocess_sqlite, tmp_path
):
    url = postgres_cluster.migrated()
    stored_without_enrichment(url, tmp_path)
    settings = Settings.load(db=url)

    def die_after_first_commit(event):
        if event["event"] == "batch":
            raise DriverKilledError

    # One article per chunk and per transaction: the driver dies once the first article is committed.
    with pytest.raises(DriverKilledError):
        enrich_ray(settings, num_workers=2, chunk_articles=1, commit_articles=1, progress=die_after_first_commit)
    with reader(settings) as db:
        assert db.execute("SELECT article_id FROM enrichments").fetchall() == [(1,)]
        mentions = db.execute("SELECT id FROM mentions ORDER BY id").fetchall()
        assert mentions and db.execute("SELECT mention_id FROM mention_sentiment ORDER BY 1").fetchall() == mentions
    assert enrich_ray(settings, num_workers=2, chunk_articles=1, commit_articles=1).articles == len(ARTICLES) - 1
    reference = str(inprocess_sqlite)
    for table, listed in columns(inprocess_sqlite).items():
        listed = SCORED.get(table, listed)  # scored one article per chunk here, all three together in-process
        assert rows(url, table, listed) == rows(reference, table, listed), table
    assert enrich_ray(settings, num_workers=2).articles == 0  # nothing left: another run adds nothing
