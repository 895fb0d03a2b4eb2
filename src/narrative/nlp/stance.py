"""From sentence scores to an article's relevance and stance; the stance labels; Chinese polarity.

Sentence relevance (0..1) and stance (-1..1) come from :mod:`narrative.nlp.narrative_model`; this
module only aggregates them, names the thresholds every consumer shares, and gives Chinese
sentences a polarity (the shipped sentiment model reads English only).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

# A sentence at or above this relevance counts as speaking to the narrative (the article-level cut
# that the index uses is market.index.RELEVANT; both are 0.5, defined apart on purpose).
SENTENCE_RELEVANT = 0.5
# Below this relevance a sentence cannot speak to the narrative: scoring skips its sentiment and stance
# (stance 0), unless the sentiment_sentences setting is "all". Chosen on the dev halves: 2 of 286
# gold-relevant dev sentences score under it, while most sentences of general news score near 0.
MAY_BE_RELEVANT = 0.1
# |stance| below this reads as neutral: the one definition, used by the scorer's labels and the eval.
NEUTRAL_BAND = 0.15

# Chinese sentiment words (language, not narrative): the polarity of Chinese sentences.
_ZH_POSITIVE = (
    "上涨",
    "大涨",
    "飙升",
    "突破",
    "增长",
    "领先",
    "回流",
    "利好",
    "强劲",
    "创新高",
    "超预期",
    "反弹",
    "重估",
)
_ZH_NEGATIVE = ("下跌", "暴跌", "大跌", "管制", "禁令", "限制", "短缺", "泡沫", "流出", "利空", "疲软", "下滑", "承压")


@dataclasses.dataclass(frozen=True)
class SentenceStance:
    index: int
    relevance: float
    stance: float
    polarity: float | None  # the sentence's own sentiment, positive - negative (None: not scored)


@dataclasses.dataclass(frozen=True)
class ArticleStance:
    relevance: float
    stance: float
    tone: float
    relevant_sentences: int
    evidence: list[dict]


def stance_label(stance: float) -> str:
    """``positive``, ``negative`` or ``neutral`` (inside :data:`NEUTRAL_BAND`).

    >>> stance_label(0.4), stance_label(-0.1)
    ('positive', 'neutral')
    """
    if stance >= NEUTRAL_BAND:
        return "positive"
    if stance <= -NEUTRAL_BAND:
        return "negative"
    return "neutral"


def zh_polarity(text: str) -> float:
    """-0.6..0.6 from counts of Chinese sentiment words.

    >>> zh_polarity("股价大涨"), zh_polarity("股价暴跌，前景疲软")
    (0.3, -0.6)
    """
    up = sum(text.count(w) for w in _ZH_POSITIVE)
    down = sum(text.count(w) for w in _ZH_NEGATIVE)
    return 0.0 if up == down else max(-0.6, min(0.6, 0.3 * (up - down)))


def article_stance(sentences: Sequence[SentenceStance], *, evidence_size: int = 3) -> ArticleStance:
    """Relevance-weighted stance of an article, with the sentences that carry it.

    Article relevance is the mean of its two most relevant sentences: one passing mention in a
    long piece about something else does not make the article part of the narrative. Stance is
    weighted by relevance over the relevant sentences (all sentences when none is).

    >>> article_stance([SentenceStance(0, 0.9, 0.5, 0.2)]).relevance
    0.9
    """
    if not sentences:
        return ArticleStance(0.0, 0.0, 0.0, 0, [])
    scored = [s.polarity for s in sentences if s.polarity is not None]  # tone of the sentences sentiment read
    tone = sum(scored) / len(scored) if scored else 0.0
    top = sorted((s.relevance for s in sentences), reverse=True)[:2]
    relevance = sum(top) / len(top)
    # Only sentences that speak to the narrative carry its stance (a long article's many
    # off-topic sentences, each a little relevant, would otherwise outvote them).
    weighted = [s for s in sentences if s.relevance >= SENTENCE_RELEVANT] or [s for s in sentences if s.relevance > 0]
    weight = sum(s.relevance for s in weighted)
    stance = sum(s.relevance * s.stance for s in weighted) / weight if weight else 0.0
    evidence = sorted(weighted, key=lambda s: s.relevance * abs(s.stance), reverse=True)[:evidence_size]
    return ArticleStance(
        relevance=round(relevance, 4),
        stance=round(_clip(stance), 4),
        tone=round(tone, 4),
        relevant_sentences=sum(1 for s in sentences if s.relevance >= SENTENCE_RELEVANT),
        evidence=[
            {"sentence_idx": s.index, "relevance": round(s.relevance, 3), "stance": round(s.stance, 3)}
            for s in evidence
        ],
    )


def _clip(value: float) -> float:
    return max(-1.0, min(1.0, value))
