"""Pinned floors on the figure gold (tests/gold/figures): a regression in figures fails here (issue 10 item 3)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from narrative.nlp.pipeline import Extractor

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "eval_figures.py"
FLOORS = {("heldout", "en"): 0.95, ("heldout", "zh"): 0.90, ("dev", "en"): 0.97, ("dev", "zh"): 0.97}


@pytest.fixture(scope="module")
def evaluation():
    spec = importlib.util.spec_from_file_location("eval_figures", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def extractor():
    return Extractor.load()


@pytest.mark.parametrize("half", ["dev", "heldout"])
def test_figures_gold_value_unit_f1_floor(evaluation, extractor, half):
    items = evaluation.load_gold(half)
    predictions = [
        [
            {"value": f.value, "value_high": f.value_high, "unit": f.unit, "direction": f.direction}
            for f in result.figures
        ]
        for result in extractor.extract_many(("", i["text"], i["language"]) for i in items)
    ]
    scores = evaluation.score(items, predictions)["prf"]
    for language in ("en", "zh"):
        assert scores[language].f1 >= FLOORS[(half, language)], (half, language, scores[language].line())
