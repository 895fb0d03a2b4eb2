"""The stance corpus that trains the English stance transformer (issue 9): well-formed, English, every label present,
and no near copy of any gold sentence (the transformer must not see the sets it is measured on)."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from narrative.catalog import load_narratives

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "models" / "narrative_scorer" / "stance_corpus"
GOLD = ROOT / "tests" / "gold" / "narratives"
HAN = re.compile(r"[\u3400-\u9fff]")
NEAR_COPY = 0.5  # character 3-gram Jaccard at or above this is a rewording of the gold sentence
FILES = sorted(CORPUS.glob("*.jsonl"))


def _trigrams(text: str) -> frozenset[str]:
    flat = re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).casefold())
    return frozenset(flat[i : i + 3] for i in range(max(1, len(flat) - 2)))


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_issue_9_every_corpus_file_is_a_shipped_narrative():
    ids = {n.id for n in load_narratives()}
    assert FILES
    for path in FILES:
        assert path.stem.replace("_", "-") in ids, path.name


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_issue_9_corpus_lines_are_well_formed(path):
    rows = _rows(path)
    assert len(rows) >= 200
    seen = set()
    for row in rows:
        assert set(row) == {"text", "label", "style"}, row
        assert row["label"] in ("positive", "negative", "neutral"), row
        assert row["style"] in ("headline", "body", "analyst", "social", "press"), row
        assert not HAN.search(row["text"]), row["text"]
        assert row["text"] not in seen, row["text"]
        seen.add(row["text"])
    labels = [r["label"] for r in rows]
    assert min(labels.count(lab) for lab in ("positive", "negative", "neutral")) >= 0.1 * len(rows)


def _presence(grams: list[frozenset[str]], vocabulary: dict[str, int]):
    from scipy.sparse import csr_matrix

    columns = [[vocabulary[g] for g in row if g in vocabulary] for row in grams]
    indptr = np.cumsum([0] + [len(c) for c in columns])
    data = np.ones(indptr[-1], dtype=np.float32)
    return csr_matrix((data, np.concatenate(columns or [[]]).astype(int), indptr), shape=(len(grams), len(vocabulary)))


def test_issue_9_corpus_lines_are_no_copies_of_gold_sentences():
    gold = [
        _trigrams(json.loads(line)["text"])
        for path in sorted(GOLD.glob("*.jsonl"))
        if path.name != "real_2020.jsonl"  # references only: no text in the repository
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    assert len(gold) > 1000
    rows = [(path.name, row["text"]) for path in FILES for row in _rows(path)]
    grams = [_trigrams(text) for _, text in rows]
    vocabulary = {g: i for i, g in enumerate(sorted(set().union(*gold, *grams)))}
    shared = (_presence(grams, vocabulary) @ _presence(gold, vocabulary).T).toarray()  # trigrams in common
    sizes = np.array([len(g) for g in grams])[:, None] + np.array([len(g) for g in gold])[None, :]
    jaccard = shared / (sizes - shared)
    for (name, text), near in zip(rows, jaccard.max(axis=1)):
        assert near < NEAR_COPY, f"{name}: rewords a gold sentence ({near:.2f}): {text}"
