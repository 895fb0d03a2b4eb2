"""Extraction and scoring on worker processes for ``ingest``, ``import`` and ``enrich`` (issue 12: use both cores).

The command's own process stays the store's only writer; the workers only compute. Each worker loads the extractor
and the entity-sentiment model once (:func:`_start_worker`), the narrative's scoring models with its first scoring
task (:func:`_scoring_context`), and runs two kinds of task:

* **extraction** of a small chunk of pending articles: :meth:`.ray_actor.EnrichActor.chunk_with_stories` (the per-chunk
  function the Ray engine runs, built without scoring), giving each article's extraction, entity relevance, the
  sentiment toward each mention and the vector story assignment reads;
* **scoring** of a group of :data:`~narrative.api.score.BATCH` articles, the same groups ``score_db`` scores in one
  process (the sentence encoder's floats move in the last bits with the sentences encoded together, so scoring the
  same groups keeps every stored score identical): :func:`~narrative.api.score.score_material` on the material of
  the group's extractions.

The parent submits the chunks in article order, keeps a few in flight per worker, and commits each result in article
order with the in-process engine's store functions (:func:`.ray_actor.save_chunk`, ``store.scores.save_scores``), so the
stored rows (ids, versions, content) are those of ``--workers 1``. A chunk is committed whole or not at all and an
article's scores come after its extraction, so a run killed at any point is finished by the next run as a killed
in-process run is (``store.articles.unfinished_articles``). On Linux the workers are forked from the command after
it has loaded the extractor, so spaCy is not loaded again per worker (:func:`start_method`); each worker's ONNX and
BLAS thread pools get one thread, so the workers do not fight over the cores (the sentence-sentiment model's one-text
runs excepted: see :func:`_scoring_context`).

>>> resolve_workers(1, articles=500, chars=10**6)
1
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import pickle
import signal
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from sqlite_utils import Database

from ..errors import Errors, NarrativeError

AUTO_MAX_WORKERS = 4  # workers=0 (auto): one per usable core, at most this many (each holds its own models)
# workers=0 (auto) stays in one process below this much text: a pool costs each worker a load of the ONNX models
# (about a CPU-second), which ~30 headlines or ~2 full articles of work would not repay.
PARALLEL_MIN_CHARS = 20_000
CHUNKS_PER_WORKER = 4  # extraction chunks per worker at least (the last chunks balance the workers' loads)
MAX_CHUNK = 50  # articles per extraction task at most
IN_FLIGHT_PER_WORKER = 3  # tasks submitted ahead per worker (bounded memory in the parent)
STORY_VECTORS = 100_000  # articles whose story vectors (~2 KB each) the parent keeps for assign_stories; later
# ones are encoded by assign_stories itself, as in one process


def usable_cores() -> int:
    """The CPUs this process may run on.

    >>> usable_cores() >= 1
    True
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def resolve_workers(requested: int, *, articles: int, chars: int) -> int:
    """How many worker processes to use for ``articles`` pending articles holding ``chars`` characters of text:
    ``requested`` (the ``workers`` setting or ``--workers``) when given, at most one per article; for 0 (auto), one
    per usable core up to :data:`AUTO_MAX_WORKERS`, or 1 (the command's own process) for less text than
    :data:`PARALLEL_MIN_CHARS`. 1 means no pool.

    >>> resolve_workers(0, articles=3, chars=600)
    1
    >>> resolve_workers(2, articles=3, chars=600)
    2
    """
    if requested == 1 or articles < 2:
        return 1
    if requested == 0:
        if chars < PARALLEL_MIN_CHARS:
            return 1
        requested = min(usable_cores(), AUTO_MAX_WORKERS)
    return max(1, min(requested, articles))


def chunk_size(articles: int, workers: int) -> int:
    """Articles per extraction task: enough tasks for every worker to get :data:`CHUNKS_PER_WORKER`.

    >>> chunk_size(500, 2), chunk_size(30, 2), chunk_size(5000, 2)
    (50, 4, 50)
    """
    return max(1, min(MAX_CHUNK, math.ceil(articles / (workers * CHUNKS_PER_WORKER))))


@contextlib.contextmanager
def worker_pool(workers: int, actor_args: dict[str, Any]) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``workers`` processes with their models loaded (see the module docstring), shut down on exit; on an
    error or an interrupt the workers are stopped at once (they write nothing).

    >>> with worker_pool(2, {"catalog_path": None, "narratives_dir": None, "narrative": None,
    ...                      "model_path": None, "score": True}) as pool:  # doctest: +SKIP
    ...     pass
    """
    context = multiprocessing.get_context(start_method())
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(actor_args,))
    try:
        yield pool
    except BaseException:
        # The workers write nothing: stop them now rather than wait out their current chunk (Ctrl-C, a failed commit).
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def start_method() -> str:
    """``fork`` where the platform has it and this process has loaded no ONNX Runtime or torch (a forked copy of
    their thread pools would hang): the workers then share the extractor the command loaded. Otherwise ``spawn``: a
    fresh interpreter per worker, which loads everything itself (from the current environment, settings included).

    >>> start_method() in ("fork", "spawn")
    True
    """
    heavy = "onnxruntime" in sys.modules or "torch" in sys.modules
    return "fork" if "fork" in multiprocessing.get_all_start_methods() and not heavy else "spawn"


def run_tasks(pool: ProcessPoolExecutor, tasks: deque, workers: int) -> Iterator[tuple[Any, Any]]:
    """``(tag, result)`` of each ``(function, args, tag)`` task taken from the left of ``tasks``, in the order taken,
    with up to :data:`IN_FLIGHT_PER_WORKER` tasks per worker submitted ahead; the caller may add tasks to ``tasks``
    between results. A worker that died is :data:`~narrative.errors.Errors.E163` (one line, no traceback).

    >>> for tag, result in run_tasks(pool, deque([(len, ("abc",), "a")]), 2): print(tag, result)  # doctest: +SKIP
    a 3
    """
    window: deque[tuple[Future, Any]] = deque()
    limit = max(1, workers * IN_FLIGHT_PER_WORKER)
    while True:
        while tasks and len(window) < limit:
            function, args, tag = tasks.popleft()
            window.append((pool.submit(function, *args), tag))
        if not window:
            return
        future, tag = window.popleft()
        try:
            result = future.result()
        except BrokenProcessPool as exc:
            raise NarrativeError(Errors.E163.format(problem=str(exc).rstrip(".") or "killed")) from None
        yield tag, result


# ------------------------------------------------------------------------------------------ in the workers
_ACTOR: Any = None  # the worker's EnrichActor (extraction, relevance, mention sentiment)
_CONTEXT: Any = None  # the worker's ScoringContext, loaded by its first scoring task
_ARGS: dict[str, Any] = {}  # the pool's actor_args
_FAILED: BaseException | None = None  # why the worker could not load its models (raised by its first task)


def _start_worker(actor_args: dict[str, Any]) -> None:
    """Load the extraction models once per worker. A failure is kept and raised by every task, so that the parent
    reports the usual one-line error (a failing initializer would only leave a broken pool). The scoring models load
    with the first scoring task (:func:`_scoring_context`)."""
    global _ACTOR, _ARGS, _FAILED
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the parent stops the pool; no traceback per worker
    _die_with_parent()
    os.environ["TOKENIZERS_PARALLELISM"] = "false"  # the workers are the parallelism
    _ARGS = actor_args
    try:
        from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

        from .ray_actor import EnrichActor

        threadpool_limits(1)  # BLAS (numpy, spaCy): one thread per worker
        with _one_cpu_while_loading():
            _ACTOR = EnrichActor(**{**actor_args, "score": False})
    except BaseException as exc:  # noqa: BLE001 - handed to the parent by the first task
        _FAILED = exc


def _scoring_context() -> Any:
    """The worker's ScoringContext, loaded on its first scoring task: a run of one scoring group (up to
    ``score.BATCH`` articles, e.g. 30 full articles) is scored by one worker, so the others never load the scorer,
    its prepared narrative nor the sentiment model (issue 12). A failure to load is raised to the parent as in one
    process, after the extraction commits.

    Loaded with every usable core, unlike the extraction models: the sentence-sentiment model then runs one text per
    thread on each core (:class:`~narrative.nlp.sentiment_runtime.RunPool`; the same bits whatever the number of
    threads). A group is scored once all its articles are extracted, so the last group's scoring is often the only
    work left, with the other workers idle; where it is not, a second one-thread run costs a thread switch, not a
    spinning ONNX pool (the sentiment sessions do not spin)."""
    global _CONTEXT
    if _CONTEXT is None:
        from .score import scoring_context

        _CONTEXT = scoring_context(
            _ARGS["narrative"], model_path=_ARGS["model_path"], catalog_path=_ARGS["catalog_path"]
        )
    return _CONTEXT


def extract_chunk(ids: list[int], titles: list[str], texts: list[str], languages: list[str | None]) -> tuple:
    """In a worker: :meth:`EnrichActor.chunk_with_stories` of one chunk (extraction, entity relevance, mention
    sentiment; each article's story title, lead and vector)."""
    if _FAILED is not None:
        raise _FAILED
    return _ACTOR.chunk_with_stories(ids, titles, texts, languages)


def score_group(material: dict[int, dict[str, Any]]) -> tuple[str, dict[int, Any]]:
    """In a worker: the scoring version and the narrative scores of one group of articles (``score_material``)."""
    if _FAILED is not None:
        raise _FAILED
    from .score import score_material

    context = _scoring_context()
    return context.version, score_material(material, context)


@contextlib.contextmanager
def _one_cpu_while_loading() -> Iterator[None]:
    """The sentence-sentiment model sizes its ONNX thread pool by the CPUs its process may use; while the models load,
    the worker may use one, so each worker's pools get one thread (N workers, not N x cores threads, on N cores)."""
    try:
        cpus = os.sched_getaffinity(0)
    except AttributeError:  # not Linux: the pools get the machine's core count
        yield
        return
    os.sched_setaffinity(0, {min(cpus)})
    try:
        yield
    finally:
        os.sched_setaffinity(0, cpus)


def _die_with_parent() -> None:
    """Linux: the kernel ends the worker when the command dies (a killed command leaves no worker computing, nor
    holding the store's lock file open)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def unpickle(payload: bytes) -> list[tuple]:
    """The rows of :meth:`EnrichActor.chunk`'s payload."""
    return pickle.loads(payload)


def save_group_scores(
    db: Database, narrative: str, version: str, scores: dict[int, Any], *, now: str
) -> tuple[int, int, int]:
    """Store one group's scores (one transaction), skipping articles whose scores are already current (as ``score_db``
    does); returns ``(articles, sentences, relevant sentences)`` written."""
    from ..nlp.stance import SENTENCE_RELEVANT
    from ..store.scores import pending_for_scoring, save_scores

    articles = sentences_written = relevant = 0
    with db.atomic():
        wanted = set(pending_for_scoring(db, narrative, version, article_ids=list(scores)))
        for article_id, (sentences, entities, article) in scores.items():
            if article_id not in wanted:
                continue
            save_scores(
                db,
                article_id,
                narrative,
                sentences=sentences,
                entities=entities,
                article=article,
                version=version,
                now=now,
            )
            articles += 1
            sentences_written += len(sentences)
            relevant += sum(1 for s in sentences if s["relevance"] >= SENTENCE_RELEVANT)
    return articles, sentences_written, relevant


def enrich_in_pool(
    db: Database,
    pending: list[tuple[int, str, str, str | None]],
    summary: Any,
    *,
    workers: int,
    version: str,
    stamp: str,
    actor_args: dict[str, Any],
    progress: Callable[[dict[str, Any]], None],
) -> Any:
    """Extract, weigh, score the mentions of and (when ``actor_args["score"]``) score ``pending`` articles
    ``(id, title, text, language)`` on ``workers`` processes, committing in article order; counts go to ``summary``
    (an ``EnrichSummary`` whose ``entity_sentiment`` is a ``MentionSentimentSummary``). Returns the ``ScoreSummary``
    of the scores written (None when the pool scored nothing) and each article's story title, lead and vector for
    ``assign_stories`` (``encoded``; the first :data:`STORY_VECTORS`). ``progress`` gets ``{"event": "batch",
    "done": n}`` after each commit.

    >>> enrich_in_pool(db, rows, summary, workers=2, version=v, stamp=s, actor_args=a, progress=print)  # doctest: +SKIP
    """
    from ..clock import utc_now_iso
    from .analyze import material_from_extraction
    from .ray_actor import save_chunk
    from .score import BATCH, ScoreSummary

    score = bool(actor_args["score"])
    narrative = actor_args["narrative"]
    size = chunk_size(len(pending), workers)
    tasks: deque[tuple[Callable[..., Any], tuple, Any]] = deque()
    groups: list[dict[str, Any]] = []
    for offset in range(0, len(pending), BATCH):  # the groups score_db would score together
        group = pending[offset : offset + BATCH]
        groups.append({"left": len(group), "material": {}})
        for start in range(0, len(group), size):
            chunk = group[start : start + size]
            args = ([r[0] for r in chunk], [r[1] for r in chunk], [r[2] for r in chunk], [r[3] for r in chunk])
            tasks.append((extract_chunk, args, ("extract", len(groups) - 1, chunk)))
    scoring = None
    encoded: dict[int, tuple[str, str, Any]] = {}
    started = time.monotonic()
    with worker_pool(workers, actor_args) as pool:
        for tag, result in run_tasks(pool, tasks, workers):
            if tag[0] == "extract":
                _, index, chunk = tag
                payload, vectors, leads = result
                rows = [(article, *computed) for article, computed in zip(chunk, unpickle(payload), strict=True)]
                if len(encoded) < STORY_VECTORS:
                    encoded.update((row[0], (*t, v)) for row, t, v in zip(chunk, leads, vectors, strict=True))
                save_chunk(db, rows, summary, version, stamp, narrative)
                progress({"event": "batch", "done": summary.articles})
                if score:
                    group = groups[index]
                    group["material"].update({row[0][0]: material_from_extraction(row[1], narrative) for row in rows})
                    group["left"] -= len(chunk)
                    if not group["left"]:  # scored next, ahead of the extraction chunks waiting
                        tasks.appendleft((score_group, (group.pop("material"),), ("score", index, None)))
            else:
                score_version, scores = result
                scoring = scoring or ScoreSummary(version=score_version)
                articles, sentences, relevant = save_group_scores(
                    db, narrative, score_version, scores, now=utc_now_iso()
                )
                scoring.articles += articles
                scoring.sentences += sentences
                scoring.relevant += relevant
    if scoring is not None:
        scoring.seconds = time.monotonic() - started
    return scoring, encoded
