"""The shipped narratives' labelled examples (issue 9): they train each narrative's stance classifier,
so they must not leak the dev half they are tuned on, and every label needs both languages."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest

from narrative.catalog import load_narratives

GOLD = Path(__file__).resolve().parents[1] / "gold" / "narratives"
HAN = re.compile(r"[\u3400-\u9fff]")
# Character 3-gram Jaccard at or above this is a rewording of the gold sentence, not a new one.
NEAR_COPY = 0.6


def _normalised(text: str) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).casefold())


def _trigrams(text: str) -> set[str]:
    flat = _normalised(text)
    return {flat[i : i + 3] for i in range(max(1, len(flat) - 2))}


def _examples(narrative) -> dict[str, tuple[str, ...]]:
    ex = narrative.examples
    return {"positive": ex.positive, "negative": ex.negative, "neutral": ex.neutral, "irrelevant": ex.irrelevant}


@pytest.mark.parametrize("narrative", load_narratives(), ids=lambda n: n.id)
def test_issue_9_examples_are_no_copies_of_dev_sentences(narrative):
    dev_path = GOLD / f"{narrative.id.replace('-', '_')}.dev.jsonl"
    dev = [json.loads(line)["text"] for line in dev_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(dev) >= 100
    dev_flat = {_normalised(text) for text in dev}
    dev_grams = [_trigrams(text) for text in dev]
    for label, texts in _examples(narrative).items():
        for text in texts:
            assert _normalised(text) not in dev_flat, f"{narrative.id} {label} example repeats a dev sentence: {text}"
            grams = _trigrams(text)
            closest = max(len(grams & other) / len(grams | other) for other in dev_grams)
            assert closest < NEAR_COPY, f"{narrative.id} {label} example rewords a dev sentence ({closest:.2f}): {text}"


@pytest.mark.parametrize("narrative", load_narratives(), ids=lambda n: n.id)
def test_issue_9_every_label_has_english_and_chinese_examples(narrative):
    for label, texts in _examples(narrative).items():
        chinese = sum(bool(HAN.search(text)) for text in texts)
        assert len(texts) >= 20, f"{narrative.id} {label}: {len(texts)} examples"
        assert 0.25 <= chinese / len(texts) <= 0.75, f"{narrative.id} {label}: {chinese} of {len(texts)} in Chinese"
