"""Relevance and stance of sentences and articles toward a narrative.

Pure functions over what extraction and the sentiment model already produced; no I/O.

Relevance (0-1, like RavenPack's) says how much a sentence is *about* the narrative:
a Chinese entity together with one of the narrative's themes is fully relevant; a theme
in an article about Chinese entities, or a Chinese AI company, model or chip on its own,
partly; generic market talk not at all.

Stance (-1..1) says which way it points: positive = China's AI breaking through or gaining,
negative = held back, restricted or overhyped. It blends the model's sentiment *toward the
Chinese entity* (entity-targeted scoring), or the sentence's own sentiment when no such
entity is named, with the prior of the theme ("export controls" leans negative).
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

# Entity types that make a Chinese entity an AI-narrative actor rather than just "China".
AI_TYPES = {"ai_model", "chip", "company", "index", "etf"}
THEME_PRIOR = {"positive": 1.0, "negative": -1.0, "mixed": 0.0}
RELEVANT = 0.5  # an article at or above this relevance counts toward attention
SENTIMENT_WEIGHT, THEME_WEIGHT = 0.7, 0.3


@dataclasses.dataclass(frozen=True)
class SentenceFacts:
    """What extraction found in one sentence."""

    index: int
    text: str
    chinese_entities: tuple[str, ...] = ()  # ids of Chinese entities of AI_TYPES
    china_places: bool = False  # China / Hong Kong named
    themes: tuple[tuple[str, str], ...] = ()  # (theme id, theme stance) of narrative phrase hits
    ai_products: bool = False  # a Chinese AI model or chip is named (Qwen, Ascend)
    ai_terms: bool = False  # AI vocabulary: "AI", "model", "chip", "computing", 大模型, 算力 ...


@dataclasses.dataclass(frozen=True)
class SentenceStance:
    index: int
    relevance: float
    stance: float
    polarity: float  # the sentence's own sentiment, positive - negative


def sentence_relevance(facts: SentenceFacts, *, article_is_chinese: bool) -> float:
    """0..1: how much this sentence speaks to the narrative (see the module docstring)."""
    entity = bool(facts.chinese_entities)
    theme = bool(facts.themes)
    if entity and theme:
        return 1.0
    if facts.ai_products or (theme and (facts.china_places or article_is_chinese)):
        return 0.8
    if entity and facts.ai_terms:
        return 0.7
    if facts.china_places and facts.ai_terms:
        return 0.5
    if entity or theme:
        return 0.4
    if facts.china_places:
        return 0.2
    return 0.0


def sentence_stance(facts: SentenceFacts, *, polarity: float, targeted: Sequence[float] = ()) -> float:
    """-1..1: sentiment toward the Chinese entities (else the sentence's), blended with theme priors."""
    sentiment = sum(targeted) / len(targeted) if targeted else polarity
    if not facts.themes:
        return _clip(sentiment)
    prior = sum(THEME_PRIOR[stance] for _, stance in facts.themes) / len(facts.themes)
    return _clip(SENTIMENT_WEIGHT * sentiment + THEME_WEIGHT * prior)


@dataclasses.dataclass(frozen=True)
class ArticleStance:
    relevance: float
    stance: float
    tone: float
    relevant_sentences: int
    evidence: list[dict]


def article_stance(sentences: Sequence[SentenceStance], *, evidence_size: int = 3) -> ArticleStance:
    """Relevance-weighted stance of an article, with the sentences that carry it.

    Article relevance is the mean of its two most relevant sentences: one passing mention
    of China in a long piece about something else does not make it a China-AI story.
    """
    if not sentences:
        return ArticleStance(0.0, 0.0, 0.0, 0, [])
    tone = sum(s.polarity for s in sentences) / len(sentences)
    top = sorted((s.relevance for s in sentences), reverse=True)[:2]
    relevance = sum(top) / len(top)
    weighted = [s for s in sentences if s.relevance > 0]
    weight = sum(s.relevance for s in weighted)
    stance = sum(s.relevance * s.stance for s in weighted) / weight if weight else 0.0
    evidence = sorted(weighted, key=lambda s: s.relevance * abs(s.stance), reverse=True)[:evidence_size]
    return ArticleStance(
        relevance=round(relevance, 4), stance=round(_clip(stance), 4), tone=round(tone, 4),
        relevant_sentences=sum(1 for s in sentences if s.relevance >= RELEVANT),
        evidence=[{"sentence_idx": s.index, "relevance": round(s.relevance, 3), "stance": round(s.stance, 3)}
                  for s in evidence],
    )


def _clip(value: float) -> float:
    return max(-1.0, min(1.0, value))
