"""Story clustering and novelty: copies, rewrites and translations of one story become one cluster.

An article is represented by its title and lead (the first sentences of its text) encoded with the
multilingual sentence encoder (an English headline and its Chinese translation land close), plus two
cheap signals that survive translation: the catalog entities it names and the figures it states
(``$57 billion`` and ``570亿美元`` are one value). A logistic score over those signals and the time
between two articles says how likely they tell the same story; the weights are fitted on the dev half
of ``tests/gold/stories`` by ``scripts/eval_stories.py --fit`` and pinned here.

Assignment is incremental and ordered by publication time (then id), so the same articles give the same
stories whatever batches they arrived in: an article joins the story whose member it matches best, among
stories first seen at most :data:`WINDOW` before it, when that match scores at least :data:`THRESHOLD`;
otherwise it starts a story of its own. A story's id is the id of its first article. An article's
novelty is 1.0 when it starts a story, else 1 minus its best match score: a verbatim copy is near 0, an
update that adds news to a story scores higher.

>>> a = StoryArticle(1, datetime(2025, 11, 19, 21, tzinfo=UTC), "Nvidia revenue hits $57 billion")
>>> [p.story_id for p in assign([a], encode_articles([a]))]  # doctest: +SKIP
[1]
"""

from __future__ import annotations

import bisect
import dataclasses
import math
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from .encoder import ENCODER_VERSION, encode

WINDOW = timedelta(days=3)  # a story's copies appear within days; a later follow-up is a new story
THRESHOLD = 0.5  # same-story probability needed to join; tuned on the dev half only
CANDIDATES = 25  # members compared in full per article: the nearest by vector similarity
LEAD_SENTENCES = 2
FIGURE_TOLERANCE = 0.005  # relative: "$57bn" and "$57.0 billion" are one figure, "$5.7bn" is not

# Logistic weights over the pair features (see pair_features); fitted by scripts/eval_stories.py --fit.
WEIGHTS = {
    "similarity": 2.64,  # cosine of the title + lead vectors
    "shared_figures": 2.25,  # same (unit, value) stated in both (up to 3) x similarity
    "conflicting_figures": -1.61,  # both state figures, none in common
    "shared_entities": 1.59,  # Jaccard of the catalog entities named x similarity
    "disjoint_entities": -2.11,  # both name entities, none in common
    "days_apart": -1.68,
    "cross_language": 0.85,  # one English, one Chinese: their vectors sit further apart for the same story
    "cross_language_similarity": 1.51,
}
BIAS = -2.24
ASSIGNER_VERSION = f"stories-2+{ENCODER_VERSION}+t{THRESHOLD}"

_SENTENCE_END = re.compile(r"(?<=[.!?。！？])[\"'”’)）]*\s*")
_HAN = re.compile(r"[\u4e00-\u9fff]")


@dataclasses.dataclass(frozen=True)
class StoryArticle:
    """What story assignment reads about one article.

    ``figures`` holds ``(unit, value)`` pairs as the extractor normalises them (``("USD", 5.7e10)``).
    """

    article_id: int
    published: datetime  # timezone-aware
    title: str
    lead: str = ""
    entities: frozenset[str] = frozenset()
    figures: frozenset[tuple[str, float]] = frozenset()

    @property
    def chinese(self) -> bool:
        return is_chinese(self.title + self.lead)


@dataclasses.dataclass(frozen=True)
class Placement:
    """Where one article landed: its story, its novelty, and the earlier article it matched (if any)."""

    article_id: int
    story_id: int
    novelty: float
    matched: int | None = None
    score: float | None = None


@dataclasses.dataclass(frozen=True)
class PlacedArticle:
    """An article already in a story (context from the store): its story and when that story began."""

    article: StoryArticle
    story_id: int
    first_seen: datetime


def lead_of(text: str, *, sentences: int = LEAD_SENTENCES) -> str:
    """The first ``sentences`` sentences of ``text`` (English or Chinese punctuation), whitespace collapsed.

    >>> lead_of("Revenue rose 62%. Shares fell. Analysts were surprised.")
    'Revenue rose 62%. Shares fell.'
    """
    text = " ".join((text or "").split())
    parts = [p for p in _SENTENCE_END.split(text) if p.strip()]
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    if len(parts) <= sentences or len(ends) < sentences:
        return text
    return text[: ends[sentences - 1]].strip()


def story_article(
    article_id: int, published: str | datetime, title: str, text: str = "", sentences: Sequence[dict] = ()
) -> StoryArticle:
    """A StoryArticle from an article and its extracted sentences (``{start, text, entities, figures}`` each,
    offsets into ``title + "\\n\\n" + text`` as the extractor stores them).

    The lead is the first :data:`LEAD_SENTENCES` sentences after the title; entities and figures count only
    in the title and lead. Without sentences (not yet extracted), the lead is cut from ``text``.

    >>> story_article(7, "2025-11-19T21:20:00+00:00", "Nvidia tops forecasts", "Revenue rose 62%. More.").lead
    'Revenue rose 62%. More.'
    """
    when = published if isinstance(published, datetime) else datetime.fromisoformat(published)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if not sentences:
        return StoryArticle(article_id, when, title, lead_of(text))
    head = [s for s in sentences if s["start"] < len(title)]
    body = [s for s in sentences if s["start"] >= len(title)][:LEAD_SENTENCES]
    entities = frozenset().union(*(s.get("entities", ()) for s in head + body))
    figures = frozenset().union(*(s.get("figures", ()) for s in head + body))
    return StoryArticle(article_id, when, title, " ".join(s["text"] for s in body), entities, figures)


def is_chinese(text: str) -> bool:
    """True when a fifth or more of the non-space characters are Han characters.

    >>> is_chinese("英伟达营收570亿美元"), is_chinese("Nvidia revenue")
    (True, False)
    """
    letters = [c for c in text if not c.isspace()]
    return bool(letters) and len(_HAN.findall(text)) / len(letters) >= 0.2


def encode_articles(articles: Sequence[StoryArticle]) -> np.ndarray:
    """Encoder vectors of each article's title + lead, one row per article.

    >>> encode_articles([]).shape
    (0, 512)
    """
    return encode([f"{a.title} {a.lead}".strip() for a in articles])


def pair_features(a: StoryArticle, b: StoryArticle, similarity: float) -> dict[str, float]:
    """The features of one pair of articles that the same-story score weighs.

    >>> t = datetime(2025, 1, 1, tzinfo=UTC)
    >>> f = pair_features(StoryArticle(1, t, "x", figures=frozenset({("%", 62.0)})),
    ...                   StoryArticle(2, t, "y", figures=frozenset({("%", 62.0)})), 0.5)
    >>> f["shared_figures"], f["conflicting_figures"]
    (0.5, 0.0)
    """
    shared = _shared_figures(a.figures, b.figures)
    entities = a.entities | b.entities
    cross = float(a.chinese != b.chinese)
    return {
        "similarity": similarity,
        # Shared figures and entities count in proportion to how alike the texts read: "$1 billion" in two
        # unrelated reports, or two stories about one company on one day, must not make one story.
        "shared_figures": similarity * min(shared, 3),
        "conflicting_figures": float(bool(a.figures and b.figures and not shared)),
        "shared_entities": similarity * len(a.entities & b.entities) / len(entities) if entities else 0.0,
        "disjoint_entities": float(bool(a.entities and b.entities and not a.entities & b.entities)),
        "days_apart": abs((a.published - b.published).total_seconds()) / 86400,
        "cross_language": cross,
        "cross_language_similarity": cross * similarity,
    }


def same_story_score(
    features: dict[str, float], *, weights: dict[str, float] | None = None, bias: float | None = None
) -> float:
    """Probability (0..1) that a pair tells the same story, from :func:`pair_features`.

    >>> round(same_story_score({name: 0.0 for name in WEIGHTS}), 3)
    0.096
    """
    weights = WEIGHTS if weights is None else weights
    z = (BIAS if bias is None else bias) + sum(weights[name] * features[name] for name in weights)
    return 1.0 / (1.0 + math.exp(-z))


def assign(
    articles: Sequence[StoryArticle],
    vectors: np.ndarray,
    *,
    context: Sequence[PlacedArticle] = (),
    context_vectors: np.ndarray | None = None,
    threshold: float = THRESHOLD,
    window: timedelta = WINDOW,
    weights: dict[str, float] | None = None,
    bias: float | None = None,
) -> list[Placement]:
    """Place ``articles`` (rows of ``vectors``) into stories, oldest first; returns one Placement each, in
    publication order.

    ``context`` are earlier articles already placed (from the store) that new ones may join; pass their
    vectors as ``context_vectors``. Only stories first seen within ``window`` before an article are
    candidates, so a follow-up days later starts its own story.
    """
    if context and context_vectors is None:
        context_vectors = encode_articles([p.article for p in context])
    order = sorted(range(len(articles)), key=lambda i: (articles[i].published, articles[i].article_id))
    context_order = sorted(
        range(len(context)), key=lambda i: (context[i].article.published, context[i].article.article_id)
    )
    context = [context[i] for i in context_order]
    members: list[StoryArticle] = [p.article for p in context]
    member_story: list[int] = [p.story_id for p in context]
    times = [a.published for a in members]
    first_seen: dict[int, datetime] = {p.story_id: p.first_seen for p in context}
    pools = [context_vectors[context_order]] if context and context_vectors is not None else []
    member_vectors = np.vstack([*pools, vectors[order]]) if order or pools else vectors
    placements = []
    for i in order:
        article = articles[i]
        best: tuple[float, int] | None = None
        # members are in time order, and a candidate story began within the window, so its members did too
        start = bisect.bisect_left(times, article.published - window)
        eligible = [m for m in range(start, len(members)) if article.published - first_seen[member_story[m]] <= window]
        if eligible:
            idx = np.array(eligible)
            similarity = member_vectors[idx] @ vectors[i]
            for k in np.argsort(-similarity, kind="stable")[:CANDIDATES]:
                m = int(idx[k])
                features = pair_features(article, members[m], float(similarity[k]))
                score = same_story_score(features, weights=weights, bias=bias)
                if best is None or score > best[0]:
                    best = (score, m)
        if best is not None and best[0] >= threshold:
            score, m = best
            story = member_story[m]
            placements.append(
                Placement(article.article_id, story, round(1.0 - score, 4), members[m].article_id, round(score, 4))
            )
        else:
            story = article.article_id
            first_seen[story] = article.published
            placements.append(Placement(article.article_id, story, 1.0))
        members.append(article)
        member_story.append(story)
        times.append(article.published)
    return placements


def _shared_figures(left: Iterable[tuple[str, float]], right: Iterable[tuple[str, float]]) -> int:
    right = list(right)
    return sum(
        1
        for unit, value in left
        if any(unit == u and math.isclose(value, v, rel_tol=FIGURE_TOLERANCE) for u, v in right)
    )
