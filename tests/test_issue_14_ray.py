"""Issue 14 item 1: `narrative enrich --engine ray` gives the in-process engine's rows, and a run killed after some
commits is finished by the next one without duplicates. One local Ray instance (2 CPUs) for the module."""

from __future__ import annotations

import json
import os
import pickle
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import ray
from click.testing import CliRunner
from conftest import copy_store, query
from sample_articles import HEADLINE_PAIRS
from sqlite_utils import Database

from narrative import api
from narrative.api import ray_engine
from narrative.api import stories as stories_api
from narrative.api.ray_actor import EnrichActor
from narrative.api.ray_engine import enrich_ray
from narrative.api.score import sentiment_model
from narrative.catalog import models_dir
from narrative.cli import cli
from narrative.config import Settings
from narrative.nlp.stories import encode_articles, story_article
from narrative.store.fingerprint import enrichment_rows
from narrative.store.stories import story_material

pytestmark = pytest.mark.ray

ARTICLES = HEADLINE_PAIRS[:8]  # hand-written (no shared data): entities, figures, Chinese text, a narrative's words


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    """The articles as a JSONL archive."""
    archive = tmp_path_factory.mktemp("ray_archive") / "news.jsonl"
    rows = [
        {
            "url": f"https://r.example.test/{n}",
            "title": title,
            "text": text,
            "published": f"2025-09-{10 + n:02d}T08:00:00+00:00",
        }
        for n, (title, text) in enumerate(ARTICLES)
    ]
    archive.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    return archive


@pytest.fixture(scope="module")
def raw_store(archive, tmp_path_factory) -> Path:
    """The articles stored, not yet enriched."""
    db = tmp_path_factory.mktemp("ray_store") / "narrative.db"
    assert api.import_archive(str(archive), db_path=str(db), source="test", enrich=False).new == len(ARTICLES)
    return db


@pytest.fixture(scope="module")
def inprocess_store(raw_store, tmp_path_factory) -> str:
    db = copy_store(raw_store, tmp_path_factory.mktemp("inprocess"))
    sentiment_model(Settings.load().sentiment_model or None).clear_cache()  # scores from this run alone
    assert api.enrich(db_path=db).articles == len(ARTICLES)
    return db


def test_issue_14_unreachable_ray_address_is_one_line(raw_store, tmp_path):
    """Before any Ray instance exists in this process (the module's starts with the next test)."""
    assert not ray.is_initialized()
    db = copy_store(raw_store, tmp_path)
    result = CliRunner().invoke(cli, ["enrich", "--engine", "ray", "--address", "127.0.0.1:notaport", "--db", db])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: --address 127.0.0.1:notaport: cannot reach"), result.output
    assert query(db, "SELECT count(*) FROM enrichments")[0][0] == 0


def content(db: str) -> dict[str, list[tuple]]:
    """Every row the enrichment writes, less the times it was written (store.fingerprint)."""
    with closing(sqlite3.connect(db, timeout=30)) as conn:
        return enrichment_rows(conn)


# The sentiment models quantise activations per batch (int8 ONNX): a sentence's probabilities depend on the sentences
# scored in the same batch (by up to 0.2 here). Scored in other batches than in-process, the rows agree on everything
# but those probabilities and what is computed from them.
SCORED = {
    "sentence_scores": ["article_id", "sentence_idx", "narrative", "relevance", "themes", "entities", "model_version"],
    "entity_sentiment": ["article_id", "sentence_idx", "entity_id", "model_version"],
    "article_scores": ["article_id", "narrative", "relevance", "model_version"],
}


def scored(db: str, table: str) -> list[tuple]:
    listed = ", ".join(SCORED[table])
    return query(db, f"SELECT {listed} FROM [{table}] ORDER BY {listed}")


class DriverKilledError(Exception):
    """Raised by the progress callback: the driver dies after a commit, as a kill between transactions would."""


def test_issue_14_ray_engine_killed_then_resumed_finishes_without_duplicates(
    local_ray, raw_store, inprocess_store, tmp_path, monkeypatch
):
    db = copy_store(raw_store, tmp_path)
    settings = Settings.load(db=db)
    commits = []

    def die_after_two_commits(event):
        if event["event"] == "batch":
            commits.append(event["done"])
            if len(commits) == 2:
                raise DriverKilledError

    # Chunks of 2 articles on 2 actors, a transaction per 2 articles: the driver dies after the second commit.
    with pytest.raises(DriverKilledError):
        enrich_ray(settings, num_workers=2, chunk_articles=2, commit_articles=2, progress=die_after_two_commits)
    assert commits == [2, 4]
    # Exactly the committed transactions survive, each article whole (its scores with it).
    assert query(db, "SELECT article_id FROM enrichments ORDER BY 1") == [(1,), (2,), (3,), (4,)]
    assert query(db, "SELECT DISTINCT article_id FROM article_scores ORDER BY 1") == [(1,), (2,), (3,), (4,)]
    # Mention sentiment is scored in the actors and committed with its article (the driver's tail never ran).
    mentions = query(db, "SELECT id, article_id FROM mentions ORDER BY id")
    assert mentions and query(db, "SELECT mention_id, article_id FROM mention_sentiment ORDER BY 1") == mentions
    # The rest in two rounds (one actor for both) of max(ROUND_ARTICLES, 1 actor x 1 chunk x 2 articles) = 3, then 1.
    monkeypatch.setattr(ray_engine, "ROUND_ARTICLES", 3)
    monkeypatch.setattr(ray_engine, "CHUNKS_PER_ACTOR", 1)
    summary = enrich_ray(settings, num_workers=1, chunk_articles=2, commit_articles=2)
    assert summary.articles == len(ARTICLES) - 4  # the rest only
    resumed, reference = content(db), content(inprocess_store)
    assert reference["mentions"] and reference["figures"] and reference["sentence_scores"]
    for table in reference:
        if table in SCORED:  # scored in batches of 2 articles here, of 8 in-process
            assert scored(db, table) == scored(inprocess_store, table), table
        else:  # no row lost, none twice, the same ids
            assert resumed[table] == reference[table], table
    assert enrich_ray(settings, num_workers=2).articles == 0  # nothing left: another run adds nothing


def test_issue_14_cli_engine_ray_equals_inprocess_and_bad_options(local_ray, raw_store, inprocess_store, tmp_path):
    db = copy_store(raw_store, tmp_path)
    runner = CliRunner()
    result = runner.invoke(cli, ["enrich", "--engine", "ray", "--num-workers", "2", "--db", db])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"enriched {len(ARTICLES)} articles")
    # One chunk, as in-process scores them in one batch: every row identical, scores included.
    assert content(db) == content(inprocess_store)
    for args, needle in (
        (["--num-workers", "2"], "--engine ray"),
        (["--address", "auto"], "--engine ray"),
        (["--engine", "ray", "--num-workers", "0"], "--num-workers 0"),
    ):
        result = runner.invoke(cli, ["enrich", *args, "--db", db])
        assert result.exit_code == 2, (args, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and needle in lines[0], result.output


def test_issue_14_import_engine_ray_stores_then_enriches_like_inprocess(local_ray, archive, inprocess_store, tmp_path):
    """``import --engine ray``: the archive stored by this process, then extracted and scored on the actor pool; the
    rows are those of an in-process import (the in-process store was imported with enrich=False, then enriched)."""
    db = str(tmp_path / "narrative.db")
    runner = CliRunner()
    args = ["import", str(archive), "--source", "test", "--engine", "ray", "--num-workers", "2", "--db", db]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert f"{len(ARTICLES)} new articles" in lines[0] and lines[1].startswith(f"enriched {len(ARTICLES)} articles")
    assert content(db) == content(inprocess_store)
    assert "0 new articles" in runner.invoke(cli, args).output  # again: nothing stored twice, nothing to enrich
    assert content(db) == content(inprocess_store)
    for bad, needle in ((["--num-workers", "2"], "--engine ray"), (["--engine", "ray", "--num-workers", "0"], "0")):
        result = runner.invoke(cli, ["import", str(archive), *bad, "--db", str(tmp_path / "other.db")])
        assert result.exit_code == 2 and needle in result.output.strip().splitlines()[0], result.output
        assert not (tmp_path / "other.db").exists()  # refused before anything is read or written


def test_issue_14_actor_encodes_the_title_and_lead_story_assignment_reads(raw_store, inprocess_store):
    """The actors' story vectors replace the driver's encoding only if each is the vector of what the tail reads back
    from the store (title and lead): built from the extraction in the actor, from the stored sentences in the tail."""
    actor = EnrichActor(catalog_path=None, narratives_dir=None, narrative=None, model_path=None, score=False)
    ids, titles, texts, languages = (
        list(c) for c in zip(*query(raw_store, "SELECT id, title, text, language FROM articles ORDER BY id"))
    )
    payload, vectors, encoded = actor.chunk_with_stories(ids, titles, texts, languages)
    assert len(pickle.loads(payload)) == len(ids) == len(ARTICLES)
    with closing(sqlite3.connect(inprocess_store)) as conn:
        conn.row_factory = sqlite3.Row
        stored = story_material(Database(conn), since="0000")
    read_back = {row["id"]: (a.title, a.lead) for row in stored for a in [stories_api._article(row)]}
    assert dict(zip(ids, encoded, strict=True)) == read_back
    assert any(lead for _, lead in encoded) and any("阿里巴巴" in title for title, _ in encoded)
    assert vectors.shape == (len(ids), 512)
    assert np.allclose(vectors, encode_articles([stories_api._article(row) for row in stored]), atol=1e-5)


def test_issue_14_story_vectors_taken_only_for_the_same_title_and_lead():
    when = datetime(2025, 9, 10, tzinfo=UTC)
    same = story_article(1, when, "Alibaba rose 8%", "Alibaba rose 8% on Friday after it raised its AI budget.")
    other = story_article(2, when, "Baidu slips", "Baidu fell 6% this week.")
    marker = np.full(512, 0.25, dtype=np.float32)  # no encoder gives this: it can only come from ``encoded``
    vectors = stories_api._vectors(
        [same, other], {1: (same.title, same.lead, marker), 2: (other.title, "An older lead.", marker)}
    )
    assert (vectors[0] == marker).all()  # the vector computed elsewhere, for the same text
    assert (vectors[1] == encode_articles([other])[0]).all()  # its lead changed since: encoded again
    assert (stories_api._vectors([other], None) == encode_articles([other])).all()


def test_issue_14_missing_model_in_the_actors_is_one_line(local_ray, raw_store, tmp_path, monkeypatch):
    """An actor that cannot load its models: the driver reports the actor's error in one line, exit 2."""
    db = copy_store(raw_store, tmp_path)
    monkeypatch.setenv("NARRATIVE_SENTIMENT_MODEL", str(tmp_path / "no_model"))
    result = CliRunner().invoke(cli, ["enrich", "--engine", "ray", "--num-workers", "1", "--db", db])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "no_model" in lines[0], result.output
    assert query(db, "SELECT count(*) FROM enrichments")[0][0] == 0


def test_issue_14_driver_has_the_extractor_version_without_spacy():
    """The driver stamps the actors' rows with the version it reads from the catalog and narratives alone, without
    importing spaCy (seconds of CPU in a process that extracts nothing)."""
    from narrative.nlp.pipeline import Extractor

    probe = (
        "import sys\nfrom narrative.api import ray_engine\n"
        "version, _ = ray_engine._extractor_version(None, None)\nprint(version, 'spacy' in sys.modules)"
    )
    printed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    version, catalog = ray_engine._extractor_version(None, None)
    extractor = Extractor.load()
    assert printed == [version, "False"]
    assert version == extractor.version and catalog.fingerprint() == extractor.catalog.fingerprint()


def test_issue_14_actors_on_another_extractor_version_are_refused(local_ray, raw_store, tmp_path, monkeypatch):
    """A driver whose models/ folder differs from the actors' (here only its currency table) would stamp the actors'
    rows with a version they were not computed with: one line, exit 2, nothing written."""
    db = copy_store(raw_store, tmp_path)
    shipped, models = models_dir(), tmp_path / "models"
    models.mkdir()
    for entry in shipped.iterdir():
        if entry.name != "currencies.csv":
            (models / entry.name).symlink_to(entry)
    (models / "currencies.csv").write_text((shipped / "currencies.csv").read_text(encoding="utf-8") + "\n")
    monkeypatch.setenv("NARRATIVE_MODELS", str(models))  # the driver's; the module's actors started without it
    result = CliRunner().invoke(cli, ["enrich", "--engine", "ray", "--num-workers", "1", "--db", db])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: the Ray workers extract with extract-"), result.output
    assert query(db, "SELECT count(*) FROM enrichments")[0][0] == 0


def test_issue_14_local_instance_the_command_starts_gives_the_same_rows(raw_store, inprocess_store, tmp_path):
    """`narrative enrich --engine ray` in its own process starts its own local Ray instance, with Ray's polling
    turned down (ray_engine.LOCAL_SYSTEM_CONFIG): it starts, and the rows are the in-process engine's."""
    db = copy_store(raw_store, tmp_path)
    env = {key: value for key, value in os.environ.items() if key != "RAY_ADDRESS"}
    narrative = Path(sys.executable).with_name("narrative")
    done = subprocess.run(
        [str(narrative), "enrich", "--engine", "ray", "--num-workers", "1", "--db", db],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith(f"enriched {len(ARTICLES)} articles")
    assert content(db) == content(inprocess_store)
