"""Article relevance and stance from sentence scores, the stance labels, Chinese polarity
(hand-computed; the learnt sentence scores are tested in tests/nlp/test_narrative_model.py)."""

from __future__ import annotations

import pytest

from narrative.nlp.stance import (
    NEUTRAL_BAND,
    SENTENCE_RELEVANT,
    SentenceStance,
    article_stance,
    stance_label,
    zh_polarity,
)


def test_article_stance_is_relevance_weighted_over_relevant_sentences_with_evidence():
    sentences = [SentenceStance(0, 1.0, 0.6, 0.5), SentenceStance(1, 0.5, -0.4, -0.3), SentenceStance(2, 0.1, 0.9, 0.1)]
    result = article_stance(sentences)
    # Sentence 2 (relevance 0.1) is off-topic: it does not pull the stance toward +0.9.
    assert result.stance == pytest.approx((1.0 * 0.6 + 0.5 * -0.4) / 1.5, abs=1e-4)
    assert result.relevance == pytest.approx(0.75)  # mean of the two most relevant sentences
    assert result.tone == pytest.approx((0.5 - 0.3 + 0.1) / 3, abs=1e-4)
    assert result.relevant_sentences == 2
    assert [e["sentence_idx"] for e in result.evidence] == [0, 1]


def test_article_with_no_relevant_sentence_still_gets_a_weighted_stance():
    result = article_stance([SentenceStance(0, 0.2, 0.5, 0.0), SentenceStance(1, 0.2, -0.1, 0.0)])
    assert result.relevant_sentences == 0 and result.stance == pytest.approx(0.2)
    assert article_stance([]).relevance == 0.0


def test_thresholds_are_named_once():
    assert SENTENCE_RELEVANT == 0.5 and NEUTRAL_BAND == 0.15
    assert [stance_label(v) for v in (0.15, 0.149, -0.149, -0.15)] == ["positive", "neutral", "neutral", "negative"]


def test_zh_polarity_counts_chinese_sentiment_words():
    assert zh_polarity("阿里巴巴股价大涨") == pytest.approx(0.3)
    assert zh_polarity("芯片短缺，股价暴跌") == pytest.approx(-0.6)
    assert zh_polarity("公司发布公告") == 0.0
