"""``narrative enrich --engine ray``: extraction and narrative scoring on a Ray actor pool (issue 14 item 1).

The driver holds the store's one writer (``store.writer``) for the whole run and does all the reading and writing;
Ray only computes. Pending articles are read a round at a time (:data:`ROUND_ARTICLES`, or :data:`CHUNKS_PER_ACTOR`
chunks per actor on a large pool; never the whole backlog) and cut into chunks of :data:`CHUNK_ARTICLES` (the
in-process engine's scoring batch, so each chunk is scored with the same batchmates as ``narrative enrich`` would
score it); a Ray Data pipeline (``from_items`` -> ``map_batches``
with :class:`EnrichActor`, which loads the extractor and the models once per actor) turns each chunk into
extractions, entity relevance, narrative scores and the sentiment toward each mention, which the driver collects
(``iter_batches``, in order; Ray Data's streaming executor keeps the actors computing the next chunks while the
driver writes) and writes with the same store functions as the in-process engine, :data:`COMMIT_ARTICLES` articles
per transaction. The driver computes nothing per article: it reads, writes, and runs the store-wide tail.

Resumable by construction: an article is done when its rows are committed with the current extractor version
(``store.extraction.pending_articles``), and its scores are written in the same transaction, so a run killed at any
point (driver or worker) loses at most the uncommitted transaction, and the next run does the rest, without
duplicates (each article's rows are replaced whole; its mention sentiment is written in the same transaction). What
follows the pool is the in-process engine's own tail (stories, any mention sentiment or scoring left, aggregates),
run in the driver.

>>> enrich_ray(Settings.load(db="narrative.db"), num_workers=4)  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
import pickle
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlite_utils import Database

from ..catalog import resolve_narrative_id
from ..clock import utc_now_iso
from ..config import Settings
from ..errors import Errors, InputError
from ..store import writer
from ..store.entity_relevance import save_article_entities, with_stale
from ..store.extraction import pending_articles, save_extraction, sync_entities
from ..store.mention_sentiment import PendingMention, save_mention_sentiment
from ..store.scores import save_scores
from .enrich import EnrichSummary
from .entity_sentiment import MODEL_METHOD, MentionSentimentSummary

ROUND_ARTICLES = 5_000  # pending articles read from the store per round (bounded driver memory), at least...
CHUNKS_PER_ACTOR = 10  # ...this many chunks per actor: each round starts a new pool, whose actors load their models
CHUNK_ARTICLES = 100  # articles per actor call: api.score.BATCH, the in-process scoring batch
COMMIT_ARTICLES = 1_000  # articles written per transaction


class EnrichActor:
    """One Ray actor: the extractor, the entity-sentiment model and (when scoring) the narrative's scoring models,
    loaded once; each call turns chunks of articles into pickled ``(extraction, relevance, scores, score version,
    mention sentiment)`` tuples, one per article."""

    def __init__(
        self,
        *,
        catalog_path: str | None,
        narratives_dir: str | None,
        narrative: str | None,
        model_path: str | None,
        score: bool,
    ) -> None:
        from ..nlp.pipeline import Extractor
        from .entity_sentiment import entity_sentiment_model, scorer_version
        from .score import scoring_context

        self.extractor = Extractor.load(catalog_path=catalog_path, narratives_dir=narratives_dir)
        self.ctx = scoring_context(narrative, model_path=model_path, catalog_path=catalog_path) if score else None
        # the model and version the in-process engine's score_mention_sentiment uses (its default model path)
        self.mention_model, self.mention_version = entity_sentiment_model(), scorer_version()

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        payloads = [
            self.chunk(
                [int(i) for i in ids],
                [str(t) for t in titles],
                [str(t) for t in texts],
                [None if language is None else str(language) for language in languages],
            )
            for ids, titles, texts, languages in zip(batch["ids"], batch["titles"], batch["texts"], batch["languages"])
        ]
        return {"first": batch["first"], "payload": payloads}

    def chunk(self, ids: list[int], titles: list[str], texts: list[str], languages: list[str | None]) -> bytes:
        """Extract, weigh entity relevance and score one chunk (the in-process engine's steps, in memory)."""
        from ..nlp.entity_relevance import entity_relevance
        from .analyze import material_from_extraction
        from .score import score_material

        results = list(self.extractor.extract_many(zip(titles, texts, languages)))
        relevance = [entity_relevance(r, title_chars=len(t)) for r, t in zip(results, titles)]
        scores: dict[Any, Any] = {}
        if self.ctx is not None:
            # The sentiment model reuses scores of sentences it has seen; a fresh cache per chunk makes a chunk's
            # scores depend on the chunk alone, not on which chunks this actor happened to get before.
            self.ctx.model.clear_cache()
            material = {i: material_from_extraction(r, self.ctx.narrative.id) for i, r in zip(ids, results)}
            scores = score_material(material, self.ctx)
        version = self.ctx.version if self.ctx is not None else None
        sentiment = self.mention_sentiment(results)
        return pickle.dumps(
            [(r, rel, scores.get(i), version, s) for i, r, rel, s in zip(ids, results, relevance, sentiment)]
        )

    def mention_sentiment(self, results: list[Any]) -> list[tuple[str, list[dict[str, Any] | None], float]]:
        """Per article: the scorer version and, per mention (in the extraction's order, which is the order its rows
        are inserted in), the sentiment row that ``score_mention_sentiment`` would store for it, or None for a
        mention whose sentence is not among the extraction's (in-process never reads those back to score); and the
        article's share of the chunk's scoring seconds."""
        from .entity_sentiment import score_targets

        started = time.monotonic()
        targets, where = [], []
        for n, result in enumerate(results):
            sentences = {s.index: s for s in result.sentences}
            for k, mention in enumerate(result.mentions):
                sentence = sentences.get(mention.sentence)
                if sentence is not None:  # in-process reads (sentence text, mention offsets in it) from the store
                    start, end = mention.start - sentence.start, mention.end - sentence.start
                    targets.append((sentence.text, mention.surface, start, end))
                    where.append((n, k))
        out: list[list[dict[str, Any] | None]] = [[None] * len(r.mentions) for r in results]
        for (n, k), row in zip(where, score_targets(self.mention_model, targets) if targets else [], strict=True):
            out[n][k] = row
        share = (time.monotonic() - started) / max(1, len(results))
        return [(self.mention_version, rows, share) for rows in out]


def enrich_ray(
    settings: Settings,
    *,
    address: str | None = None,
    num_workers: int | None = None,
    limit: int | None = None,
    catalog_path: str | None = None,
    narratives_dir: str | None = None,
    score: bool = True,
    rescore: bool = False,
    narrative: str | None = None,
    progress: Callable[[dict[str, Any]], None] | None = None,
    chunk_articles: int = CHUNK_ARTICLES,
    commit_articles: int = COMMIT_ARTICLES,
) -> EnrichSummary:
    """:func:`narrative.api.enrich` on a Ray actor pool of ``num_workers`` actors (default: one per CPU of the Ray
    instance): a local instance, or the cluster at ``address`` (``auto``, ``host:6379``, ``ray://host:10001``).
    The same rows as the in-process engine; ``progress`` gets ``{"event": "batch", "done": n}`` after each commit.

    >>> enrich_ray(Settings.load(db="narrative.db"), address="auto", num_workers=16)  # doctest: +SKIP
    """
    ray = _ray()
    if num_workers is not None and num_workers < 1:
        raise InputError(Errors.E110.format(value=num_workers))
    progress = progress or (lambda event: None)
    started = time.monotonic()
    narrative_id = resolve_narrative_id(narrative, configured=settings.narrative)
    from ..nlp.pipeline import Extractor

    with ThreadPoolExecutor(max_workers=1) as loader:
        # The driver's extractor (its version and catalog; spaCy, seconds) loads while Ray starts (seconds more).
        loading = loader.submit(Extractor.load, catalog_path=catalog_path, narratives_dir=narratives_dir)
        _connect(ray, address)
        extractor = loading.result()
    workers = num_workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
    with writer(settings) as db:
        from ..nlp.entity_relevance import relevance_version

        summary = EnrichSummary(version=extractor.version, entity_sentiment=MentionSentimentSummary())
        stamp = f"{extractor.version}/{relevance_version()}"
        with db.atomic():
            sync_entities(db, extractor.catalog)
        actor_args = {
            "catalog_path": catalog_path,
            "narratives_dir": narratives_dir,
            "narrative": narrative_id,
            "model_path": settings.sentiment_model or None,
            "score": score and not rescore,
        }
        # A round's actors load their models once (seconds) and drain at its end: enough chunks each to make both small.
        round_articles = max(ROUND_ARTICLES, workers * chunk_articles * CHUNKS_PER_ACTOR)
        done: list[int] = []
        seen: set[int] = set()
        scored_with: set[str] = set()  # the scoring versions the actors stamped
        progress({"event": "start", "total": None})
        while limit is None or len(done) < limit:
            wanted = round_articles if limit is None else min(round_articles, limit - len(done))
            pending = with_stale(db, pending_articles(db, extractor.version, limit=wanted), stamp, limit=wanted)
            pending = [row for row in pending if row[0] not in seen]  # an article still stale after its turn: once
            if not pending:
                break
            results = _run_pool(ray, pending, actor_args, workers, chunk_articles)
            for rows in _committed_groups(results, commit_articles):
                scored_with.update(_save(db, rows, summary, extractor.version, stamp, narrative_id))
                done += [article[0] for article, *_ in rows]
                seen.update(article[0] for article, *_ in rows)
                progress({"event": "batch", "done": summary.articles})
        _finish(
            db,
            summary,
            done,
            settings,
            score=score,
            rescore=rescore,
            narrative_id=narrative_id,
            catalog_path=catalog_path,
            started=started,
            progress=progress,
            scored_with=scored_with,
        )
    return summary


def _ray() -> Any:
    try:
        import ray  # optional extra (narrative[ray]): imported only for --engine ray
    except ImportError:
        raise InputError(Errors.E107) from None
    return ray


def _connect(ray: Any, address: str | None) -> None:
    """Join the cluster at ``address``, or start a local instance; the workers get the driver's NARRATIVE_*
    settings (model folders, sentiment scope), so they compute what the driver would."""
    if ray.is_initialized():
        return
    env = {key: value for key, value in os.environ.items() if key.startswith("NARRATIVE_")}
    try:
        ray.init(
            address=address,
            runtime_env={"env_vars": env},
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
        )
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise InputError(Errors.E108.format(address=address, problem=str(exc).splitlines()[0])) from None


def _run_pool(
    ray: Any, pending: list[tuple], actor_args: dict[str, Any], num_workers: int, chunk_articles: int
) -> Iterator[tuple]:
    """Each pending ``(id, title, text, language)`` row with its results (:meth:`EnrichActor.chunk`), in the order
    given."""
    from ray.data import ActorPoolStrategy, DataContext

    if not logging.getLogger("narrative").isEnabledFor(logging.INFO):  # Ray Data's progress lines only with -v
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        logging.getLogger("ray.data._internal.progress").setLevel(logging.ERROR)  # not "progress bars disabled"
        DataContext.get_current().enable_progress_bars = False
    chunks = [pending[i : i + chunk_articles] for i in range(0, len(pending), chunk_articles)]
    items = [
        {
            "first": chunk[0][0],
            "ids": [r[0] for r in chunk],
            "titles": [r[1] for r in chunk],
            "texts": [r[2] for r in chunk],
            "languages": [r[3] for r in chunk],  # None (detect) stays None
        }
        for chunk in chunks
    ]
    by_first = {chunk[0][0]: chunk for chunk in chunks}
    options = DataContext.get_current().execution_options
    keep, options.preserve_order = options.preserve_order, True  # rows come back (and are written) in id order
    try:
        dataset = ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
            EnrichActor,
            fn_constructor_kwargs=actor_args,
            batch_size=1,
            num_cpus=1,
            compute=ActorPoolStrategy(size=min(num_workers, len(items))),
        )
        for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
            for first, payload in zip(batch["first"], batch["payload"]):
                rows = by_first.pop(int(first))
                yield from ((row, *result) for row, result in zip(rows, pickle.loads(payload), strict=True))
    finally:
        options.preserve_order = keep


def _committed_groups(results: Iterator[tuple], size: int) -> Iterator[list[tuple]]:
    group: list[tuple] = []
    for result in results:
        group.append(result)
        if len(group) >= size:
            yield group
            group = []
    if group:
        yield group


def _save(
    db: Database, rows: list[tuple], summary: EnrichSummary, version: str, stamp: str, narrative: str
) -> set[str]:
    """One transaction: each article's extraction, entity relevance, scores and mention sentiment, as the in-process
    engine writes them (its rows replaced whole); returns the scoring versions written."""
    now = utc_now_iso()
    versions = set()
    with db.atomic():
        for (article_id, *_), result, relevance, scores, score_version, (sentiment_version, sentiment, took) in rows:
            save_extraction(db, article_id, result, version=version, now=now)
            save_article_entities(db, article_id, relevance, version=stamp)
            written = _save_mention_sentiment(db, article_id, sentiment, version=sentiment_version, now=now)
            mentions = summary.entity_sentiment  # its seconds: the actors' (summed), not the run's
            mentions.version = sentiment_version
            mentions.mentions += len(written)
            mentions.model_scored += sum(row["method"] == MODEL_METHOD for row in written)
            mentions.seconds += took
            if scores is not None:
                versions.add(score_version)
                sentences, entities, article = scores
                save_scores(
                    db,
                    article_id,
                    narrative,
                    sentences=sentences,
                    entities=entities,
                    article=article,
                    version=score_version,
                    now=now,
                )
            summary.articles += 1
            summary.mentions += len(result.mentions)
            summary.figures += len(result.figures)
            summary.phrase_hits += len(result.phrase_hits)
    return versions


def _save_mention_sentiment(
    db: Database, article_id: int, sentiment: list[dict[str, Any] | None], *, version: str, now: str
) -> list[dict[str, Any]]:
    """The actor's sentiment rows of one article's mentions, keyed by the ids its ``mentions`` rows were just given
    (inserted in the extraction's order, so ascending ids follow it); returns the rows written."""
    ids = [row[0] for row in db.execute("SELECT id FROM mentions WHERE article_id = ? ORDER BY id", [article_id])]
    scored = [
        (PendingMention(mention_id, article_id, "", "", 0, 0), row)
        for mention_id, row in zip(ids, sentiment, strict=True)
        if row is not None
    ]
    save_mention_sentiment(
        db,
        ((m, r["label"], r["negative"], r["neutral"], r["positive"], r["method"]) for m, r in scored),
        version=version,
        now=now,
    )
    return [row for _, row in scored]


def _finish(
    db: Database,
    summary: EnrichSummary,
    done: list[int],
    settings: Settings,
    *,
    score: bool,
    rescore: bool,
    narrative_id: str,
    catalog_path: str | None,
    started: float,
    progress: Callable[[dict[str, Any]], None],
    scored_with: set[str],
) -> None:
    """The in-process engine's tail, in the driver: stories, the mention sentiment the pool did not write (mentions
    an older scorer version scored), scoring anything the pool did not score (an article pending scoring only;
    everything with ``--rescore``), aggregates. ``progress`` gets ``{"event": "tail", "step": ..., "seconds": ...}``
    after each step."""
    from .aggregates import refresh_aggregates
    from .entity_sentiment import score_mention_sentiment
    from .stories import assign_stories

    step = time.monotonic()

    def timed(name: str) -> None:
        nonlocal step
        progress({"event": "tail", "step": name, "seconds": time.monotonic() - step})
        step = time.monotonic()

    assign_stories(db)
    timed("stories")
    left = score_mention_sentiment(db, article_ids=done)
    mentions = summary.entity_sentiment
    mentions.version = left.version
    mentions.mentions += left.mentions
    mentions.model_scored += left.model_scored
    mentions.seconds += left.seconds
    timed("mention sentiment")
    summary.seconds = time.monotonic() - started
    if score and not rescore and len(scored_with) == 1:
        from ..store.scores import pending_for_scoring
        from .score import ScoreSummary

        (version,) = scored_with
        if not pending_for_scoring(db, narrative_id, version, limit=1):  # the pool scored everything
            summary.scoring = ScoreSummary(version=version)  # without loading the scoring models in the driver too
    if score and summary.scoring is None:
        from .score import score_db

        summary.scoring = score_db(
            db,
            narrative_id=narrative_id,
            force=rescore,
            model_path=settings.sentiment_model or None,
            catalog_path=catalog_path,
        )
    timed("scoring")
    refresh_aggregates(db)
    timed("aggregates")


def enrich_on_engine(
    engine: str, settings: Settings, *, address: str | None, num_workers: int | None, **options: Any
) -> EnrichSummary:
    """``narrative enrich --engine ENGINE``: the Ray engine, after checking the engine options (``--address`` and
    ``--num-workers`` mean nothing to the in-process engine, which :func:`narrative.api.enrich` runs itself).

    >>> enrich_on_engine("inprocess", Settings.load(), address=None, num_workers=3)
    Traceback (most recent call last):
    narrative.errors.InputError: --num-workers applies to --engine ray only; add --engine ray or drop --num-workers.
    """
    if engine != "ray":
        if engine != "inprocess":
            raise InputError(Errors.E111.format(engine=engine))
        option = "--address" if address is not None else "--num-workers"
        raise InputError(Errors.E109.format(option=option))
    return enrich_ray(settings, address=address, num_workers=num_workers, **options)
