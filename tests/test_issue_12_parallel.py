"""Issue 12: extraction and scoring on worker processes (api/parallel.py) store exactly the rows of one process; a
worker's failure is one line; a run killed after some commits is finished by the next one.

Real models throughout (spaCy, the sentiment, entity-sentiment and narrative scorer models); hand-written articles.
"""

from __future__ import annotations

import importlib
import json
import os
import sqlite3
import subprocess
import sys
from collections import deque
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import copy_store, query
from sample_articles import HEADLINE_PAIRS

from narrative import api
from narrative.api import parallel
from narrative.cli import cli
from narrative.config import Settings
from narrative.errors import ConfigError, NarrativeError
from narrative.store.fingerprint import enrichment_rows

ARTICLES = HEADLINE_PAIRS  # eleven stories and a wire copy of the first (story grouping, reused sentence scores)
score = importlib.import_module("narrative.api.score")  # the module (narrative.api.score is also a function)
GROUP = 4  # score.BATCH in these tests: three scoring groups, each split into extraction chunks


@pytest.fixture(scope="module")
def raw_store(tmp_path_factory) -> Path:
    """The articles stored, not yet enriched."""
    folder = tmp_path_factory.mktemp("parallel_store")
    archive = folder / "news.jsonl"
    rows = [
        {"url": f"https://p.example.test/{n}", "title": t, "text": x, "published": f"2025-10-{1 + n:02d}T08:00:00Z"}
        for n, (t, x) in enumerate(ARTICLES)
    ]
    archive.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    db = folder / "narrative.db"
    assert api.import_archive(str(archive), db_path=str(db), source="test", enrich=False).new == len(ARTICLES)
    return db


@pytest.fixture
def small_groups(monkeypatch):
    monkeypatch.setattr(score, "BATCH", GROUP)


@pytest.fixture(scope="module")
def one_process_store(raw_store, tmp_path_factory) -> str:
    db = copy_store(raw_store, tmp_path_factory.mktemp("one_process"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(score, "BATCH", GROUP)
        summary = api.enrich(db_path=db, workers=1)
    assert summary.articles == len(ARTICLES) and summary.scoring.articles == len(ARTICLES)
    return db


def content(db: str) -> dict[str, list[tuple]]:
    """Every row enrichment writes (ids included), less the times it was written."""
    with closing(sqlite3.connect(db, timeout=30)) as conn:
        return enrichment_rows(conn)


def test_issue_12_two_workers_store_the_rows_of_one_process(raw_store, one_process_store, small_groups, tmp_path):
    db = copy_store(raw_store, tmp_path)
    events = []
    summary = api.enrich(db_path=db, workers=2, progress=events.append)
    assert summary.articles == len(ARTICLES) and summary.scoring.articles == len(ARTICLES)
    mentions = summary.entity_sentiment  # the workers' model runs reach the summary line, not only the tail's
    assert mentions.model_runs > 0 and 0 < mentions.model_scored <= mentions.mentions, mentions
    commits = [e["done"] for e in events if e["event"] == "batch"]
    assert commits == sorted(commits) and commits[-1] == len(ARTICLES) and len(commits) > len(ARTICLES) // GROUP
    reference, parallel_rows = content(one_process_store), content(db)
    assert reference["mentions"] and reference["figures"] and reference["sentence_scores"]
    assert reference["mention_sentiment"] and reference["article_entities"]
    for table in reference:
        assert parallel_rows[table] == reference[table], table
    assert query(db, "SELECT count(*) FROM article_scores")[0][0] == len(ARTICLES)


def test_issue_12_workers_option_on_import_equals_one_process(one_process_store, tmp_path):
    """As a user runs it: a fresh process, whose workers are forked after it loaded the extractor."""
    archive = tmp_path / "news.jsonl"
    rows = [
        {"url": f"https://p.example.test/{n}", "title": t, "text": x, "published": f"2025-10-{1 + n:02d}T08:00:00Z"}
        for n, (t, x) in enumerate(ARTICLES)
    ]
    archive.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    db = str(tmp_path / "imported.db")
    # score.BATCH as in the reference store: set in the child before the command runs
    code = (
        "import importlib, sys; importlib.import_module('narrative.api.score').BATCH = int(sys.argv[1]); "
        "from narrative.cli import cli; cli(sys.argv[2:])"
    )
    command = [sys.executable, "-c", code, str(GROUP), "import", str(archive), "--db", db, "--source", "test"]
    result = subprocess.run([*command, "--workers", "2"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"enriched {len(ARTICLES)} articles" in result.stdout and f"scored {len(ARTICLES)} articles" in result.stdout
    reference, imported = content(one_process_store), content(db)
    for table in reference:
        assert imported[table] == reference[table], table


def test_issue_12_workers_resolved_from_setting_and_input_size():
    assert Settings.load({"NARRATIVE_WORKERS": "3"}).workers == 3
    with pytest.raises(ConfigError, match="NARRATIVE_WORKERS"):
        Settings.load({"NARRATIVE_WORKERS": "-1"})
    small, large = parallel.PARALLEL_MIN_CHARS - 1, parallel.PARALLEL_MIN_CHARS
    assert parallel.resolve_workers(0, articles=5, chars=small) == 1  # a handful: no pool start-up
    assert parallel.resolve_workers(0, articles=500, chars=large) == min(parallel.usable_cores(), 4)
    assert parallel.resolve_workers(1, articles=500, chars=large) == 1
    assert parallel.resolve_workers(8, articles=3, chars=small) == 3  # never more workers than articles
    assert parallel.resolve_workers(2, articles=1, chars=large) == 1


def test_issue_12_bad_workers_value_exits_2(raw_store, tmp_path):
    db = copy_store(raw_store, tmp_path)
    result = CliRunner().invoke(cli, ["enrich", "--workers", "-2", "--db", db])
    assert result.exit_code == 2 and "--workers" in result.output, result.output
    assert query(db, "SELECT count(*) FROM enrichments")[0][0] == 0


def test_issue_12_worker_that_cannot_load_a_model_is_one_line(raw_store, tmp_path, monkeypatch):
    """The sentiment model loads in the workers only: its error reaches the user as in one process."""
    missing = tmp_path / "no_such_model"
    missing.mkdir()
    monkeypatch.setenv("NARRATIVE_SENTIMENT_MODEL", str(missing))
    outputs = {}
    for workers in ("1", "2"):
        (tmp_path / workers).mkdir()
        db = copy_store(raw_store, tmp_path / workers)
        result = CliRunner().invoke(cli, ["enrich", "--workers", workers, "--db", db])
        lines = result.output.strip().splitlines()
        assert result.exit_code == 2 and len(lines) == 1 and lines[0].startswith("Error: "), result.output
        outputs[workers] = lines[0]
    assert outputs["1"] == outputs["2"]


def test_issue_12_worker_killed_is_one_line_error():
    """A worker that dies (out of memory, kill -9) ends the command with E163, not a BrokenProcessPool traceback."""
    args = {"catalog_path": None, "narratives_dir": None, "narrative": None, "model_path": None, "score": False}
    with pytest.raises(NarrativeError) as caught, parallel.worker_pool(1, args) as pool:
        list(parallel.run_tasks(pool, deque([(os._exit, (9,), "killed")]), 1))
    assert caught.value.code == "E163" and caught.value.exit_code == 1
    message = str(caught.value)
    assert "\n" not in message and message.startswith("a worker process extracting or scoring articles stopped")


class KilledError(Exception):
    """Raised by the progress callback: the command dies after a commit, as a kill between transactions would."""


def test_issue_12_killed_run_is_finished_by_the_next_without_duplicates(
    raw_store, one_process_store, small_groups, tmp_path
):
    db = copy_store(raw_store, tmp_path)
    settings = Settings.load(db=db, workers=2)
    commits = []

    def die_after_two_commits(event):
        if event["event"] == "batch":
            commits.append(event["done"])
            if len(commits) == 2:
                raise KilledError

    with pytest.raises(KilledError):
        api.enrich(settings=settings, progress=die_after_two_commits)
    done = query(db, "SELECT article_id FROM enrichments ORDER BY 1")
    assert 0 < len(done) < len(ARTICLES) and len(done) == commits[-1]
    assert done == [(n,) for n in range(1, len(done) + 1)]  # committed in article order, each chunk whole
    # What `ingest` and `import` run after storing: the articles never enriched, and those enriched but not scored.
    from narrative.api.enrich import enrich_pending
    from narrative.store import writer

    with writer(settings) as handle:
        summary = enrich_pending(handle, new_ids=[], settings=settings)
    assert summary is not None and summary.articles == len(ARTICLES) - len(done)
    resumed, reference = content(db), content(one_process_store)
    for table in reference:
        assert resumed[table] == reference[table], table
    assert api.enrich(settings=settings).articles == 0  # nothing left


# Runs in the worker (eval is a builtin, so the pool can send it): whether that worker has loaded its scoring models.
SCORER_LOADED = "__import__('narrative.api.parallel', fromlist=['_CONTEXT'])._CONTEXT is not None"


def test_issue_12_a_worker_loads_the_scorer_with_its_first_scoring_task():
    """30 full articles are one scoring group, scored by one worker: the others never load the scorer, its prepared
    narrative nor the sentiment model. The scores are those of one process."""
    from narrative.api.analyze import material_from_extraction
    from narrative.api.score import score_material, scoring_context
    from narrative.catalog import resolve_narrative_id
    from narrative.nlp.pipeline import Extractor

    narrative = resolve_narrative_id(None, configured=Settings.load().narrative)
    args = {"catalog_path": None, "narratives_dir": None, "narrative": narrative, "model_path": None, "score": True}
    title, text = ARTICLES[0]
    material = {7: material_from_extraction(Extractor.load().extract(title, text, "en"), narrative)}
    with parallel.worker_pool(1, args) as pool:
        pool.submit(parallel.extract_chunk, [7], [title], [text], ["en"]).result()
        assert pool.submit(eval, SCORER_LOADED).result() is False
        version, scores = pool.submit(parallel.score_group, material).result()
        assert pool.submit(eval, SCORER_LOADED).result() is True
    context = scoring_context(narrative)
    assert (version, scores) == (context.version, score_material(material, context))
