"""The English stance transformer (issue 9): heads.json names it, the scorer's version carries its digest, English
sentences of the narratives it was trained on take the blend of its probabilities and the example classifier's,
Chinese sentences and narratives it never saw are scored by the classifier alone, and a missing file is one line."""

from __future__ import annotations

import json

import numpy as np
import pytest
from minimal_narrative import WIDGET_TARIFFS

from narrative.api.score import is_chinese
from narrative.catalog import Narrative, load_narratives
from narrative.errors import ConfigError
from narrative.nlp.narrative_model import NarrativeScorer, SentenceFacts, scorer_dir
from narrative.nlp.stance_model import stance_value
from narrative.nlp.stance_transformer import StanceTransformer

TEXTS = [
    "Domestic AI chips from Huawei are now shipping in volume to Chinese cloud providers",
    "Beijing-based chip start-up delays its next accelerator after losing access to foreign foundries",
    "国产AI芯片出货量大增",
]


def _zero(texts):
    return [0.0] * len(texts)


def _scored(scorer, narrative, texts):
    prepared = scorer.prepare(narrative, polarity=_zero)
    facts = [SentenceFacts(t, chinese=is_chinese(t)) for t in texts]
    _, vectors = scorer.relevance(prepared, facts)
    classifier = prepared.stance_model.probabilities(texts, vectors, np.zeros(len(texts)))
    return scorer.stance(prepared, facts, vectors), classifier


def test_issue_9_heads_name_the_transformer_trained_on_every_shipped_narrative():
    scorer = NarrativeScorer.load()
    assert scorer.transformer is not None and 0 < scorer.transformer.weight < 1
    assert f"+tf-{scorer.transformer.version}" in scorer.version
    shipped = {n.id: n.name for n in load_narratives()}
    assert scorer.transformer.narratives == shipped
    meta = json.loads((scorer.transformer.folder / "train_meta.json").read_text(encoding="utf-8"))
    assert set(meta["rows"]) == set(shipped)


def test_issue_9_english_sentences_of_a_known_narrative_take_the_blend():
    scorer = NarrativeScorer.load()
    china = next(n for n in load_narratives() if n.id == "china-ai")
    stance, classifier = _scored(scorer, china, TEXTS)
    read = scorer.transformer.probabilities("china-ai", TEXTS[:2])
    assert read.shape == (2, 3) and np.allclose(read.sum(axis=1), 1.0, atol=1e-5)
    expected = np.vstack([StanceTransformer.blend(classifier[:2], read, scorer.transformer.weight), classifier[2:]])
    assert np.allclose(stance, stance_value(expected))
    assert stance[0] > 0 > stance[1]


def test_issue_9_a_narrative_the_transformer_never_saw_reads_the_classifier_alone():
    scorer = NarrativeScorer.load()
    widgets = Narrative.model_validate(WIDGET_TARIFFS)
    assert not scorer.transformer.covers(widgets.id)
    stance, classifier = _scored(scorer, widgets, ["The ministry cuts duties on imported widgets"])
    assert np.allclose(stance, stance_value(classifier))


def test_issue_9_missing_stance_transformer_names_the_training_script(tmp_path):
    heads = json.loads((scorer_dir() / "heads.json").read_text(encoding="utf-8"))
    heads["stance_model"]["transformer"] = "stance_transformer"
    heads["stance_model"]["transformer_weight"] = 0.5
    (tmp_path / "heads.json").write_text(json.dumps(heads), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"stance_transformer.*train_stance_transformer\.py"):
        NarrativeScorer.load(tmp_path)
