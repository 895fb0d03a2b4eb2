"""Character n-gram TF-IDF and a linear classifier as plain arrays (issue 12: start-up cost).

A prepared narrative (:mod:`narrative.nlp.narrative_cache`) keeps its fitted n-gram vocabularies and its
stance classifier. Kept as scikit-learn objects, reading one back from the cache imported scikit-learn
(and through it scipy.stats and pandas): about 1.5-2.7 CPU-seconds in every process and worker, for a
transform and a matrix product. Scikit-learn still fits them (only when a narrative is prepared); what is
kept is the vocabulary, the idf weights and the coefficients, applied here with numpy and scipy.sparse.
The outputs are scikit-learn's (tested against it to 1e-9).

>>> grams = CharGrams(vocabulary={" a": 0, "a ": 1}, idf=np.ones(2), ngram_range=(2, 2))
>>> grams.transform(["a"]).toarray().round(3).tolist()
[[0.707, 0.707]]
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

_WHITE_SPACES = re.compile(r"\s\s+")  # what scikit-learn's vectorizers fold to one space


@dataclasses.dataclass(frozen=True)
class CharGrams:
    """A fitted ``TfidfVectorizer(analyzer="char_wb", sublinear_tf=True)`` (lowercase, l2 rows, smooth idf)."""

    vocabulary: dict[str, int]
    idf: np.ndarray
    ngram_range: tuple[int, int]

    @classmethod
    def fit(cls, texts: Sequence[str], ngram_range: tuple[int, int]) -> CharGrams:
        """Fit scikit-learn's vectorizer on ``texts`` and keep its vocabulary and idf."""
        return cls.fit_transform(texts, ngram_range)[0]

    @classmethod
    def fit_transform(cls, texts: Sequence[str], ngram_range: tuple[int, int]) -> tuple[CharGrams, Any]:
        """:meth:`fit`, and scikit-learn's own TF-IDF rows of ``texts`` (what a classifier is fitted on)."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=ngram_range, sublinear_tf=True)
        rows = vectorizer.fit_transform(list(texts))
        return cls.from_vectorizer(vectorizer), rows

    @classmethod
    def from_vectorizer(cls, vectorizer) -> CharGrams:
        """The arrays of a fitted ``char_wb`` TfidfVectorizer with sublinear tf (other settings are refused)."""
        if vectorizer.analyzer != "char_wb" or not vectorizer.sublinear_tf or vectorizer.norm != "l2":
            raise ValueError("only char_wb vectorizers with sublinear tf and l2 rows are supported")
        if not vectorizer.lowercase or vectorizer.strip_accents or not vectorizer.use_idf:
            raise ValueError("only lowercasing, idf-weighted vectorizers without accent stripping are supported")
        vocabulary = {str(gram): int(column) for gram, column in vectorizer.vocabulary_.items()}
        return cls(vocabulary, np.asarray(vectorizer.idf_, dtype=np.float64), tuple(vectorizer.ngram_range))

    @property
    def width(self) -> int:
        return len(self.vocabulary)

    def transform(self, texts: Sequence[str]):
        """(n, width) scipy.sparse CSR rows: sublinear tf times idf, each row of unit length."""
        from scipy.sparse import csr_matrix

        indptr, indices, values = [0], [], []
        for text in texts:
            counts = Counter(
                self.vocabulary[g] for g in char_wb_ngrams(text.lower(), self.ngram_range) if g in self.vocabulary
            )
            columns = sorted(counts)
            row = np.array([(1.0 + math.log(counts[c])) * self.idf[c] for c in columns], dtype=np.float64)
            norm = float(np.sqrt(row @ row)) if len(row) else 0.0
            indices += columns
            values += list(row / norm) if norm > 0 else list(row)
            indptr.append(len(indices))
        return csr_matrix(
            (np.asarray(values, dtype=np.float64), np.asarray(indices, dtype=np.int64), np.asarray(indptr)),
            shape=(len(texts), self.width),
        )


def char_wb_ngrams(text: str, ngram_range: tuple[int, int]) -> list[str]:
    """Character n-grams inside word boundaries, each word padded with a space (scikit-learn's ``char_wb``).

    >>> char_wb_ngrams("ab c", (2, 3))
    [' a', 'ab', 'b ', ' ab', 'ab ', ' c', 'c ', ' c ']
    """
    low, high = ngram_range
    grams: list[str] = []
    for word in _WHITE_SPACES.sub(" ", text).split():
        padded = f" {word} "
        for n in range(low, high + 1):
            offset = 0
            grams.append(padded[:n])
            while offset + n < len(padded):
                offset += 1
                grams.append(padded[offset : offset + n])
            if offset == 0:  # a word shorter than n counts once
                break
    return grams


@dataclasses.dataclass(frozen=True)
class LinearClassifier:
    """A fitted scikit-learn ``LogisticRegression`` as its coefficients: ``predict_proba`` by numpy."""

    coef: np.ndarray  # (classes, features), or (1, features) for two classes
    intercept: np.ndarray
    classes: tuple[str, ...]

    @classmethod
    def from_model(cls, model) -> LinearClassifier:
        return cls(
            np.asarray(model.coef_, dtype=np.float64),
            np.asarray(model.intercept_, dtype=np.float64),
            tuple(str(c) for c in model.classes_),
        )

    def probabilities(self, design) -> np.ndarray:
        """(n, classes) probabilities of the rows of ``design`` (dense or sparse), in :attr:`classes` order.

        >>> LinearClassifier(np.array([[1.0]]), np.array([0.0]), ("a", "b")).probabilities(np.zeros((1, 1))).tolist()
        [[0.5, 0.5]]
        """
        scores = np.asarray(design @ self.coef.T) + self.intercept
        if self.coef.shape[0] == 1:  # two classes: a logistic on one score
            positive = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            return np.column_stack([1.0 - positive, positive])
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return exp / exp.sum(axis=1, keepdims=True)
