"""Story assignment over the store: every article gets a story (copies, rewrites and translations of one report
share it) and a novelty score, stamped with the assigner version.

Runs after extraction (``narrative enrich`` calls it), since the lead's entities and figures come from there.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from datetime import UTC, datetime

import numpy as np
from sqlite_utils import Database

from ..clock import day_bound, to_utc_iso, utc_now_iso
from ..nlp.stories import (
    ASSIGNER_VERSION,
    WINDOW,
    PlacedArticle,
    StoryArticle,
    assign,
    encode_articles,
    story_article,
)
from ..store import reader
from ..store.stories import earliest_unassigned, save_placements, story_material, story_rows


@dataclasses.dataclass
class StoriesSummary:
    articles: int = 0  # articles (re)placed
    new: int = 0  # of them, articles that start a story
    stories: int = 0  # stories rebuilt
    seconds: float = 0.0
    version: str = ASSIGNER_VERSION

    def line(self) -> str:
        return (
            f"placed {self.articles} articles in stories ({self.new} first of their story, "
            f"{self.articles - self.new} copies or rewrites) with {self.version}; {self.seconds:.2f}s"
        )


def assign_stories(
    db: Database, article_ids=None, *, encoded: Mapping[int, tuple[str, str, np.ndarray]] | None = None
) -> StoriesSummary:
    """Place the articles not yet placed by the current assigner version (of ``article_ids``, or all) into stories.

    Placement is ordered by publication time, so every article published at or after the earliest one to
    place is placed again (a late-arriving article may start a story that later ones join); articles within
    the story window before it are the context it may join. Re-running changes nothing. Call with the
    writer lock held, as ``enrich`` does. ``encoded``: vectors computed elsewhere (the Ray engine's actors),
    article id -> (title, lead, vector); an article whose title and lead are not those is encoded here.

    >>> from narrative.store import open_db
    >>> assign_stories(open_db(":memory:")).articles
    0
    """
    started = time.monotonic()
    summary = StoriesSummary()
    since = earliest_unassigned(db, ASSIGNER_VERSION, article_ids=article_ids)
    if since is None:
        return summary
    since_time = datetime.fromisoformat(since)
    if since_time.tzinfo is None:
        since_time = since_time.replace(tzinfo=UTC)
    context_rows = story_material(db, since=to_utc_iso(since_time - WINDOW), until=since, placed_only=True)
    redo_rows = story_material(db, since=since)
    context = [
        PlacedArticle(_article(r), r["story_id"], _when(r["first_seen"] or r["published"])) for r in context_rows
    ]
    articles = [_article(r) for r in redo_rows]
    placements = assign(
        articles,
        _vectors(articles, encoded),
        context=context,
        context_vectors=_vectors([p.article for p in context], encoded),
    )
    with db.atomic():
        summary.stories = save_placements(
            db, [(p.article_id, p.story_id, p.novelty) for p in placements], version=ASSIGNER_VERSION, now=utc_now_iso()
        )
    summary.articles = len(placements)
    summary.new = sum(1 for p in placements if p.matched is None)
    summary.seconds = time.monotonic() - started
    return summary


def _vectors(articles: list[StoryArticle], encoded: Mapping[int, tuple[str, str, np.ndarray]] | None) -> np.ndarray:
    """``encode_articles(articles)``, taking an article's vector from ``encoded`` where it holds the same title
    and lead."""
    known = [(encoded or {}).get(a.article_id) for a in articles]
    usable = [k is not None and (k[0], k[1]) == (a.title, a.lead) for a, k in zip(articles, known)]
    if not any(usable):
        return encode_articles(articles)
    fresh = iter(encode_articles([a for a, ok in zip(articles, usable) if not ok]))
    return np.array([k[2] if ok and k is not None else next(fresh) for k, ok in zip(known, usable)], dtype=np.float32)


def _article(row: dict):
    return story_article(row["id"], row["published"], row["title"] or "", row["text"] or "", row["sentences"])


def _when(value: str) -> datetime:
    when = datetime.fromisoformat(value)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def list_stories(
    *,
    db_path: str | None = None,
    since: str | None = None,
    until: str | None = None,
    min_articles: int = 1,
    limit: int | None = 50,
):
    """Stories first seen in the window (``YYYY-MM-DD`` bounds, ``until`` inclusive), newest first: id, first
    seen, number of articles, languages, and the first article's title and URL.

    >>> list_stories(db_path="narrative.db", since="2025-11-01", min_articles=2)  # doctest: +SKIP
    """
    from ..config import Settings
    from .query import as_frame

    columns = ["story_id", "first_seen", "articles", "languages", "title", "url", "assigner_version"]
    with reader(Settings.load(db=db_path)) as db:
        if "stories" not in db.table_names():  # a store not yet migrated to stories (opened read-only here)
            return as_frame([], columns)
        rows = story_rows(
            db, since=day_bound(since), until=day_bound(until, end=True), min_articles=min_articles, limit=limit
        )
    return as_frame([{"story_id": r["id"], **r} for r in rows], columns)
