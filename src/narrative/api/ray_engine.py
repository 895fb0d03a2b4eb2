"""``narrative enrich --engine ray``: extraction and narrative scoring on a Ray actor pool (issue 14 item 1).

The driver holds the store's one writer (``store.writer``) for the whole run and does all the reading and writing;
Ray only computes. ``num_workers`` Ray actors (:class:`~narrative.api.ray_actor.EnrichActor`, one CPU each) are
started once per run and load the extractor and the models once. Pending articles are read a round at a time
(:data:`ROUND_ARTICLES`, or :data:`CHUNKS_PER_ACTOR` chunks per actor on a large pool; never the whole backlog) and
cut into chunks of :data:`CHUNK_ARTICLES` (the in-process engine's scoring batch, so each chunk is scored with the
same batchmates as ``narrative enrich`` would score it); each actor keeps :data:`IN_FLIGHT` chunks queued and turns
each into extractions, entity relevance, narrative scores, the sentiment toward each mention and the vector story
assignment reads for each article. The driver takes the results as they finish and writes them in article order
with the same store functions as the in-process engine, :data:`COMMIT_ARTICLES` articles per transaction, while the
actors compute the next chunks. The driver computes nothing per article: it reads, writes, and runs the store-wide
tail (story assignment, from the actors' vectors; aggregates).

Ray Core actors rather than Ray Data's ``map_batches``: the same pool, restarts and retries, without Ray Data's
three service actors and its executor thread in the driver, which cost more CPU per article than the engine's whole
per-article overhead allows (``scripts/bench_ray.py`` breaks a run's CPU down by process).

Resumable by construction: an article is done when its rows are committed with the current extractor version
(``store.extraction.pending_articles``), and its scores are written in the same transaction, so a run killed at any
point (driver or worker) loses at most the uncommitted transaction, and the next run does the rest, without
duplicates (each article's rows are replaced whole; its mention sentiment is written in the same transaction). What
follows the pool is the in-process engine's own tail (stories, any mention sentiment or scoring left, aggregates),
run in the driver.

>>> enrich_ray(Settings.load(db="narrative.db"), num_workers=4)  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import os
import pickle
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlite_utils import Database

from ..catalog import Catalog, resolve_narrative_id
from ..config import Settings
from ..errors import Errors, InputError, NarrativeError
from ..store import writer
from ..store.entity_relevance import with_stale
from ..store.extraction import pending_articles, sync_entities
from .enrich import EnrichSummary
from .entity_sentiment import MentionSentimentSummary
from .ray_actor import EnrichActor, RayEnrichActor, save_chunk

_save = save_chunk  # the name api.parallel imports
__all__ = ["EnrichActor", "enrich_on_engine", "enrich_ray", "save_chunk"]

ROUND_ARTICLES = 5_000  # pending articles read from the store per round (bounded driver memory), at least...
CHUNKS_PER_ACTOR = 10  # ...this many chunks per actor: the actors drain at the end of each round
CHUNK_ARTICLES = 100  # articles per actor call: api.score.BATCH, the in-process scoring batch
COMMIT_ARTICLES = 1_000  # articles written per transaction
IN_FLIGHT = 2  # chunks queued per actor: one computing, one waiting, so no actor waits for the driver
STORY_VECTORS = 200_000  # articles whose story vectors the driver keeps for the tail (~2 KB each); later ones are
# encoded by the tail itself, as in-process


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
    check_engine_options("ray", address=address, num_workers=num_workers)
    ray = _ray()
    progress = progress or (lambda event: None)
    started = time.monotonic()
    narrative_id = resolve_narrative_id(narrative, configured=settings.narrative)
    with ThreadPoolExecutor(max_workers=1) as loader:
        # The driver's extractor version and catalog load while Ray starts (seconds more).
        loading = loader.submit(_extractor_version, catalog_path, narratives_dir)
        _connect(ray, address)
        version, catalog = loading.result()
    workers = num_workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
    with writer(settings) as db:
        from ..nlp.entity_relevance import relevance_version

        summary = EnrichSummary(version=version, entity_sentiment=MentionSentimentSummary())
        stamp = f"{version}/{relevance_version()}"
        with db.atomic():
            sync_entities(db, catalog)
        actor_args = {
            "catalog_path": catalog_path,
            "narratives_dir": narratives_dir,
            "narrative": narrative_id,
            "model_path": settings.sentiment_model or None,
            "score": score and not rescore,
        }
        # The actors drain at the end of each round: enough chunks each to keep that short.
        round_articles = max(ROUND_ARTICLES, workers * chunk_articles * CHUNKS_PER_ACTOR)
        done: list[int] = []
        seen: set[int] = set()
        scored_with: set[str] = set()  # the scoring versions the actors stamped
        encoded: dict[int, tuple[str, str, Any]] = {}  # article id -> (title, lead, vector) for story assignment
        actors: list[Any] = []
        progress({"event": "start", "total": None})
        try:
            while limit is None or len(done) < limit:
                wanted = round_articles if limit is None else min(round_articles, limit - len(done))
                pending = with_stale(db, pending_articles(db, version, limit=wanted), stamp, limit=wanted)
                pending = [row for row in pending if row[0] not in seen]  # an article still stale after its turn: once
                if not pending:
                    break
                if not actors:
                    actors = _start_actors(ray, actor_args, min(workers, -(-len(pending) // chunk_articles)))
                    _check_version(ray, actors[0], version)
                for group in _committed_groups(_run_pool(ray, actors, pending, chunk_articles), commit_articles):
                    rows = []
                    for chunk, (payload, vectors, texts) in group:
                        rows += [(row, *result) for row, result in zip(chunk, pickle.loads(payload), strict=True)]
                        if len(encoded) < STORY_VECTORS:
                            encoded.update((row[0], (*t, v)) for row, t, v in zip(chunk, texts, vectors, strict=True))
                    scored_with.update(save_chunk(db, rows, summary, version, stamp, narrative_id))
                    done += [row[0][0] for row in rows]
                    seen.update(row[0][0] for row in rows)
                    progress({"event": "batch", "done": summary.articles})
        finally:
            for actor in actors:  # their CPUs back to the cluster before the tail
                ray.kill(actor)
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
            encoded=encoded,
        )
    return summary


def _ray() -> Any:
    try:
        import ray  # optional extra (narrative[ray]): imported only for --engine ray
    except ImportError:
        raise InputError(Errors.E107) from None
    return ray


# Ray's own processes poll all the time: on an idle local instance 2.8-3.2% of a core (the log monitor globbing its
# folder every 0.1 s, a pre-started idle worker, the raylet's and the GCS's reports and metrics), which on a loaded
# two-core machine was 6% of the CPU per article of a backfill (scripts/bench_ray.py: the CPU by process). A local
# instance this command starts polls less (1.7%): no idle worker kept, no metrics or per-handler event statistics (no
# dashboard reads them), resource and memory reports once a second instead of every 0.1 / 0.25 s, task events every
# 5 s. A cluster joined with --address runs as its operator configured it.
LOCAL_SYSTEM_CONFIG = {
    "num_workers_soft_limit": 0,
    "enable_metrics_collection": False,
    "event_stats": False,
    "raylet_report_resources_period_milliseconds": 1000,
    "memory_monitor_refresh_ms": 1000,
    "gcs_pull_resource_loads_period_milliseconds": 5000,
    "task_events_report_interval_ms": 5000,
}
# Read by Ray's log monitor when it starts: look for new log files every 10 s rather than every 0.1 s (logs are not
# sent to the driver: log_to_driver=False)
LOCAL_LOG_MONITOR_ENV = {"RAY_LOG_MONITOR_MANY_FILES_THRESHOLD": "0", "LOG_NAME_UPDATE_INTERVAL_S": "10"}


def _connect(ray: Any, address: str | None) -> None:
    """Join the cluster at ``address``, or start a local instance (:data:`LOCAL_SYSTEM_CONFIG`); the workers get the
    driver's NARRATIVE_* settings (model folders, sentiment scope), so they compute what the driver would."""
    if ray.is_initialized():
        return
    env = {key: value for key, value in os.environ.items() if key.startswith("NARRATIVE_")}
    options: dict[str, Any] = {
        "address": address,
        "runtime_env": {"env_vars": env},
        "include_dashboard": False,
        "log_to_driver": False,
        "configure_logging": False,
    }
    try:
        if address is None and not os.environ.get("RAY_ADDRESS"):
            try:
                with _environment(LOCAL_LOG_MONITOR_ENV):
                    ray.init(**options, _system_config=LOCAL_SYSTEM_CONFIG)
                return
            except ValueError as exc:  # a local instance started by `ray start`: joined as it is
                if "_system_config" not in str(exc):
                    raise
        ray.init(**options)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise InputError(Errors.E108.format(address=address, problem=str(exc).splitlines()[0])) from None


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """``values`` set in this process's environment (unless already set) for the processes started inside."""
    added = {key: value for key, value in values.items() if key not in os.environ}
    os.environ.update(added)
    try:
        yield
    finally:
        for key in added:
            os.environ.pop(key, None)


def _extractor_version(catalog_path: str | None, narratives_dir: str | None) -> tuple[str, Catalog]:
    """The extractor version the actors stamp on their rows and the catalog, without spaCy (the driver extracts
    nothing); :func:`_check_version` compares it with the actors' own."""
    from ..catalog import load_catalog, load_narratives
    from ..nlp.extractor_version import extractor_version

    catalog = load_catalog(catalog_path)
    return extractor_version(catalog, load_narratives(narratives_dir)), catalog


def _check_version(ray: Any, actor: Any, version: str) -> None:
    """The rows are stamped with the driver's ``version``: an actor extracting with another (a node with other models
    or another narrative version) is refused in one line before any chunk is computed."""
    actors = _result(ray, actor.extractor_version.remote())
    if actors != version:
        raise InputError(Errors.E165.format(actors=actors, driver=version))


def _run_pool(ray: Any, actors: list[Any], pending: list[tuple], chunk_articles: int) -> Iterator[tuple[list, Any]]:
    """Each chunk of ``pending`` ``(id, title, text, language)`` rows with its results
    (:meth:`EnrichActor.chunk_with_stories`), in the order given. Every actor has up to :data:`IN_FLIGHT` chunks
    queued, so it never waits for the driver; a finished chunk waits (at most :data:`IN_FLIGHT` per actor of them)
    until those before it are written."""
    chunks = [pending[i : i + chunk_articles] for i in range(0, len(pending), chunk_articles)]
    window = IN_FLIGHT * len(actors)
    queued = [0] * len(actors)
    running: dict[Any, tuple[int, int]] = {}  # object ref -> (chunk, actor)
    finished: dict[int, Any] = {}
    following = written = 0

    def submit() -> None:
        nonlocal following
        for n, actor in enumerate(actors):
            while queued[n] < IN_FLIGHT and following < min(len(chunks), written + window):
                chunk = chunks[following]
                columns = ([r[0] for r in chunk], [r[1] for r in chunk], [r[2] for r in chunk], [r[3] for r in chunk])
                running[actor.chunk_with_stories.remote(*columns)] = (following, n)
                queued[n] += 1
                following += 1

    submit()
    while written < len(chunks):
        if written in finished:
            yield chunks[written], finished.pop(written)
            written += 1
            submit()
            continue
        ready, _ = ray.wait(list(running), num_returns=1)
        k, n = running.pop(ready[0])
        queued[n] -= 1
        finished[k] = _result(ray, ready[0])
        submit()


def _result(ray: Any, ref: Any) -> Any:
    """``ray.get(ref)``, with a narrative error raised in the actor (a missing model: one line, exit 2) raised
    as itself."""
    try:
        return ray.get(ref)
    except ray.exceptions.RayError as exc:
        cause = getattr(exc, "cause", None)
        if isinstance(cause, NarrativeError):
            raise cause from None
        raise


def _start_actors(ray: Any, actor_args: dict[str, Any], count: int) -> list[Any]:
    """``count`` actors of one CPU each, for the whole run (each loads its models once). A killed actor is restarted
    by Ray and its queued chunks run again (``max_restarts``, ``max_task_retries``)."""
    remote = ray.remote(num_cpus=1, max_restarts=-1, max_task_retries=-1)(RayEnrichActor)
    return [remote.remote(**actor_args) for _ in range(count)]


def _committed_groups(chunks: Iterator[tuple[list, Any]], size: int) -> Iterator[list[tuple[list, Any]]]:
    """Consecutive ``(chunk, result)`` pairs grouped into transactions of at least ``size`` articles."""
    group: list[tuple[list, Any]] = []
    articles = 0
    for chunk, result in chunks:
        group.append((chunk, result))
        articles += len(chunk)
        if articles >= size:
            yield group
            group, articles = [], 0
    if group:
        yield group


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
    encoded: dict[int, tuple[str, str, Any]],
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

    assign_stories(db, encoded=encoded)  # the actors' vectors: the driver encodes only what they did not
    timed("stories")
    left = score_mention_sentiment(db, article_ids=done)
    summary.entity_sentiment.add(left).version = left.version
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


def check_engine_options(engine: str, *, address: str | None, num_workers: int | None) -> None:
    """Refuse engine options that cannot work, before anything is read or written (``enrich`` and ``import``).

    >>> check_engine_options("inprocess", address=None, num_workers=3)
    Traceback (most recent call last):
    narrative.errors.InputError: --num-workers applies to --engine ray only; add --engine ray or drop --num-workers.
    """
    if engine != "ray":
        if engine != "inprocess":
            raise InputError(Errors.E111.format(engine=engine))
        if address is not None or num_workers is not None:
            option = "--address" if address is not None else "--num-workers"
            raise InputError(Errors.E109.format(option=option))
    if num_workers is not None and num_workers < 1:
        raise InputError(Errors.E110.format(value=num_workers))


def enrich_on_engine(
    engine: str, settings: Settings, *, address: str | None, num_workers: int | None, **options: Any
) -> EnrichSummary:
    """``narrative enrich --engine ENGINE`` (and ``import --engine ENGINE``): the Ray engine, after checking the engine
    options (``--address`` and ``--num-workers`` mean nothing to the in-process engine, which
    :func:`narrative.api.enrich` runs itself)."""
    check_engine_options(engine, address=address, num_workers=num_workers)
    return enrich_ray(settings, address=address, num_workers=num_workers, **options)
