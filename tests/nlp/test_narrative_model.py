"""The narrative scorer through ``analyze`` (the enrich code path): output shape and offsets on
English and Chinese text, the per-narrative cache, and pinned floors on the DEV halves of the
labelled sets (the held-out halves are for scripts/eval_narratives.py only)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from minimal_narrative import WIDGET_TARIFFS

from narrative.api.analyze import analyze
from narrative.api.score import narrative_scorer, scoring_context
from narrative.catalog import Narrative, load_narratives
from narrative.nlp.encoder import encode
from narrative.nlp.narrative_model import (
    FEATURES,
    LinearHead,
    SentenceFacts,
    feature_matrix,
    last_clause,
    prepare_narrative,
)
from narrative.nlp.stance import MAY_BE_RELEVANT, SENTENCE_RELEVANT, stance_label
from narrative.nlp.stance_model import StanceSettings, stance_value

GOLD = Path(__file__).resolve().parents[1] / "gold" / "narratives"
# Floors a little under what the shipped heads measure on the dev halves (relevance F1, stance
# accuracy with the neutral band); raise them when the scorer improves, never lower them quietly.
DEV_FLOORS = {
    "ai-capex": (0.93, 0.86),
    "china-ai": (0.93, 0.84),
    "chip-export-controls": (0.96, 0.84),
}  # score-5 with the session-6 examples (2026-11-30 14:10): stance 0.887 / 0.872 / 0.874, F1 0.964 / 0.962 / 0.979


def test_analyze_english_offsets_index_the_text_as_given():
    text = "Alibaba's Qwen model tops a global benchmark. Shares of Alibaba rose 5% in Hong Kong."
    result = analyze([text], narrative_id="china-ai")[0]
    assert set(result) >= {"text", "sentences", "entities", "figures", "people", "relevance", "stance", "version"}
    assert result["text"] == text and len(result["sentences"]) == 2
    for sentence in result["sentences"]:
        assert text[sentence["start"] : sentence["end"]] == sentence["text"]
        assert 0.0 <= sentence["relevance"] <= 1.0 and -1.0 <= sentence["stance"] <= 1.0
        probs = sentence["sentiment"]
        if sentence["relevance"] >= MAY_BE_RELEVANT:  # below it the sentiment model is not run (issue 9 speed)
            assert probs["label"] in ("negative", "neutral", "positive")
            assert abs(probs["negative"] + probs["neutral"] + probs["positive"] - 1) < 1e-3
        else:
            assert probs["label"] == "unscored" and sentence["stance"] == 0.0
    assert {"alibaba", "qwen"} <= {e["id"] for e in result["entities"]}
    for entity in result["entities"]:
        assert text[entity["start"] : entity["end"]] == entity["text"]
    alibaba = next(e for e in result["entities"] if e["id"] == "alibaba")
    assert alibaba["type"] == "company"
    figure = result["figures"][0]
    assert figure["value"] == 5 and figure["unit"] == "%" and figure["kind"] == "change"
    first, second = result["sentences"]
    assert first["relevance"] >= SENTENCE_RELEVANT and first["stance"] > 0  # a Chinese model topping a benchmark
    assert first["relevance"] > second["relevance"]  # a share move alone says less about the narrative
    assert result["relevance"] == pytest.approx((first["relevance"] + second["relevance"]) / 2, abs=1e-3)


def test_analyze_chinese_offsets_and_scores():
    text = "美国扩大对华芯片出口管制，英伟达H20芯片对华销售受阻。阿里巴巴股价下跌3%。"
    result = analyze([text], narrative_id="chip-export-controls")[0]
    assert result["language"] == "zh" and len(result["sentences"]) == 2
    for sentence in result["sentences"]:
        assert text[sentence["start"] : sentence["end"]] == sentence["text"]
    for entity in result["entities"]:
        assert text[entity["start"] : entity["end"]] == entity["text"]
    assert "alibaba" in {e["id"] for e in result["entities"]}
    assert any(f["value"] == 3 and f["unit"] == "%" for f in result["figures"])
    assert result["relevance"] >= SENTENCE_RELEVANT and result["stance"] < 0  # controls tightening


def test_the_prepared_narrative_is_cached_per_version():
    ctx = scoring_context("china-ai")
    again = scoring_context("china-ai")
    assert again.prepared is ctx.prepared
    assert ctx.prepared.positive.shape[1] == 512 and len(ctx.prepared.irrelevant) >= 20
    assert ctx.version.endswith(f"china-ai@{ctx.narrative.version}")


def test_heads_round_trip_through_json_and_know_their_features():
    scorer = narrative_scorer()
    head = scorer.relevance_head
    assert set(head.features) <= set(FEATURES)
    again = LinearHead.from_dict(json.loads(json.dumps(head.to_dict())))
    matrix = np.random.default_rng(0).normal(size=(4, len(FEATURES)))
    assert np.allclose(again.probabilities(matrix), head.probabilities(matrix))
    assert np.allclose(head.probabilities(matrix).sum(axis=1), 1.0)
    assert StanceSettings.from_dict(json.loads(json.dumps(scorer.stance_settings.to_dict()))) == scorer.stance_settings


def test_issue_9_stance_reads_the_direction_word_of_a_new_narrative_in_english_and_chinese():
    # A narrative the shipped files know nothing about: its examples alone teach which words point
    # which way (minimal pairs differing in the verb), and unseen sentences follow the verb.
    toy = Narrative.model_validate({**WIDGET_TARIFFS, "id": "toy", "name": "Toy"})
    prepared = prepare_narrative(toy, polarity=lambda texts: [0.0] * len(texts))
    texts = [
        "Ministry cuts widget duties",
        "Ministry raises widget duties",
        "商务部下调小部件关税",
        "商务部提高小部件关税",
    ]
    stance = prepared.stance_model.stance(texts, encode(texts))
    assert [stance_label(s) for s in stance] == ["positive", "negative", "positive", "negative"]


def test_stance_value_agrees_with_the_most_probable_class():
    probs = np.array([[0.1, 0.2, 0.7], [0.3, 0.4, 0.3], [0.42, 0.2, 0.38], [0.05, 0.5, 0.45]])
    assert [stance_label(s) for s in stance_value(probs)] == ["positive", "neutral", "negative", "neutral"]
    assert stance_value(probs)[0] == pytest.approx(0.6)  # P(pos) - P(neg) where they agree


def _dev_figures(narrative_id: str) -> tuple[float, float]:
    rows = [
        json.loads(line)
        for line in (GOLD / f"{narrative_id.replace('-', '_')}.dev.jsonl").read_text(encoding="utf-8").splitlines()
        if line
    ]
    results = analyze([r["text"] for r in rows], narrative_id=narrative_id)
    predicted = [r["relevance"] >= SENTENCE_RELEVANT for r in results]
    gold = [bool(r["relevant"]) for r in rows]
    tp = sum(p and g for p, g in zip(predicted, gold))
    f1 = 2 * tp / (sum(predicted) + sum(gold))
    among = [(stance_label(res["stance"]), row["stance"]) for res, row in zip(results, rows) if row["relevant"]]
    return f1, sum(p == g for p, g in among) / len(among)


@pytest.mark.parametrize("narrative_id", sorted(DEV_FLOORS))
def test_issue_9_dev_floors(narrative_id):
    assert narrative_id in {n.id for n in load_narratives()}
    f1, accuracy = _dev_figures(narrative_id)
    relevance_floor, stance_floor = DEV_FLOORS[narrative_id]
    assert f1 >= relevance_floor, f"{narrative_id}: dev relevance F1 {f1:.3f} under its floor {relevance_floor}"
    assert accuracy >= stance_floor, (
        f"{narrative_id}: dev stance accuracy {accuracy:.3f} under its floor {stance_floor}"
    )


def test_last_clause_after_a_contrast_word_in_english_and_chinese():
    assert (
        last_clause("Microsoft raised capex again, but said spending growth would slow")
        == "but said spending growth would slow"
    )
    assert last_clause("美国加强出口管制，国产芯片却加速成熟") == "国产芯片却加速成熟"
    assert last_clause("Shares rose 5% on record orders") is None
    assert last_clause("But") is None  # the clause would be the whole sentence


def _toy_narrative(**examples) -> Narrative:
    return Narrative.model_validate(
        {
            "id": "toy",
            "name": "Toy",
            "description": "Whether widget tariffs are rising or falling.",
            "poles": {"positive": "widget tariffs fall", "negative": "widget tariffs rise"},
            "examples": {
                "positive": ["Widget tariffs cut", "Tariffs on widgets lowered", "Widget duty scrapped"],
                "negative": ["Widget tariffs raised", "Tariffs on widgets doubled", "New widget duty imposed"],
                "irrelevant": ["The weather was sunny", "A film premiered", "The match ended in a draw"],
                **examples,
            },
        }
    )


def test_neutral_examples_are_optional_relevant_and_distinct():
    assert _toy_narrative().examples.neutral == ()
    toy = _toy_narrative(neutral=["Widget tariff talks continue on Tuesday"])
    prepared = prepare_narrative(toy, polarity=lambda texts: [0.0] * len(texts))
    assert prepared.neutral.shape == (1, 512)
    with pytest.raises(ValueError, match="both positive and neutral"):
        _toy_narrative(neutral=["Widget tariffs cut"])


def test_features_read_the_contrast_clause_and_the_examples_char_ngrams():
    toy = _toy_narrative(neutral=["Widget tariff talks continue on Tuesday"])
    prepared = prepare_narrative(toy, polarity=lambda texts: [0.0] * len(texts))
    texts = ["Widget tariffs raised", "Widget tariffs were raised last year, but they were cut today"]
    matrix = feature_matrix(
        prepared, [SentenceFacts(text=t) for t in texts], np.vstack([prepared.negative[0], prepared.negative[0]])
    )
    column = {name: n for n, name in enumerate(FEATURES)}
    assert list(matrix[:, column["has_contrast"]]) == [0.0, 1.0]
    assert matrix[0, column["lex_stance"]] < 0  # an exact negative example's n-grams
    assert matrix[1, column["clause_lex_stance"]] > matrix[0, column["clause_lex_stance"]]
