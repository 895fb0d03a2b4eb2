"""Enrichment: run the extractor over articles not yet processed by its current version."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable
from typing import Any

from sqlite_utils import Database

from ..catalog import resolve_narrative_id
from ..clock import utc_now_iso
from ..config import Settings
from ..store import writer
from ..store.articles import unfinished_articles
from ..store.entity_relevance import save_article_entities, with_stale
from ..store.extraction import pending_articles, save_extraction, sync_entities
from .stories import assign_stories

BATCH = 200  # articles per transaction


@dataclasses.dataclass
class EnrichSummary:
    articles: int = 0
    mentions: int = 0
    figures: int = 0
    phrase_hits: int = 0
    seconds: float = 0.0
    version: str = ""
    scoring: Any = None  # a ScoreSummary when scoring ran
    entity_sentiment: Any = None  # a MentionSentimentSummary (api.entity_sentiment)

    def line(self) -> str:
        rate = self.articles / self.seconds if self.seconds else 0.0
        line = (
            f"enriched {self.articles} articles ({self.mentions} mentions, {self.figures} figures, "
            f"{self.phrase_hits} narrative phrases) with {self.version}; {self.seconds:.2f}s, {rate:.0f} articles/s"
        )
        if self.entity_sentiment is not None and self.entity_sentiment.mentions:
            line += f"\n{self.entity_sentiment.line()}"
        if self.scoring is not None and self.scoring.articles:
            line += f"\n{self.scoring.line()}"
        return line


def enrich(
    *,
    db_path: str | None = None,
    settings: Settings | None = None,
    limit: int | None = None,
    catalog_path: str | None = None,
    narratives_dir: str | None = None,
    score: bool = True,
    rescore: bool = False,
    narrative: str | None = None,
    progress: Callable[[dict[str, Any]], None] | None = None,
    engine: str = "inprocess",
    address: str | None = None,
    num_workers: int | None = None,
    workers: int | None = None,
) -> EnrichSummary:
    """Extract entities, people, figures and narrative phrases from every article that the
    current extractor version has not processed (a catalog change makes them all pending),
    then score sentiment and relevance/stance toward ``narrative`` (default: the ``narrative``
    setting) where the model or the narrative's file changed (``rescore`` forces it). Each
    article's old rows are replaced atomically. ``engine="ray"`` computes on a Ray actor pool
    (``api.ray_engine``; ``address``, ``num_workers``), with the same rows. The in-process engine extracts and
    scores on ``workers`` processes (default: the ``workers`` setting, 0 = one per core for large batches; see
    :mod:`.parallel`), again with the same rows.

    >>> enrich(db_path="narrative.db", narrative="my-theme", rescore=True)  # doctest: +SKIP
    """
    settings = settings or Settings.load(db=db_path)
    if on_engine(engine, address, num_workers):  # issue 14: Ray (api.ray_engine)
        from .ray_engine import enrich_on_engine

        return enrich_on_engine(
            engine,
            settings,
            address=address,
            num_workers=num_workers,
            limit=limit,
            catalog_path=catalog_path,
            narratives_dir=narratives_dir,
            score=score,
            rescore=rescore,
            narrative=narrative,
            progress=progress,
        )
    with writer(settings) as db:
        return enrich_db(
            db,
            limit=limit,
            catalog_path=catalog_path,
            narratives_dir=narratives_dir,
            progress=progress,
            settings=settings,
            score=score,
            rescore=rescore,
            narrative=narrative,
            workers=workers,
        )


def on_engine(engine: str, address: str | None, num_workers: int | None) -> bool:
    """Whether ``enrich`` or ``import`` runs on an engine other than this process (any engine option given, so that
    ``api.ray_engine`` checks them: ``--num-workers`` without ``--engine ray`` is refused, not ignored)."""
    return engine != "inprocess" or address is not None or num_workers is not None


def enrich_pending(
    db: Database,
    *,
    new_ids: Iterable[int],
    settings: Settings | None = None,
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> EnrichSummary | None:
    """Enrich and score ``new_ids`` and every article that an earlier run stored but did not finish (killed
    between storing and enriching, or between enriching and scoring): what ``ingest`` and ``import`` run after
    storing, so work cut short is finished by the next run (issue 11). None when there is nothing to do, without
    loading any model.
    """
    settings = settings or Settings.load()
    narrative_id = resolve_narrative_id(None, configured=settings.narrative)
    ids = sorted(set(new_ids) | set(unfinished_articles(db, narrative=narrative_id)))
    if not ids:
        return None
    return enrich_db(db, article_ids=ids, settings=settings, progress=progress)


def enrich_db(
    db: Database,
    *,
    article_ids: Iterable[int] | None = None,
    limit: int | None = None,
    catalog_path: str | None = None,
    narratives_dir: str | None = None,
    progress: Callable[[dict[str, Any]], None] | None = None,
    settings: Settings | None = None,
    score: bool = True,
    rescore: bool = False,
    narrative: str | None = None,
    workers: int | None = None,
) -> EnrichSummary:
    """:func:`enrich` on an open database whose writer lock the caller holds. ``workers``: processes that extract and
    score (default: the ``workers`` setting; 1: this process alone; see :mod:`.parallel`)."""
    from ..nlp.entity_relevance import entity_relevance, relevance_version
    from ..nlp.pipeline import Extractor  # spaCy loads only when there is work

    started = time.monotonic()
    extractor = Extractor.load(catalog_path=catalog_path, narratives_dir=narratives_dir)
    summary = EnrichSummary(version=extractor.version)
    if article_ids is not None:
        article_ids = list(article_ids)
    pending = pending_articles(db, extractor.version, limit=limit, article_ids=article_ids)
    # issue 10 item 5: each entity's relevance to the article, recomputed where its version changed
    relevance_stamp = f"{extractor.version}/{relevance_version()}"
    pending = with_stale(db, pending, relevance_stamp, article_ids=article_ids, limit=limit)
    progress = progress or (lambda event: None)
    progress({"event": "start", "total": len(pending)})
    with db.atomic():
        sync_entities(db, extractor.catalog)
    settings = settings or Settings.load()
    from .parallel import resolve_workers

    pool_size = resolve_workers(
        settings.workers if workers is None else workers,
        articles=len(pending),
        chars=sum(len(title) + len(text or "") for _, title, text, _ in pending),
    )
    pool_scoring, encoded = None, None
    if pool_size > 1:  # issue 12: extraction and scoring on worker processes, the same rows
        from .entity_sentiment import MentionSentimentSummary
        from .parallel import enrich_in_pool

        summary.entity_sentiment = MentionSentimentSummary()
        actor_args = {
            "catalog_path": catalog_path,
            "narratives_dir": narratives_dir,
            "narrative": resolve_narrative_id(narrative, configured=settings.narrative),
            "model_path": settings.sentiment_model or None,
            "score": score and not rescore,
        }
        pool_scoring, encoded = enrich_in_pool(
            db,
            pending,
            summary,
            workers=pool_size,
            version=extractor.version,
            stamp=relevance_stamp,
            actor_args=actor_args,
            progress=progress,
        )
    for offset in range(0, len(pending) if pool_size == 1 else 0, BATCH):  # one process: the path before issue 12
        batch = pending[offset : offset + BATCH]
        results = extractor.extract_many((title, text, language) for _, title, text, language in batch)
        now = utc_now_iso()
        with db.atomic():
            for (article_id, title, *_), result in zip(batch, results):
                save_extraction(db, article_id, result, version=extractor.version, now=now)
                save_article_entities(
                    db, article_id, entity_relevance(result, title_chars=len(title)), version=relevance_stamp
                )
                summary.articles += 1
                summary.mentions += len(result.mentions)
                summary.figures += len(result.figures)
                summary.phrase_hits += len(result.phrase_hits)
        progress({"event": "batch", "done": summary.articles})
    # issue 9: copies and translations of a story share its id (the workers' story vectors, when a pool ran)
    assign_stories(db, article_ids=article_ids, encoded=encoded)
    from .entity_sentiment import score_mention_sentiment

    # issue 10 item 4: sentiment toward every entity in every sentence (new mentions; those a new model made stale);
    # after a pool, what it left (mentions an older scorer version scored)
    left = score_mention_sentiment(db, article_ids=[row[0] for row in pending])
    if summary.entity_sentiment is None:
        summary.entity_sentiment = left
    else:
        summary.entity_sentiment.add(left).version = left.version
    summary.seconds = time.monotonic() - started
    if score:
        from ..store.scores import pending_for_scoring
        from .score import score_db

        narrative_id = resolve_narrative_id(narrative, configured=settings.narrative)
        if pool_scoring is not None and not pending_for_scoring(
            db, narrative_id, pool_scoring.version, article_ids=article_ids, limit=1
        ):
            summary.scoring = pool_scoring  # the pool scored everything: no scoring models loaded here too
        else:
            summary.scoring = score_db(
                db,
                narrative_id=narrative_id,
                article_ids=article_ids,
                force=rescore,
                model_path=settings.sentiment_model or None,
                catalog_path=catalog_path,
            )
            if pool_scoring is not None:
                summary.scoring.add(pool_scoring)
    from .aggregates import refresh_aggregates

    refresh_aggregates(db)  # issue 12: the per-day aggregates the query commands read
    return summary
