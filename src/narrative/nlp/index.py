"""The daily narrative index, from scored articles. Pure Python, no I/O.

Per UTC calendar day: attention (relevant stories), mentions (their appearances across
sources), relevance-weighted stance, share of positive stories, and a novelty-discounted
stance in which near-duplicate stories (rewrites of one wire story within a few days)
count once. Exact syndicated copies are already one article with several sources.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Iterable

from .stance import RELEVANT

POSITIVE = 0.1  # a story whose stance is above this counts as positive
NOVELTY_DAYS = 3
NOVELTY_JACCARD = 0.6
_WORD = re.compile(r"\w+", re.UNICODE)


def story_clusters(articles: list[dict]) -> dict[int, int]:
    """article_id -> id of the first article of its near-duplicate cluster.

    Two stories are one when their titles share most words (Jaccard >= 0.6; for Chinese,
    characters) and they appeared within three days of each other.
    """
    cluster: dict[int, int] = {}
    seen: list[tuple[datetime, set[str], int]] = []
    for article in sorted(articles, key=lambda a: a["published"]):
        when = datetime.fromisoformat(article["published"])
        words = _words(article.get("title") or "")
        owner = article["article_id"]
        for other_when, other_words, other_id in reversed(seen):
            if when - other_when > timedelta(days=NOVELTY_DAYS):
                break
            union = words | other_words
            if union and len(words & other_words) / len(union) >= NOVELTY_JACCARD:
                owner = cluster[other_id]
                break
        cluster[article["article_id"]] = owner
        seen.append((when, words, article["article_id"]))
    return cluster


def daily_index(articles: Iterable[dict]) -> list[dict]:
    """One row per day that has relevant stories, oldest first.

    ``articles`` carry article_id, published (UTC ISO), title, relevance, stance, sources.
    """
    relevant = [a for a in articles if a["relevance"] >= RELEVANT]
    clusters = story_clusters(relevant)
    by_day: dict[str, list[dict]] = defaultdict(list)
    for article in relevant:
        by_day[article["published"][:10]].append(article)
    rows = []
    for day in sorted(by_day):
        stories = by_day[day]
        weight = sum(a["relevance"] for a in stories)
        novel: dict[int, list[dict]] = defaultdict(list)
        for article in stories:
            novel[clusters[article["article_id"]]].append(article)
        # A cluster counts once: its stories' mean stance, at the weight of its most relevant story.
        cluster_stance = [(max(a["relevance"] for a in group), sum(a["stance"] for a in group) / len(group))
                          for group in novel.values()]
        novel_weight = sum(w for w, _ in cluster_stance)
        rows.append({
            "date": day,
            "attention": len(stories),
            "mentions": sum(a.get("sources") or 1 for a in stories),
            "stance": round(sum(a["relevance"] * a["stance"] for a in stories) / weight, 4),
            "share_positive": round(sum(1 for a in stories if a["stance"] > POSITIVE) / len(stories), 4),
            "attention_novel": len(novel),
            "stance_novel": round(sum(w * s for w, s in cluster_stance) / novel_weight, 4),
        })
    return rows


def _words(title: str) -> set[str]:
    words = {w.lower() for w in _WORD.findall(title)}
    if any("\u4e00" <= ch <= "\u9fff" for ch in title):
        words |= {ch for ch in title if "\u4e00" <= ch <= "\u9fff"}
    return words
