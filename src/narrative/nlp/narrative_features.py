"""What a sentence looks like *relative to* a narrative's YAML: the features the relevance head reads (issue 9).

Nothing here knows a narrative. Every feature compares a sentence with the narrative's description, the
texts of its two poles, its labelled examples, its theme cues and its scope:

- cosine similarity (multilingual USE vectors, :mod:`narrative.nlp.encoder`) to the description and
  to each pole's text;
- top-k similarity to the narrative's positive, negative, neutral and irrelevant examples, the
  projection on two prototype directions (relevant minus irrelevant examples, positive minus negative
  examples), and two ridge classifiers fitted on the examples' vectors when the narrative is loaded
  (relevant vs irrelevant; positive +1 / neutral 0 / negative -1: a few-shot head per narrative);
- the same stance head and direction on the vector of the sentence's last contrast clause
  (:func:`last_clause`);
- a lexical channel: ridge heads on character 2-4-gram TF-IDF of the examples (reads Chinese
  without a tokenizer), on the sentence and on its contrast clause;
- theme cue hits and mentions of in-scope entities (extraction finds them);
- the sentence's sentiment times the narrative's alignment (how its own examples say sentiment lines
  up with its poles).

The shipped relevance head reads 13 of them (``models/narrative_scorer/heads.json``);
:func:`feature_matrix` computes only the ones asked for, so scoring skips the lexical and clause
channels that only the training script's comparisons read.

>>> last_clause("Capex rose, but growth will slow.")
'but growth will slow.'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

import numpy as np

from ..catalog import Narrative
from .narrative_text import last_clause, scoring_texts
from .narrative_tfidf import CharGrams
from .stance_model import ExampleStanceModel

TOP_K = 3

# The features, by name, in the order the shipped weights expect them.
FEATURES = (
    "sim_description",
    "sim_pole_max",
    "sim_pole_diff",
    "top_relevant",
    "top_irrelevant",
    "top_margin",
    "max_relevant",
    "max_irrelevant",
    "proto_relevance",
    "proto_stance",
    "top_stance_margin",
    "ridge_relevance",
    "ridge_stance",
    "theme_hit",
    "scope_entity",
    "scope_type",
    "chinese_text",
    "polarity_aligned",
    "polarity_abs",
    "has_contrast",
    "clause_ridge_stance",
    "clause_proto_stance",
    "lex_relevance",
    "lex_stance",
    "clause_lex_stance",
)


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
    lexicon: Lexicon | None = None  # char n-grams of the examples
    stance_model: ExampleStanceModel | None = None  # the three-way classifier fitted on the examples
    stance_polarity: np.ndarray | None = None  # sentiment polarity of negative, neutral, positive examples
    # The heads fitted on all examples, fitted once on first use (see _example_heads).
    fitted: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)


def feature_matrix(
    prepared: PreparedNarrative,
    facts: Sequence[SentenceFacts],
    vectors: np.ndarray,
    *,
    clause_vectors: np.ndarray | None = None,
    leave_out: Sequence[tuple[str, int] | None] | None = None,
    only: Iterable[str] | None = None,
) -> np.ndarray:
    """(n, len(FEATURES)) features; with ``only``, the lexical channel is computed only when one of its
    features is asked for (the others stay 0). ``clause_vectors[i]`` is the vector of sentence i's last contrast
    clause (:func:`last_clause`; the sentence's own vector when it has none). ``leave_out[i] =
    ("positive", j)`` drops example j of that label when scoring sentence i (used in training, so an
    example is never compared with itself). Rows that share a mask are computed as one matrix."""
    p = prepared
    n = len(facts)
    rows = np.zeros((n, len(FEATURES)), dtype=np.float64)
    if n == 0:
        return rows
    clause_vectors = vectors if clause_vectors is None else clause_vectors
    lexical = only is None or bool(set(only) & {"lex_relevance", "lex_stance", "clause_lex_stance"})
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
        lex_relevance, lex_stance = heads.lexical(texts) if lexical else (np.zeros(len(texts)),) * 2
        clause_lex = lex_stance.copy()  # the sentence's own score where it has no contrast clause
        with_clause = [j for j, i in enumerate(members) if clauses[i]]
        if with_clause and lexical:
            clause_lex[with_clause] = heads.lexical([clauses[members[j]] for j in with_clause])[1]
        facts_g = [facts[i] for i in members]
        rows[idx] = np.column_stack(
            [
                desc[idx],
                poles[idx].max(axis=1),
                poles[idx, 0] - poles[idx, 1],
                top_rel,
                top_irr,
                top_rel - top_irr,
                relevant_sims.max(axis=1),
                sims["irrelevant"].max(axis=1),
                v @ heads.rel_direction,
                v @ heads.stance_direction,
                _top_rows(sims["positive"]) - _top_rows(sims["negative"]),
                v @ heads.ridge_relevance[:-1] + heads.ridge_relevance[-1],
                ridge_stance,
                [float(bool(f.theme_ids)) for f in facts_g],
                [float(bool(f.entity_ids & p.scope_entities)) for f in facts_g],
                [float(bool(f.entity_types & p.scope_types)) for f in facts_g],
                [float(f.chinese) for f in facts_g],
                [f.polarity * p.alignment for f in facts_g],
                [abs(f.polarity) for f in facts_g],
                [float(clauses[i] is not None) for i in members],
                c @ heads.ridge_stance[:-1] + heads.ridge_stance[-1],
                c @ heads.stance_direction,
                lex_relevance,
                lex_stance,
                clause_lex,
            ]
        )
    return rows


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
    lexicon: Lexicon | None
    lex_relevance: np.ndarray | None  # ridge weights on the lexicon's char n-grams, bias last
    lex_stance: np.ndarray | None

    def lexical(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Lexical relevance and stance scores (zeros without a lexicon)."""
        if self.lexicon is None or self.lex_relevance is None or self.lex_stance is None or not texts:
            return np.zeros(len(texts)), np.zeros(len(texts))
        x = self.lexicon.vectorizer.transform(scoring_texts(texts))
        return (
            np.asarray(x @ self.lex_relevance[:-1]).ravel() + self.lex_relevance[-1],
            np.asarray(x @ self.lex_stance[:-1]).ravel() + self.lex_stance[-1],
        )


@dataclasses.dataclass(frozen=True)
class Lexicon:
    """Character n-gram TF-IDF over the narrative's examples (works for Chinese without a tokenizer)."""

    vectorizer: CharGrams  # char 2-4-gram TF-IDF fitted on the examples (arrays: no scikit-learn to read it back)
    rows: dict[str, object]  # label -> sparse TF-IDF rows of its examples

    @classmethod
    def fit(cls, examples: dict[str, Sequence[str]]) -> Lexicon:
        from scipy.sparse import csr_matrix

        examples = {label: scoring_texts(texts) for label, texts in examples.items()}
        vectorizer = CharGrams.fit([t for texts in examples.values() for t in texts], (2, 4))
        width = vectorizer.width
        return cls(
            vectorizer,
            {
                label: vectorizer.transform(list(texts)) if texts else csr_matrix((0, width))
                for label, texts in examples.items()
            },
        )


def with_example_heads(prepared: PreparedNarrative) -> PreparedNarrative:
    """``prepared`` with its example heads fitted now rather than on first use (so a cached copy holds them).

    >>> with_example_heads(prepared).fitted[None]  # doctest: +SKIP
    """
    if None not in prepared.fitted:
        prepared.fitted[None] = _example_heads(prepared, None)
    return prepared


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
        examples=ex,
        rel_direction=_unit(_unit(centroid["positive"] + centroid["negative"]) - centroid["irrelevant"]),
        stance_direction=_unit(centroid["positive"] - centroid["negative"]),
        ridge_relevance=_ridge(np.vstack([relevant, irr]), relevance_target),
        ridge_stance=_ridge(relevant, stance_target),
        lexicon=p.lexicon,
        lex_relevance=lex_relevance,
        lex_stance=lex_stance,
    )


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
