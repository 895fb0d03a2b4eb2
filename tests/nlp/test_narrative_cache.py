"""Prepared narratives kept on disk (issue 9/12): a cache hit scores exactly like a fresh fit, and any
change of narrative, model or format prepares again."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from narrative.api.score import narrative_cache_dir
from narrative.catalog import Narrative
from narrative.config import Settings
from narrative.nlp import narrative_model
from narrative.nlp.narrative_features import SentenceFacts
from narrative.nlp.narrative_model import NarrativeScorer

SENTENCES = [
    "Ministry cuts widget duties",
    "Ministry raises widget duties",
    "商務部下調小部件關稅",
    "The film premiered on Friday",
]


def _toy(description: str = "Whether tariffs on imported widgets are rising or falling.") -> Narrative:
    return Narrative.model_validate(
        {
            "id": "toy",
            "name": "Toy",
            "description": description,
            "poles": {"positive": "widget tariffs fall", "negative": "widget tariffs rise"},
            "examples": {
                "positive": [
                    "Widget tariffs cut by the ministry",
                    "Officials lower duties on widgets",
                    "政府下调小部件关税",
                ],
                "negative": [
                    "Widget tariffs raised by the ministry",
                    "Officials raise duties on widgets",
                    "政府上调小部件关税",
                ],
                "neutral": ["Widget tariff talks continue on Tuesday"],
                "irrelevant": ["The weather was sunny", "A film premiered", "The match ended in a draw"],
            },
        }
    )


def _polarity(texts: list[str]) -> list[float]:
    return [0.1 * (len(t) % 3 - 1) for t in texts]  # any fixed function: the cache must keep what it gave


def _scores(scorer: NarrativeScorer, prepared) -> tuple[np.ndarray, np.ndarray]:
    facts = [SentenceFacts(text=t, polarity=0.2, chinese=not t.isascii()) for t in SENTENCES]
    return scorer.score(prepared, facts)


def test_issue_9_a_cached_prepared_narrative_scores_exactly_like_a_fresh_fit(tmp_path, monkeypatch):
    fresh = NarrativeScorer.load().prepare(_toy(), polarity=_polarity, polarity_version="p1", cache_dir=tmp_path)
    assert len(list(tmp_path.glob("toy-*.pkl"))) == 1
    expected = _scores(NarrativeScorer.load(), fresh)

    def must_not_fit(*args, **kwargs):
        raise AssertionError("prepared again although the cache holds it")

    monkeypatch.setattr(narrative_model, "prepare_narrative", must_not_fit)
    scorer = NarrativeScorer.load()  # a new process, in effect: empty memory cache
    from_disk = scorer.prepare(_toy(), polarity=_polarity, polarity_version="p1", cache_dir=tmp_path)
    relevance, stance = _scores(scorer, from_disk)
    assert np.array_equal(relevance, expected[0]) and np.array_equal(stance, expected[1])
    assert from_disk.fitted.get(None) is not None  # the example heads came from the file too


def test_a_changed_narrative_or_polarity_model_is_prepared_again(tmp_path, monkeypatch):
    NarrativeScorer.load().prepare(_toy(), polarity=_polarity, polarity_version="p1", cache_dir=tmp_path)
    calls = []
    real = narrative_model.prepare_narrative

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(narrative_model, "prepare_narrative", counting)
    NarrativeScorer.load().prepare(_toy(), polarity=_polarity, polarity_version="p2", cache_dir=tmp_path)
    NarrativeScorer.load().prepare(
        _toy("Widget duties, up or down."), polarity=_polarity, polarity_version="p1", cache_dir=tmp_path
    )
    assert len(calls) == 2 and len(list(tmp_path.glob("toy-*.pkl"))) == 3


def test_an_unreadable_cache_file_is_prepared_again_and_rewritten(tmp_path):
    scorer = NarrativeScorer.load()
    expected = _scores(scorer, scorer.prepare(_toy(), polarity=_polarity, polarity_version="p1", cache_dir=tmp_path))
    (file,) = tmp_path.glob("toy-*.pkl")
    file.write_bytes(file.read_bytes()[:100])  # cut short
    again = NarrativeScorer.load()
    relevance, stance = _scores(
        again, again.prepare(_toy(), polarity=_polarity, polarity_version="p1", cache_dir=tmp_path)
    )
    assert np.array_equal(relevance, expected[0]) and np.array_equal(stance, expected[1])
    assert file.stat().st_size > 1000


def test_without_a_polarity_version_nothing_is_kept(tmp_path):
    NarrativeScorer.load().prepare(_toy(), polarity=_polarity, cache_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_the_cache_folder_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("NARRATIVE_HOME", str(tmp_path / "home"))
    assert narrative_cache_dir(Settings()) == tmp_path / "home" / "cache" / "narratives"
    assert narrative_cache_dir(Settings(narrative_cache="off")) is None
    assert narrative_cache_dir(Settings.load({"NARRATIVE_NARRATIVE_CACHE": str(tmp_path / "c")})) == tmp_path / "c"


@pytest.mark.parametrize("narrative_id", ["china-ai"])
def test_scoring_context_keeps_the_shipped_narrative_in_the_cache_folder(narrative_id, tmp_path, monkeypatch):
    score = importlib.import_module("narrative.api.score")  # the module; narrative.api.score is also a function

    monkeypatch.setenv("NARRATIVE_NARRATIVE_CACHE", str(tmp_path))
    monkeypatch.setattr(score, "_SCORERS", {})  # a fresh scorer: nothing prepared in memory
    ctx = score.scoring_context(narrative_id)
    (file,) = tmp_path.glob(f"{narrative_id}-*.pkl")
    assert ctx.prepared.narrative.version == ctx.narrative.version and file.stat().st_size > 10_000
