"""Stance toward a narrative from a classifier fitted on the narrative's own examples (issue 9).

A narrative file's labelled examples (positive, negative and, optionally, neutral sentences) are its
stance training data: when the narrative is loaded, a three-way logistic regression is fitted on

- character 1-4-gram TF-IDF of the examples (``char_wb``: the n-grams of each word, and of Chinese
  runs, so it reads Chinese without a tokenizer), where a direction carried by one word ("eases" vs
  "tightens", "放宽" vs "收紧") is a feature of its own, and
- the examples' multilingual sentence vectors, scaled down (``vector_weight``) so that topic, which
  dominates those vectors, does not drown the direction words;
  (texts are read in one written form first: :func:`narrative.nlp.narrative_text.scoring_text`
  turns traditional Chinese script into simplified and full-width characters into half-width);
- the n-grams of the sentence's last contrast clause (:func:`narrative.nlp.narrative_text.last_clause`,
  "..., but growth will slow"), scaled by ``clause_weight``: the clause after "but" / "但" usually
  carries the direction;
- the sentence's sentiment polarity (positive - negative), scaled by ``polarity_weight``: the model
  learns from the examples which way sentiment points for this narrative (a narrative whose positive
  pole sounds grim gets a negative weight).

It needs no training step and no narrative-specific code: a new YAML file gets its own model the
first time it is scored. The settings (``C``, ``vector_weight``, ``polarity_weight``) are chosen on the dev halves by
``scripts/train_narratives.py`` and shipped in ``models/narrative_scorer/heads.json``.

Stance is ``P(positive) - P(negative)``; the three-way decision is the classifier's most probable
class, so where the difference and the argmax disagree the value is moved to the edge of the neutral
band (:data:`narrative.nlp.stance.NEUTRAL_BAND`) on the argmax's side: a sentence whose most probable
class is neutral always reads neutral, one whose most probable class is a pole never does.

>>> model = ExampleStanceModel.fit({"positive": ["Tariffs cut"], "negative": ["Tariffs raised"]},
...                                np.eye(2, 4), StanceSettings())
>>> model.classes
('negative', 'positive')
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from .narrative_text import last_clause, scoring_texts
from .narrative_tfidf import CharGrams, LinearClassifier
from .stance import NEUTRAL_BAND

STANCE_LABELS = ("negative", "neutral", "positive")


@dataclasses.dataclass(frozen=True)
class StanceSettings:
    """How the per-narrative stance classifier is fitted (chosen on dev, shipped in heads.json)."""

    c: float = 10.0  # inverse L2 penalty of the logistic regression
    vector_weight: float = 0.5  # scale of the sentence vector next to the unit-length TF-IDF row
    ngram_max: int = 4  # character n-grams 1..ngram_max
    polarity_weight: float = 0.5  # scale of the sentence's sentiment polarity (-1..1)
    clause_weight: float = 0.0  # scale of the n-grams of the last contrast clause (0: not read)
    # the ONNX graph (a file next to heads.json) whose vectors the classifier reads: the encoder fine-tuned
    # for stance by scripts/train_stance_encoder.py; "" reads the relevance vectors (the shipped encoder's)
    encoder: str = ""
    # the folder (next to heads.json) of the English stance transformer (narrative.nlp.stance_transformer) and its
    # share in the blend with this classifier's probabilities; "" / 0: the classifier alone
    transformer: str = ""
    transformer_weight: float = 0.0
    # the folder (next to heads.json) of the stance corpus (narrative.nlp.stance_corpus) whose lines join a
    # narrative's examples as training rows; "": the examples alone
    corpus: str = ""

    @classmethod
    def from_dict(cls, data: dict) -> StanceSettings:
        return cls(
            c=float(data["C"]),
            vector_weight=float(data["vector_weight"]),
            ngram_max=int(data["ngram_max"]),
            polarity_weight=float(data.get("polarity_weight", 0.0)),  # absent before it existed
            clause_weight=float(data.get("clause_weight", 0.0)),
            encoder=str(data.get("encoder", "")),
            transformer=str(data.get("transformer", "")),
            transformer_weight=float(data.get("transformer_weight", 0.0)),
            corpus=str(data.get("corpus", "")),
        )

    def to_dict(self) -> dict:
        return {
            "kind": "example-logreg",
            "C": self.c,
            "vector_weight": self.vector_weight,
            "ngram_max": self.ngram_max,
            "polarity_weight": self.polarity_weight,
            "clause_weight": self.clause_weight,
            **({"encoder": self.encoder} if self.encoder else {}),
            **(
                {"transformer": self.transformer, "transformer_weight": self.transformer_weight}
                if self.transformer
                else {}
            ),
            **({"corpus": self.corpus} if self.corpus else {}),
        }


@dataclasses.dataclass(frozen=True)
class ExampleStanceModel:
    """A narrative's stance classifier, fitted on its examples (see the module docstring)."""

    vectorizer: CharGrams  # scikit-learn's fitted n-gram TF-IDF, as arrays (no scikit-learn to read it back)
    model: LinearClassifier  # scikit-learn's fitted logistic regression, as its coefficients
    classes: tuple[str, ...]
    settings: StanceSettings

    @classmethod
    def fit(
        cls,
        examples: dict[str, Sequence[str]],
        vectors: np.ndarray,
        settings: StanceSettings,
        polarity: np.ndarray | None = None,
    ) -> ExampleStanceModel:
        """Fit on ``examples`` (label -> texts, labels among :data:`STANCE_LABELS`, in that order of
        the rows of ``vectors`` and ``polarity``; no polarity reads as 0). An empty neutral list gives
        a two-class model."""
        from sklearn.linear_model import LogisticRegression

        texts, labels = [], []
        for label in STANCE_LABELS:
            texts += list(examples.get(label, ()))
            labels += [label] * len(examples.get(label, ()))
        if len(set(labels)) < 2:
            raise ValueError("a stance model needs examples of both poles")
        texts = scoring_texts(texts)
        vectorizer, grams = CharGrams.fit_transform(texts, (1, settings.ngram_max))
        clauses = _clause_grams(vectorizer, texts, settings)
        model = LogisticRegression(C=settings.c, max_iter=5000, class_weight="balanced")
        model.fit(_design(grams, vectors, polarity, settings, clauses), labels)
        head = LinearClassifier.from_model(model)
        return cls(vectorizer, head, head.classes, settings)

    def probabilities(
        self, texts: Sequence[str], vectors: np.ndarray, polarity: np.ndarray | None = None
    ) -> np.ndarray:
        """(n, 3) probabilities of negative, neutral, positive (neutral 0 for a two-class model)."""
        out = np.zeros((len(texts), len(STANCE_LABELS)))
        if not len(texts):
            return out
        texts = scoring_texts(texts)
        clauses = _clause_grams(self.vectorizer, texts, self.settings)
        probs = self.model.probabilities(
            _design(self.vectorizer.transform(texts), vectors, polarity, self.settings, clauses)
        )
        for column, label in enumerate(self.classes):
            out[:, STANCE_LABELS.index(label)] = probs[:, column]
        return out

    def stance(self, texts: Sequence[str], vectors: np.ndarray, polarity: np.ndarray | None = None) -> np.ndarray:
        """-1..1 per text: P(positive) - P(negative), agreeing in label with the most probable class."""
        return stance_value(self.probabilities(texts, vectors, polarity))


def stance_value(probs: np.ndarray) -> np.ndarray:
    """``P(pos) - P(neg)`` of (n, 3) negative/neutral/positive probabilities, moved to the neutral
    band's edge where its label and the most probable class disagree.

    >>> stance_value(np.array([[0.1, 0.2, 0.7], [0.3, 0.4, 0.3], [0.45, 0.1, 0.45001]])).round(3).tolist()
    [0.6, 0.0, 0.15]
    """
    diff = probs[:, 2] - probs[:, 0]
    best = probs.argmax(axis=1)
    # stored stances are rounded to 4 decimals: a neutral sentence must stay inside the band after that
    inside = NEUTRAL_BAND - 1e-4
    return np.where(
        best == 1,
        np.clip(diff, -inside, inside),
        np.where(best == 2, np.maximum(diff, NEUTRAL_BAND), np.minimum(diff, -NEUTRAL_BAND)),
    )


def _clause_grams(vectorizer: CharGrams, texts: list[str], settings: StanceSettings):
    """N-grams of each text's last contrast clause (an empty row where it has none), scaled by
    ``clause_weight``; None when the weight is 0."""
    if not settings.clause_weight:
        return None
    return vectorizer.transform([last_clause(t) or "" for t in texts]) * settings.clause_weight


def _design(grams, vectors: np.ndarray, polarity: np.ndarray | None, settings: StanceSettings, clauses=None):
    from scipy.sparse import csr_matrix, hstack

    polarity = np.zeros(grams.shape[0]) if polarity is None else np.asarray(polarity, dtype=np.float64)
    return hstack(
        [
            grams,
            *([] if clauses is None else [clauses]),
            csr_matrix(np.asarray(vectors, dtype=np.float64) * settings.vector_weight),
            csr_matrix(polarity[:, None] * settings.polarity_weight),
        ]
    ).tocsr()
