"""The per-chunk work of the Ray engine (issue 14): :class:`EnrichActor` computes, :func:`save_chunk` writes.

An actor (a Ray actor of :mod:`narrative.api.ray_engine`, or a worker process of :mod:`narrative.api.parallel`)
loads the extractor and the models once, then turns each chunk of pending articles into what the in-process engine
would store for them: extraction, entity relevance, narrative scores, the sentiment toward each mention and (Ray
only) the sentence-encoder vector that story assignment reads for each article. The driver writes a chunk's rows
with the in-process engine's store functions (:func:`save_chunk`), so the rows are the in-process engine's.

>>> actor = EnrichActor(catalog_path=None, narratives_dir=None, narrative=None, model_path=None, score=False)
>>> (result, relevance, scores, version, mentions), = pickle.loads(actor.chunk([1], ["Alibaba rose 8%"], [""], [None]))
>>> [m.entity_id for m in result.mentions], scores
(['alibaba'], None)
"""

from __future__ import annotations

import pickle
import time
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlite_utils import Database

from ..clock import utc_now_iso
from ..errors import NarrativeError
from ..store.entity_relevance import save_article_entities
from ..store.extraction import save_extraction
from ..store.mention_sentiment import PendingMention, save_mention_sentiment
from ..store.scores import save_scores
from .enrich import EnrichSummary
from .entity_sentiment import MODEL_METHOD

# story_article wants a publication time; the title and lead it builds (all that is encoded) do not depend on it
_ANY_TIME = datetime(2000, 1, 1, tzinfo=UTC)


class EnrichActor:
    """The extractor, the entity-sentiment model and (when scoring) the narrative's scoring models, loaded once;
    :meth:`chunk` turns a chunk of articles into pickled ``(extraction, relevance, scores, score version, mention
    sentiment)`` tuples, one per article; :meth:`chunk_with_stories` adds each article's story vector."""

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

    def chunk(self, ids: list[int], titles: list[str], texts: list[str], languages: list[str | None]) -> bytes:
        """Extract, weigh entity relevance, score and score the mentions of one chunk (the in-process engine's steps,
        in memory): the pickled rows :func:`save_chunk` writes."""
        return pickle.dumps(self.rows(ids, titles, texts, languages))

    def chunk_with_stories(
        self, ids: list[int], titles: list[str], texts: list[str], languages: list[str | None]
    ) -> tuple[bytes, np.ndarray, list[tuple[str, str]]]:
        """:meth:`chunk`, plus what story assignment encodes of each article (its title and lead) and the encoder's
        vectors of it, one row per article: the driver's story assignment then encodes only what differs
        (``api.stories.assign_stories``'s ``encoded``)."""
        rows = self.rows(ids, titles, texts, languages)
        vectors, encoded = self.story_vectors(ids, titles, texts, [row[0] for row in rows])
        return pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL), vectors, encoded

    def rows(self, ids: list[int], titles: list[str], texts: list[str], languages: list[str | None]) -> list[tuple]:
        from ..nlp.entity_relevance import entity_relevance
        from .analyze import material_from_extraction
        from .score import score_material

        results = list(self.extractor.extract_many(zip(titles, texts, languages)))
        relevance = [entity_relevance(r, title_chars=len(t)) for r, t in zip(results, titles)]
        scores: dict[Any, Any] = {}
        if self.ctx is not None:
            # The sentiment model reuses the scores of sentences it has seen, as in-process across its batches. On
            # ONNX Runtime a sentence's score is the same bits alone or among any batchmates (nlp.sentiment's
            # run_encoded), so a kept score is the one this chunk would compute; the torch backend pads each batch
            # to its longest text, so there a fresh cache per chunk keeps a chunk's scores its own.
            if self.ctx.model.session is None:
                self.ctx.model.clear_cache()
            material = {i: material_from_extraction(r, self.ctx.narrative.id) for i, r in zip(ids, results)}
            scores = score_material(material, self.ctx)
        version = self.ctx.version if self.ctx is not None else None
        sentiment = self.mention_sentiment(results)
        return [(r, rel, scores.get(i), version, s) for i, r, rel, s in zip(ids, results, relevance, sentiment)]

    def mention_sentiment(self, results: list[Any]) -> list[tuple[str, list[dict[str, Any] | None], float, int, int]]:
        """Per article: the scorer version and, per mention (in the extraction's order, which is the order its rows
        are inserted in), the sentiment row that ``score_mention_sentiment`` would store for it, or None for a
        mention whose sentence is not among the extraction's (in-process never reads those back to score); the
        article's share of the chunk's scoring seconds; and, on the chunk's first article only (0 on the others),
        the chunk's model runs and distinct targets the model scored, for the run's summary line."""
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
        runs = self.mention_model.runs
        scored = score_targets(self.mention_model, targets) if targets else []
        runs = self.mention_model.runs - runs
        for (n, k), row in zip(where, scored, strict=True):
            out[n][k] = row
        by_model = len({target for target, row in zip(targets, scored) if row["method"] == MODEL_METHOD})
        share = (time.monotonic() - started) / max(1, len(results))
        counts = [(runs, by_model)] + [(0, 0)] * (len(results) - 1)
        return [(self.mention_version, rows, share, *count) for rows, count in zip(out, counts)]

    def story_vectors(
        self, ids: list[int], titles: list[str], texts: list[str], results: list[Any]
    ) -> tuple[np.ndarray, list[tuple[str, str]]]:
        """Each article's title and lead as story assignment builds them from the stored rows (``story_material``:
        the first sentences, or the head of the text when there are none) and their encoder vectors."""
        from ..nlp.stories import encode_articles, story_article
        from ..store.stories import HEAD_SENTENCES, TEXT_CHARS

        articles = [
            story_article(
                article_id,
                _ANY_TIME,
                title or "",
                (text or "")[:TEXT_CHARS],
                [
                    {"start": s.start, "text": s.text}
                    for s in sorted(r.sentences, key=lambda s: s.index)
                    if s.index < HEAD_SENTENCES
                ],
            )
            for article_id, title, text, r in zip(ids, titles, texts, results)
        ]
        return encode_articles(articles), [(a.title, a.lead) for a in articles]


class RayEnrichActor(EnrichActor):
    """:class:`EnrichActor` as a Ray actor: a narrative error while loading the models (a missing model directory)
    is kept and raised by every call, so that the driver reports it in one line; raised by the constructor, it would
    reach the driver only as Ray's ``ActorDiedError``."""

    def __init__(self, **actor_args: Any) -> None:
        self.failed: NarrativeError | None = None
        try:
            super().__init__(**actor_args)
        except NarrativeError as exc:
            self.failed = exc

    def chunk_with_stories(self, *columns: Any) -> Any:
        if self.failed is not None:
            raise self.failed
        return super().chunk_with_stories(*columns)

    def extractor_version(self) -> str:
        if self.failed is not None:
            raise self.failed
        return str(self.extractor.version)


def save_chunk(
    db: Database, rows: list[tuple], summary: EnrichSummary, version: str, stamp: str, narrative: str
) -> set[str]:
    """One transaction: each article's extraction, entity relevance, scores and mention sentiment, as the in-process
    engine writes them (its rows replaced whole); ``rows`` are ``(pending row, *the actor's row)``. Returns the
    scoring versions written.

    >>> save_chunk(db, rows, summary, extractor.version, stamp, "ai-capex")  # doctest: +SKIP
    """
    now = utc_now_iso()
    versions = set()
    with db.atomic():
        for (article_id, *_), result, relevance, scores, score_version, mention_sentiment in rows:
            sentiment_version, sentiment, took, runs, by_model = mention_sentiment
            save_extraction(db, article_id, result, version=version, now=now)
            save_article_entities(db, article_id, relevance, version=stamp)
            written = _save_mention_sentiment(db, article_id, sentiment, version=sentiment_version, now=now)
            mentions = summary.entity_sentiment  # its seconds: the actors' (summed), not the run's
            mentions.version = sentiment_version
            mentions.mentions += len(written)
            mentions.model_scored += by_model  # distinct targets per chunk (in-process: per batch of mentions)
            mentions.model_runs += runs
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
