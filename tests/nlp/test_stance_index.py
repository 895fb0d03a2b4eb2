"""Relevance, stance and the daily index on tiny hand-computed examples."""

from __future__ import annotations

import pytest

from narrative.nlp.index import daily_index, story_clusters
from narrative.nlp.stance import (SentenceFacts, SentenceStance, article_stance, sentence_relevance,
                                  sentence_stance)


def facts(**kwargs):
    return SentenceFacts(index=kwargs.pop("index", 0), text="t", **kwargs)


@pytest.mark.parametrize("kwargs, article_is_chinese, expected", [
    ({"chinese_entities": ("alibaba",), "themes": (("compute_bottleneck", "mixed"),)}, True, 1.0),
    ({"themes": (("export_controls", "negative"),), "china_places": True}, False, 0.8),
    ({"themes": (("export_controls", "negative"),)}, True, 0.8),
    ({"chinese_entities": ("qwen",), "ai_products": True}, True, 0.8),
    ({"chinese_entities": ("deepseek",), "ai_terms": True}, True, 0.7),
    ({"china_places": True, "ai_terms": True}, False, 0.5),
    ({"chinese_entities": ("meituan",)}, True, 0.4),  # a Chinese company with nothing about AI
    ({"themes": (("valuation_hype", "negative"),)}, False, 0.4),
    ({"china_places": True}, False, 0.2),
    ({}, True, 0.0),  # generic market tone in an unrelated sentence does not count
])
def test_sentence_relevance_levels(kwargs, article_is_chinese, expected):
    assert sentence_relevance(facts(**kwargs), article_is_chinese=article_is_chinese) == expected


def test_sentence_stance_prefers_sentiment_toward_the_chinese_entity():
    f = facts(chinese_entities=("alibaba",))
    assert sentence_stance(f, polarity=-0.9, targeted=[0.8]) == pytest.approx(0.8)
    assert sentence_stance(f, polarity=-0.9) == pytest.approx(-0.9)


def test_sentence_stance_blends_theme_priors():
    f = facts(themes=(("export_controls", "negative"), ("chip_self_sufficiency", "positive")))
    assert sentence_stance(f, polarity=0.5) == pytest.approx(0.7 * 0.5 + 0.3 * 0.0)
    g = facts(themes=(("export_controls", "negative"),))
    assert sentence_stance(g, polarity=0.0) == pytest.approx(-0.3)


def test_article_stance_is_relevance_weighted_with_evidence():
    sentences = [SentenceStance(0, 1.0, 0.6, 0.5), SentenceStance(1, 0.5, -0.4, -0.3),
                 SentenceStance(2, 0.0, 0.0, 0.1)]
    result = article_stance(sentences)
    assert result.stance == pytest.approx((1.0 * 0.6 + 0.5 * -0.4) / 1.5, abs=1e-4)
    assert result.relevance == pytest.approx(0.75)  # mean of the two most relevant sentences
    assert result.tone == pytest.approx((0.5 - 0.3 + 0.1) / 3, abs=1e-4)
    assert result.relevant_sentences == 2
    assert [e["sentence_idx"] for e in result.evidence] == [0, 1]


def article(article_id, published, title, relevance, stance, sources=1):
    return {"article_id": article_id, "published": published, "title": title, "relevance": relevance,
            "stance": stance, "sources": sources}


def test_daily_index_hand_computed():
    rows = daily_index([
        article(1, "2025-01-27T02:00:00+00:00", "DeepSeek model rattles Nvidia investors worldwide", 1.0, 0.6, sources=2),
        article(2, "2025-01-27T09:00:00+00:00", "DeepSeek model rattles Nvidia investors worldwide, again", 0.5, 0.2),
        article(3, "2025-01-27T12:00:00+00:00", "US weighs new curbs on chip exports to China", 0.8, -0.5),
        article(4, "2025-01-27T13:00:00+00:00", "Unrelated earnings story", 0.2, 0.9),
        article(5, "2025-01-28T01:00:00+00:00", "SMIC capacity expands", 0.6, 0.3),
    ])
    day = rows[0]
    assert day["date"] == "2025-01-27" and day["attention"] == 3 and day["mentions"] == 4
    assert day["stance"] == pytest.approx((1.0 * 0.6 + 0.5 * 0.2 + 0.8 * -0.5) / 2.3, abs=1e-4)
    assert day["share_positive"] == pytest.approx(2 / 3, abs=1e-4)
    # Stories 1 and 2 are one story: it counts once, at weight 1.0 and mean stance 0.4.
    assert day["attention_novel"] == 2
    assert day["stance_novel"] == pytest.approx((1.0 * 0.4 + 0.8 * -0.5) / 1.8, abs=1e-4)
    assert rows[1] == {"date": "2025-01-28", "attention": 1, "mentions": 1, "stance": 0.3, "share_positive": 1.0,
                       "attention_novel": 1, "stance_novel": 0.3}


def test_story_clusters_need_time_proximity():
    same = "Alibaba unveils new Qwen model for enterprise customers"
    clusters = story_clusters([article(1, "2025-01-01T00:00:00+00:00", same, 1, 0),
                               article(2, "2025-01-02T00:00:00+00:00", same, 1, 0),
                               article(3, "2025-02-01T00:00:00+00:00", same, 1, 0)])
    assert clusters == {1: 1, 2: 1, 3: 3}
