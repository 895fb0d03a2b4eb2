"""Scoring stored articles for the narrative, the daily index, and the score/index commands.
Runs the shipped sentiment model (models/sentiment), offline."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml
from click.testing import CliRunner

from conftest import query

from narrative import api
from narrative.catalog import models_dir
from narrative.cli import cli

ARTICLES = [
    {"url": "https://s.example.test/1", "title": "DeepSeek model rivals OpenAI at a fraction of the cost",
     "published": "2025-01-27T02:00:00+00:00",
     "text": "DeepSeek released a reasoning model that rivals OpenAI's best. Analysts said Chinese AI is "
             "breaking through the computing power bottleneck."},
    {"url": "https://s.example.test/2", "title": "US tightens export controls on AI chips to China",
     "published": "2025-01-27T15:00:00+00:00",
     "text": "New export controls restrict sales of Nvidia's H20 chips to China. SMIC shares fell 6% on the news."},
    {"url": "https://s.example.test/3", "title": "Retail sales rise in Ohio", "published": "2025-01-28T15:00:00+00:00",
     "text": "Retail sales in Ohio rose 2% in December as shoppers returned to malls."},
]




@pytest.fixture(scope="module")
def store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("scored")
    archive = folder / "news.jsonl"
    archive.write_text("\n".join(json.dumps(a) for a in ARTICLES), encoding="utf-8")
    db = str(folder / "narrative.db")
    summary = api.import_archive(str(archive), db_path=db, source="test")
    assert summary.enrichment.scoring.articles == 3
    return db


def test_scores_are_stored_and_stamped(store):
    rows = dict(query(store, "SELECT article_id, relevance FROM article_scores WHERE narrative = 'china-ai'"))
    assert rows[1] >= 0.8 and rows[2] >= 0.8 and rows[3] == 0.0  # Ohio retail is not about Chinese AI
    versions = query(store, "SELECT DISTINCT model_version FROM sentence_scores")
    assert len(versions) == 1 and versions[0][0].startswith("score-1+") and "china-ai@" in versions[0][0]
    evidence = json.loads(query(store, "SELECT evidence FROM article_scores WHERE article_id = 1")[0][0])
    assert evidence and {"sentence_idx", "relevance", "stance"} <= set(evidence[0])


def test_stance_points_the_right_way(store):
    stance = dict(query(store, "SELECT article_id, stance FROM article_scores"))
    assert stance[1] > 0.1, "a Chinese model rivalling OpenAI is the narrative's positive side"
    assert stance[2] < -0.1, "export controls and falling chip shares are its negative side"


def test_entity_targeted_sentiment_is_stored(store):
    entities = {row[0] for row in query(store, "SELECT entity_id FROM entity_sentiment")}
    assert {"deepseek", "smic"} <= entities


def test_rescoring_is_deterministic_and_one_call(store):
    before = query(store, "SELECT article_id, relevance, stance FROM article_scores ORDER BY article_id")
    summary = api.score(db_path=store, force=True)
    assert summary.articles == 3
    assert query(store, "SELECT article_id, relevance, stance FROM article_scores ORDER BY article_id") == before
    assert api.score(db_path=store).articles == 0  # nothing changed: nothing to do


def test_a_narrative_change_makes_every_article_pending(store, tmp_path, monkeypatch):
    models = tmp_path / "models"
    shutil.copytree(models_dir(), models, ignore=shutil.ignore_patterns("sentiment"))
    (models / "sentiment").symlink_to(models_dir() / "sentiment")
    narrative = yaml.safe_load((models / "narratives" / "china_ai.yaml").read_text(encoding="utf-8"))
    narrative["version"] = "test-changed"
    (models / "narratives" / "china_ai.yaml").write_text(yaml.safe_dump(narrative, allow_unicode=True),
                                                          encoding="utf-8")
    monkeypatch.setenv("NARRATIVE_MODELS", str(models))
    result = CliRunner().invoke(cli, ["enrich", "--db", store], catch_exceptions=False)
    assert result.exit_code == 0 and "scored 3 articles" in result.stdout
    assert query(store, "SELECT DISTINCT model_version FROM article_scores")[0][0].endswith("china-ai@test-changed")


def test_daily_index_from_the_store(store):
    frame = api.narrative_index("china-ai", db_path=store)
    assert frame["date"].tolist() == ["2025-01-27"]  # the Ohio story is not relevant
    assert frame.iloc[0]["attention"] == 2


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_cli_score_prints_label_and_probabilities_per_line():
    result = CliRunner().invoke(cli, ["score", "--stdin", "--format", "jsonl"],
                                input="Profit doubled and the outlook was raised.\nThe company cut its forecast.\n")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["label"] for r in rows] == ["positive", "negative"]
    assert all(abs(r["negative"] + r["neutral"] + r["positive"] - 1) < 1e-3 for r in rows)


def test_cli_index_json_and_bad_inputs(store):
    rows = json.loads(run("index", "--db", store, "--format", "json").stdout)
    assert rows[0]["date"] == "2025-01-27" and {"stance", "attention", "share_positive", "stance_novel"} <= set(rows[0])
    unknown = run("index", "--db", store, "--narrative", "crypto")
    assert unknown.exit_code == 2 and "no narrative 'crypto'; available: china-ai" in unknown.stderr
    bad = run("score", "x", "--model", "/nonexistent/model")
    assert bad.exit_code == 2 and "/nonexistent/model" in bad.stderr
