"""The n-gram TF-IDF and stance classifier kept as arrays give scikit-learn's outputs, and reading a
fitted stance classifier back does not import scikit-learn (issue 12: start-up cost)."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest

from narrative.nlp.narrative_tfidf import CharGrams, LinearClassifier, char_wb_ngrams
from narrative.nlp.stance_model import ExampleStanceModel, StanceSettings

TEXTS = [
    "US tightens chip export controls on China",
    "Washington  eases   licence rules for Nvidia's H20",
    "美国收紧对华芯片出口管制",
    "荷兰放宽光刻机出口 but ASML shares fall",
    "",
    "x",
    "Hyperscalers raise AI capex guidance again!",
]
UNSEEN = ["Zebra quokka 斑马", "   ", "Export curbs tightened, but growth will slow", "芯片"]


@pytest.mark.parametrize("ngram_range", [(1, 4), (2, 4), (1, 1), (3, 5)])
def test_char_grams_match_scikit_learn(ngram_range):
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=ngram_range, sublinear_tf=True)
    vectorizer.fit(TEXTS)
    grams = CharGrams.from_vectorizer(vectorizer)
    for texts in (TEXTS, UNSEEN):
        expected = vectorizer.transform(texts).toarray()
        np.testing.assert_allclose(grams.transform(texts).toarray(), expected, rtol=0, atol=1e-12)
        assert char_wb_ngrams(texts[0].lower(), ngram_range) == vectorizer.build_analyzer()(texts[0])


def test_char_grams_refuse_other_vectorizers():
    from sklearn.feature_extraction.text import TfidfVectorizer

    with pytest.raises(ValueError):
        CharGrams.from_vectorizer(TfidfVectorizer(analyzer="word", sublinear_tf=True).fit(TEXTS))
    with pytest.raises(ValueError):
        CharGrams.from_vectorizer(TfidfVectorizer(analyzer="char_wb").fit(TEXTS))


@pytest.mark.parametrize("classes", [2, 3])
def test_linear_classifier_matches_predict_proba(classes):
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 5))
    y = np.resize(np.array(["negative", "neutral", "positive"][:classes]), 60)
    model = LogisticRegression(C=3.0, max_iter=2000).fit(x, y)
    head = LinearClassifier.from_model(model)
    assert head.classes == tuple(model.classes_)
    np.testing.assert_allclose(head.probabilities(x), model.predict_proba(x), rtol=0, atol=1e-12)


def fitted_stance_model(neutral: bool) -> ExampleStanceModel:
    examples = {
        "negative": ["Export controls tightened", "美国收紧芯片出口管制", "New curbs on AI chips"],
        "neutral": ["Officials met to discuss chips", "双方举行会谈"] if neutral else [],
        "positive": ["Export controls eased", "美国放宽芯片出口管制", "Licences granted for AI chips"],
    }
    rows = sum(len(v) for v in examples.values())
    vectors = np.random.default_rng(1).normal(size=(rows, 8))
    settings = StanceSettings(c=10.0, vector_weight=0.5, polarity_weight=0.5, clause_weight=0.6)
    return ExampleStanceModel.fit(examples, vectors, settings, np.linspace(-1, 1, rows))


@pytest.mark.parametrize("neutral", [True, False])
def test_stance_model_keeps_scikit_learns_probabilities(neutral):
    """The classifier as arrays predicts what the scikit-learn pipeline it came from predicts."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from narrative.nlp.narrative_text import last_clause, scoring_texts

    model = fitted_stance_model(neutral)
    texts = ["Curbs tightened again, but licences eased", "美国放宽出口管制", "Unrelated words"]
    vectors = np.random.default_rng(2).normal(size=(3, 8))
    polarity = np.array([0.2, -0.4, 0.0])
    got = model.probabilities(texts, vectors, polarity)
    # the same fit done by hand with scikit-learn's objects
    examples = ["Export controls tightened", "美国收紧芯片出口管制", "New curbs on AI chips"]
    labels = ["negative"] * 3
    if neutral:
        examples += ["Officials met to discuss chips", "双方举行会谈"]
        labels += ["neutral"] * 2
    examples += ["Export controls eased", "美国放宽芯片出口管制", "Licences granted for AI chips"]
    labels += ["positive"] * 3
    train_vectors = np.random.default_rng(1).normal(size=(len(examples), 8))
    train_polarity = np.linspace(-1, 1, len(examples))
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True)
    clean = scoring_texts(examples)
    grams = vectorizer.fit_transform(clean)

    def design(rows, clean_texts, vecs, pol):
        clauses = vectorizer.transform([last_clause(t) or "" for t in clean_texts]) * 0.6
        return hstack([rows, clauses, csr_matrix(vecs * 0.5), csr_matrix(pol[:, None] * 0.5)]).tocsr()

    reference = LogisticRegression(C=10.0, max_iter=5000, class_weight="balanced")
    reference.fit(design(grams, clean, train_vectors, train_polarity), labels)
    scored = scoring_texts(texts)
    expected = reference.predict_proba(design(vectorizer.transform(scored), scored, vectors, polarity))
    columns = [("negative", "neutral", "positive").index(c) for c in reference.classes_]
    np.testing.assert_allclose(got[:, columns], expected, rtol=0, atol=1e-9)
    if not neutral:
        assert np.all(got[:, 1] == 0.0)


def test_reading_a_stance_model_back_does_not_import_scikit_learn(tmp_path):
    path = tmp_path / "stance.pkl"
    model = fitted_stance_model(neutral=True)
    path.write_bytes(pickle.dumps(model))
    texts = ["Export controls eased", "美国收紧芯片出口管制"]
    expected = model.stance(texts, np.ones((2, 8)), np.zeros(2))
    code = (
        "import pickle, sys, numpy as np\n"
        f"model = pickle.loads(open({str(path)!r}, 'rb').read())\n"
        f"stance = model.stance({texts!r}, np.ones((2, 8)), np.zeros(2))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'pandas')))\n"
        "print(repr(stance.tolist()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0] == "[]"
    assert np.allclose(eval(out[1]), expected, atol=1e-12)  # noqa: S307 - our own subprocess's repr of floats
