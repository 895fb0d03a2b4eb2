"""Heads that name a stance encoder (issue 9): ``heads.json``'s ``stance_model.encoder`` names an ONNX graph
next to it (what scripts/train_stance_encoder.py writes: the sentence encoder fine-tuned for stance), whose
vectors the stance classifier then reads, for the examples and the scored sentences; relevance keeps the
shipped encoder's. The scorer's version carries the graph's digest, and a missing graph is one line."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from minimal_narrative import WIDGET_TARIFFS

from narrative.catalog import Narrative
from narrative.errors import ConfigError
from narrative.nlp import encoder
from narrative.nlp.narrative_model import NarrativeScorer, SentenceFacts, scorer_dir, stance_vectors
from narrative.nlp.stance import stance_label

WIDGETS = Narrative.model_validate(WIDGET_TARIFFS)  # no shipped narrative is about it: scored without training
TEXTS = ["The ministry cuts duties on imported widgets", "商务部提高小部件关税"]


def heads_with_encoder(folder, name: str):
    """A copy of the shipped heads whose stance settings name the graph ``name`` in ``folder``."""
    heads = json.loads((scorer_dir() / "heads.json").read_text(encoding="utf-8"))
    heads["stance_model"]["encoder"] = name
    heads["stance_model"].pop("transformer", None)  # the stance transformer is not what these tests are about
    heads["stance_model"]["corpus"] = str(scorer_dir() / "stance_corpus")  # the shipped corpus, as the plain scorer
    (folder / "heads.json").write_text(json.dumps(heads), encoding="utf-8")


def test_issue_9_heads_naming_a_stance_encoder_score_stance_with_its_vectors(tmp_path):
    # the shipped encoder's graph under another name stands in for a fine-tuned one: same vectors, so the
    # same stances as the plain scorer, read through the named file
    shutil.copy(encoder.onnx_path(), tmp_path / "stance.onnx")
    heads_with_encoder(tmp_path, "stance.onnx")
    named, plain = NarrativeScorer.load(tmp_path), NarrativeScorer.load()
    assert named.stance_graph == tmp_path / "stance.onnx" and plain.stance_graph is None
    assert f"+stance-{encoder.graph_digest(tmp_path / 'stance.onnx')}+" in named.version
    assert named.version.split("+")[1] == plain.version.split("+")[1]  # relevance reads the shipped encoder
    assert np.allclose(stance_vectors(TEXTS, tmp_path / "stance.onnx"), encoder.encode(TEXTS), atol=1e-5)
    facts = [SentenceFacts(text) for text in TEXTS]
    stances = []
    for scorer in (named, plain):
        prepared = scorer.prepare(WIDGETS, polarity=lambda texts: [0.0] * len(texts))
        _, vectors = scorer.relevance(prepared, facts)
        stances.append(scorer.stance(prepared, facts, vectors))
    assert np.allclose(stances[0], stances[1], atol=1e-6)
    assert [stance_label(s) for s in stances[0]] == ["positive", "negative"]


def test_issue_9_missing_stance_encoder_names_the_training_script(tmp_path):
    heads_with_encoder(tmp_path, "usem3_stance.onnx")
    with pytest.raises(ConfigError, match=r"usem3_stance\.onnx.*train_stance_encoder\.py"):
        NarrativeScorer.load(tmp_path)


def test_issue_9_top_layers_read_each_sentences_token_sums_alone():
    """``--trainable top`` caches each text's token sums once and restacks them in other batches: the
    sums of a sentence must not depend on its batch neighbours, and top(sums) must be the forward pass."""
    import torch

    from narrative.nlp.encoder_torch import TorchEncoder, wheel_weights

    model = TorchEncoder(wheel_weights()).eval()
    texts = [*TEXTS, "Washington revokes Nvidia's H20 licences", "荷兰放宽阿斯麦光刻机对华出口"]

    def tensors(batch):
        ((_, inputs),) = list(encoder.graph_inputs(batch))
        return {k: torch.from_numpy(v) for k, v in inputs.items()}

    with torch.no_grad():
        together = tensors(texts)
        whole = model(**together)
        alone = [tensors([t]) for t in texts]
        sums = torch.cat([model.token_sums(x["emb"], x["window"], x["segments"]) for x in alone])
        restacked = model.top(sums, torch.cat([x["root_lens"] for x in alone]))
    assert torch.allclose(whole, restacked, atol=1e-5)
    assert np.allclose(whole.numpy(), encoder.encode(texts), atol=1e-4)
    assert set(TorchEncoder.TOP) < set(TorchEncoder.NAMES) and "proj2" not in TorchEncoder.TOP
