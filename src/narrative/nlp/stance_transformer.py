"""A fine-tuned transformer that reads an English sentence's stance toward a narrative (issue 9).

The per-narrative n-gram classifier (:mod:`narrative.nlp.stance_model`) learns direction from the few hundred
examples in a narrative file; on English sentences whose direction is told as plain events, concessions or market
tone against the pole it guesses. This model is MiniLM-L6 (the shipped sentence-sentiment model's architecture and
starting weights) fine-tuned by ``scripts/train_stance_transformer.py`` on ``(narrative name, sentence)`` pairs
labelled negative / neutral / positive: the shipped narratives' English examples and the labelled stance corpus in
``models/narrative_scorer/stance_corpus/``. It runs on the sentiment model's runtime
(:class:`~narrative.nlp.sentiment.SentimentModel`, int8 ONNX, pair input) and only for the narratives it was
trained on (``train_meta.json`` names them, with the name each was trained under); for English sentences of those
narratives the scorer averages its probabilities with the classifier's, ``weight`` to this model
(``heads.json``: ``stance_model.transformer`` and ``transformer_weight``). Chinese sentences and narratives it was
not trained on are scored by the classifier alone, so a new narrative file still needs no training.

>>> StanceTransformer.blend(np.array([[0.6, 0.3, 0.1]]), np.array([[0.0, 0.2, 0.8]]), 0.5).round(2).tolist()
[[0.3, 0.25, 0.45]]
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import ConfigError, Errors

if TYPE_CHECKING:
    from .sentiment import SentimentModel

META = "train_meta.json"


@dataclasses.dataclass
class StanceTransformer:
    folder: Path
    narratives: dict[str, str]  # narrative id -> the name it was trained under (the pair's first text)
    weight: float  # share of this model's probabilities in the blend with the classifier's
    version: str  # "<8 hex of the graph and the training metadata>"
    _model: SentimentModel | None = dataclasses.field(default=None, repr=False)  # loaded on first use

    @classmethod
    def load(cls, folder: Path, weight: float) -> StanceTransformer:
        """The model in ``folder`` (``model.int8.onnx``, tokenizer, ``config.json``, ``train_meta.json``);
        ConfigError with the fix when a file is missing. The weights are read on first use."""
        meta_file, graph = folder / META, folder / "model.int8.onnx"
        for path in (meta_file, graph, folder / "tokenizer.json", folder / "config.json"):
            if not path.is_file():
                raise ConfigError(Errors.E166.format(path=path))
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        narratives = {str(k): str(v["name"]) for k, v in meta["narratives"].items()}
        digest = hashlib.sha256(graph.read_bytes() + meta_file.read_bytes()).hexdigest()[:8]
        return cls(folder, narratives, float(weight), digest)

    def covers(self, narrative_id: str) -> bool:
        return narrative_id in self.narratives

    def probabilities(self, narrative_id: str, texts: Sequence[str]) -> np.ndarray:
        """(n, 3) probabilities of negative, neutral, positive for English ``texts`` toward the narrative. Each
        distinct text runs once (wire copies repeat sentences; one text per run, so its bits do not depend on
        the others)."""
        if self._model is None:
            from .sentiment import SentimentModel

            self._model = SentimentModel.load(self.folder, device="cpu")
        name = self.narratives[narrative_id]
        distinct = list(dict.fromkeys(texts))
        scores = self._model.score_targets([(name, text) for text in distinct])
        read = dict(zip(distinct, ([s.negative, s.neutral, s.positive] for s in scores)))
        return np.array([read[text] for text in texts], dtype=np.float64).reshape(-1, 3)

    @staticmethod
    def blend(classifier: np.ndarray, transformer: np.ndarray, weight: float) -> np.ndarray:
        """The weighted mean of the two models' probabilities."""
        return (1.0 - weight) * classifier + weight * transformer
