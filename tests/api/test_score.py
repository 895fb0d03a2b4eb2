"""Scoring stored articles for a narrative, re-scoring, a second narrative scored as itself, and
``analyze`` giving the numbers ``enrich`` stores. Runs the shipped sentiment model and narrative
scorer (models/sentiment, models/narrative_scorer) offline."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import copy_store, query

from narrative import api
from narrative.api.analyze import analyze
from narrative.catalog import load_narratives, models_dir
from narrative.cli import cli
from narrative.nlp.stance import MAY_BE_RELEVANT

ARTICLES = [
    {
        "url": "https://s.example.test/1",
        "title": "DeepSeek model rivals OpenAI at a fraction of the cost",
        "published": "2025-01-27T02:00:00+00:00",
        "text": "DeepSeek released a reasoning model that rivals OpenAI's best. Analysts said Chinese AI is "
        "breaking through the computing power bottleneck.",
    },
    {
        "url": "https://s.example.test/2",
        "title": "US tightens export controls on AI chips to China",
        "published": "2025-01-27T15:00:00+00:00",
        "text": "New export controls restrict sales of Nvidia's H20 chips to China. SMIC shares fell 6% on the news.",
    },
    {
        "url": "https://s.example.test/3",
        "title": "Retail sales rise in Ohio",
        "published": "2025-01-28T15:00:00+00:00",
        "text": "Retail sales in Ohio rose 2% in December as shoppers returned to malls.",
    },
]


@pytest.fixture(scope="module")
def scored_template(tmp_path_factory) -> Path:
    """The three articles imported, enriched and scored once per module; tests get copies (``store``)."""
    folder = tmp_path_factory.mktemp("scored")
    archive = folder / "news.jsonl"
    archive.write_text("\n".join(json.dumps(a) for a in ARTICLES), encoding="utf-8")
    db = folder / "narrative.db"
    summary = api.import_archive(str(archive), db_path=str(db), source="test")
    assert summary.enrichment.scoring.articles == 3
    return db


@pytest.fixture
def store(scored_template, tmp_path) -> str:
    """This test's own copy of the scored store: what one test writes, no other test sees."""
    return copy_store(scored_template, tmp_path)


TINY_NARRATIVE = """\
id: ohio-retail
name: Ohio retail
description: Retail sales and shopping in the US state of Ohio, whether shoppers spend more or less.
poles:
  positive: Ohio shoppers spend more; retail sales in Ohio rise.
  negative: Ohio shoppers spend less; retail sales in Ohio fall.
scope:
  entity_types: [place]
themes:
  - id: malls
    label: Malls
    patterns: {en: ["mall|malls"], zh: ["商场"]}
examples:
  positive: ["Retail sales in Ohio climbed as shoppers flocked to stores.",
             "Columbus malls report record holiday traffic.", "俄亥俄州零售额大幅增长。"]
  negative: ["Ohio retail sales slumped as shoppers stayed home.",
             "Cleveland stores report the weakest holiday season in years.", "俄亥俄州零售额下滑。"]
  irrelevant: ["Alibaba's cloud unit raised prices.", "The Federal Reserve held rates steady.",
               "Nvidia unveiled a new chip."]
"""


def test_scores_are_stored_and_stamped(store):
    rows = dict(query(store, "SELECT article_id, relevance FROM article_scores WHERE narrative = 'china-ai'"))
    assert rows[1] >= 0.5 and rows[3] < 0.5  # Ohio retail is not about Chinese AI
    versions = query(store, "SELECT DISTINCT model_version FROM sentence_scores")
    narrative = next(n for n in load_narratives() if n.id == "china-ai")
    assert len(versions) == 1 and versions[0][0].startswith("score-7+")
    assert "+nscore-" in versions[0][0] and "+usem3-" in versions[0][0]  # heads and encoder versions
    assert versions[0][0].endswith(f"china-ai@{narrative.version}")  # the narrative's content hash
    evidence = json.loads(query(store, "SELECT evidence FROM article_scores WHERE article_id = 1")[0][0])
    assert evidence and {"sentence_idx", "relevance", "stance"} <= set(evidence[0])


def test_stance_points_the_right_way(store):
    stance = dict(query(store, "SELECT article_id, stance FROM article_scores"))
    assert stance[1] > 0.0, "a Chinese model rivalling OpenAI is the narrative's positive side"
    assert stance[1] > stance[2], "export controls and falling chip shares lean to its negative side"


def test_entity_sentiment_is_stored_for_in_scope_entities(store):
    entities = {row[0] for row in query(store, "SELECT entity_id FROM entity_sentiment")}
    assert "deepseek" in entities


def test_rescoring_is_deterministic_and_one_call(store):
    before = query(store, "SELECT article_id, relevance, stance FROM article_scores ORDER BY article_id")
    summary = api.score(db_path=store, force=True)
    assert summary.articles == 3
    assert query(store, "SELECT article_id, relevance, stance FROM article_scores ORDER BY article_id") == before
    assert api.score(db_path=store).articles == 0  # nothing changed: nothing to do


@pytest.fixture
def models_copy(tmp_path, monkeypatch):
    """A models/ folder of our own (the big model folders linked), as NARRATIVE_MODELS."""
    models = tmp_path / "models"
    shutil.copytree(models_dir(), models, ignore=shutil.ignore_patterns("sentiment"))
    (models / "sentiment").symlink_to(models_dir() / "sentiment")
    monkeypatch.setenv("NARRATIVE_MODELS", str(models))
    return models


def test_a_narrative_edit_changes_its_version_and_rescores(store, models_copy):
    path = models_copy / "narratives" / "china_ai.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# an analyst's note\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["enrich", "--db", store], catch_exceptions=False)
    assert result.exit_code == 0 and "scored 3 articles" in result.stdout
    version = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    assert query(store, "SELECT DISTINCT model_version FROM article_scores")[0][0].endswith(f"china-ai@{version}")


def test_issue_9_a_second_narrative_is_scored_as_itself(store, models_copy):
    (models_copy / "narratives" / "ohio_retail.yaml").write_text(TINY_NARRATIVE, encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["enrich", "--db", store, "--rescore", "--narrative", "ohio-retail"], catch_exceptions=False
    )
    assert result.exit_code == 0 and "scored 3 articles" in result.stdout and "ohio-retail@" in result.stdout
    ohio = dict(query(store, "SELECT article_id, relevance FROM article_scores WHERE narrative = 'ohio-retail'"))
    assert ohio[3] > 0.5 > max(ohio[1], ohio[2])  # the Ohio story, and only it, is about Ohio retail
    china = dict(query(store, "SELECT article_id, relevance FROM article_scores WHERE narrative = 'china-ai'"))
    assert china[3] < 0.5 < china[1]  # the default narrative's scores are untouched


def test_issue_9_analyze_gives_what_enrich_stores(store):
    texts = [ARTICLES[0]["title"], ARTICLES[2]["title"]]
    results = analyze(texts, narrative_id="china-ai")
    folder = Path(store).parent / "titles"
    folder.mkdir(exist_ok=True)
    archive = folder / "titles.jsonl"
    archive.write_text(
        "\n".join(
            json.dumps({"url": f"https://t.example.test/{n}", "title": t, "published": "2025-02-01T00:00:00+00:00"})
            for n, t in enumerate(texts)
        ),
        encoding="utf-8",
    )
    db = str(folder / "narrative.db")
    api.import_archive(str(archive), db_path=db, source="titles")
    stored = query(
        db,
        "SELECT a.title, s.relevance, s.stance FROM article_scores s JOIN articles a "
        "ON a.id = s.article_id ORDER BY a.id",
    )
    assert [(r["text"], r["relevance"], r["stance"]) for r in results] == stored
    sentences = query(
        db, "SELECT relevance, stance, label, positive FROM sentence_scores ORDER BY article_id, sentence_idx"
    )
    assert [
        (s["relevance"], s["stance"], s["sentiment"]["label"], s["sentiment"]["positive"])
        for r in results
        for s in r["sentences"]
    ] == sentences


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_cli_score_prints_label_and_probabilities_per_line():
    result = CliRunner().invoke(
        cli,
        ["score", "--stdin", "--format", "jsonl"],
        input="Profit doubled and the outlook was raised.\nThe company cut its forecast.\n",
    )
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["label"] for r in rows] == ["positive", "negative"]
    assert all(abs(r["negative"] + r["neutral"] + r["positive"] - 1) < 1e-3 for r in rows)


def test_cli_bad_inputs_exit_2():
    unknown = run("analyze", "x", "--narrative", "crypto")
    assert unknown.exit_code == 2 and "no narrative 'crypto'; available: " in unknown.stderr
    bad = run("score", "x", "--model", "/nonexistent/model")
    assert bad.exit_code == 2 and "/nonexistent/model" in bad.stderr
    empty = run("analyze", "  ")
    assert empty.exit_code == 2 and "text 1 is empty" in empty.stderr


def test_missing_scorer_weights_fail_with_the_fix(models_copy):
    (models_copy / "narrative_scorer" / "heads.json").unlink()
    result = run("analyze", "Alibaba rose.")
    assert result.exit_code == 2 and "train_narratives.py" in result.stderr


def test_issue_9_sentiment_and_stance_only_where_relevance_can_matter(store, monkeypatch):
    rows = query(
        store,
        "SELECT relevance, stance, label, negative + neutral + positive FROM sentence_scores "
        "WHERE narrative = 'china-ai'",
    )
    skipped = [r for r in rows if r[0] < MAY_BE_RELEVANT]
    assert skipped, "the Ohio retail sentences cannot be about Chinese AI"
    assert all(r[1] == 0.0 and r[2] == "unscored" and r[3] == 0.0 for r in skipped)
    assert all(r[2] != "unscored" and abs(r[3] - 1) < 1e-3 for r in rows if r[0] >= MAY_BE_RELEVANT)
    monkeypatch.setenv("NARRATIVE_SENTIMENT_SENTENCES", "all")
    assert api.score(db_path=store).articles == 3  # another scope is another version: everything re-scores
    everywhere = query(store, "SELECT label, model_version FROM sentence_scores WHERE narrative = 'china-ai'")
    assert all(label != "unscored" and version.startswith("score-7-all+") for label, version in everywhere)
    monkeypatch.delenv("NARRATIVE_SENTIMENT_SENTENCES")
