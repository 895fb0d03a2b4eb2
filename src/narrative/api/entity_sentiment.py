"""Entity sentiment (issue 10 item 4): scoring every mention of every entity, linked to the catalog or not, and
the per-entity series ``narrative sentiment NAME --daily`` reads.

English sentences go through the entity-targeted model (:mod:`narrative.nlp.entity_sentiment`): two companies in
one sentence can get opposite labels. Chinese sentences get the sentence's lexicon polarity
(:func:`narrative.nlp.stance.zh_polarity`), the same for every entity in the sentence, stored with
``method = "zh-lexicon"`` so nobody mistakes it for a targeted score.

>>> from narrative.api.entity_sentiment import entity_sentiment
>>> entity_sentiment("Alibaba", db_path="demo.db", daily=True)[0]["polarity"]  # doctest: +SKIP
0.21
"""

from __future__ import annotations

import dataclasses
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from ..clock import day_bound, utc_now_iso
from ..config import Settings
from ..store import reader
from ..store.mention_sentiment import PendingMention, pending_mentions, save_mention_sentiment, sentiment_rows
from .query import resolve_entity
from .summaries import AddsUp

# Bump when what turns a model's output into a stored row changes (marking, the Chinese rule): rows go pending.
# esent-2: one model run per sentence for all its mentions (issue 12 item 1), pooled over each mention's tokens.
SCORER_VERSION = "esent-2"
BATCH = 2000  # mentions per model call and transaction
ZH_METHOD, MODEL_METHOD = "zh-lexicon", "model"
RELEVANCE_TABLE = "article_entities"  # EREL's m012 (issue 10 item 5): weights the series when present

_MODELS: dict[str, Any] = {}


def entity_sentiment_model(path: str | None = None):
    """The entity-sentiment model, loaded once per process (default ``models/entity_sentiment``)."""
    from ..nlp.entity_sentiment import EntitySentimentModel, default_model_path

    key = str(path or default_model_path())  # NARRATIVE_MODELS may point elsewhere later in the process
    if key not in _MODELS:
        _MODELS[key] = EntitySentimentModel.load(key)
    return _MODELS[key]


def scorer_version(model_path: str | None = None) -> str:
    """What every stored row is stamped with: this module's rules and the model's fingerprint (read from its files;
    the model itself is not loaded)."""
    from ..nlp.entity_sentiment import default_model_path, model_version

    key = f"version:{model_path or default_model_path()}"
    if key not in _MODELS:
        _MODELS[key] = f"{SCORER_VERSION}+{model_version(Path(key[8:]))}"
    return _MODELS[key]


def score_targets(model, targets: Sequence[tuple[str, str, int | None, int | None]]) -> list[dict[str, Any]]:
    """Sentiment toward each (sentence, surface, start, end) target: label, class probabilities, polarity and
    method. Identical targets (wire copies repeat sentences) go through the model once.

    >>> model = entity_sentiment_model()  # doctest: +SKIP
    >>> score_targets(model, [("Infosys gains while Wipro slips", "Wipro", 20, 25)])  # doctest: +SKIP
    [{'label': 'negative', ...}]
    """
    from .score import is_chinese

    out: list[dict[str, Any] | None] = [None] * len(targets)
    english: dict[tuple, list[int]] = defaultdict(list)
    for i, (sentence, surface, start, end) in enumerate(targets):
        if start is not None and end is not None and sentence[start:end] != surface:
            start = end = None  # offsets that do not point at the name: mark its first occurrence instead
        if is_chinese(sentence):
            out[i] = _lexicon_row(sentence)
        else:
            english[(sentence, surface, start, end)].append(i)
    keys = list(english)
    for key, score in zip(keys, model.score(keys) if keys else []):
        row = {
            "label": score.label,
            "negative": round(score.negative, 4),
            "neutral": round(score.neutral, 4),
            "positive": round(score.positive, 4),
            "polarity": round(score.polarity, 4),
            "method": MODEL_METHOD,
        }
        for i in english[key]:
            out[i] = row
    return [row for row in out if row is not None]


def _lexicon_row(sentence: str) -> dict[str, Any]:
    from ..nlp.stance import zh_polarity

    polarity = zh_polarity(sentence)
    label = "positive" if polarity > 0 else "negative" if polarity < 0 else "neutral"
    return {
        "label": label,
        "negative": max(0.0, -polarity),
        "neutral": round(1 - abs(polarity), 4),
        "positive": max(0.0, polarity),
        "polarity": polarity,
        "method": ZH_METHOD,
    }


@dataclasses.dataclass
class MentionSentimentSummary(AddsUp):
    mentions: int = 0  # rows written
    model_scored: int = 0  # distinct (sentence, name) pairs through the model
    model_runs: int = 0  # model runs: one per distinct sentence (per window of a long one)
    seconds: float = 0.0
    version: str = ""

    def line(self) -> str:
        return (
            f"entity sentiment for {self.mentions} mentions ({self.model_scored} scored by the model in "
            f"{self.model_runs} runs) with "
            f"{self.version}; {self.seconds:.2f}s"
        )


def score_mention_sentiment(
    db: Database,
    *,
    article_ids: Iterable[int] | None = None,
    model_path: str | None = None,
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> MentionSentimentSummary:
    """Score every mention that has no sentiment from the current scorer version: in ``article_ids`` (every
    article when None), plus every mention an older version scored. The caller holds the writer lock.

    >>> score_mention_sentiment(open_db("narrative.db"), article_ids=[1, 2]).mentions  # doctest: +SKIP
    14
    """
    started = time.monotonic()
    version = scorer_version(model_path)
    summary = MentionSentimentSummary(version=version)
    hint = None if article_ids is None else list(article_ids)
    model = None
    while True:  # a backlog (a store from before m011, a new model) comes BATCH rows at a time, saved as it goes
        batch: list[PendingMention] = pending_mentions(db, version, article_ids=hint, limit=BATCH)
        if not batch:
            break
        model = model or entity_sentiment_model(model_path)  # nothing pending: no model loaded
        runs = model.runs
        rows = score_targets(model, [(m.sentence, m.surface, m.start, m.end) for m in batch])
        summary.model_runs += model.runs - runs
        summary.model_scored += len(
            {(m.sentence, m.surface, m.start, m.end) for m, r in zip(batch, rows) if r["method"] == MODEL_METHOD}
        )
        with db.atomic():
            summary.mentions += save_mention_sentiment(
                db,
                ((m, r["label"], r["negative"], r["neutral"], r["positive"], r["method"]) for m, r in zip(batch, rows)),
                version=version,
                now=utc_now_iso(),
            )
        if progress:
            progress({"event": "entity_sentiment", "done": summary.mentions})
    summary.seconds = time.monotonic() - started
    return summary


def entity_sentiment(
    name: str,
    *,
    db_path: str | None = None,
    since: str | None = None,
    until: str | None = None,
    daily: bool = False,
    catalog_path: str | None = None,
) -> list[dict[str, Any]]:
    """Sentiment toward ``name`` (any alias or ticker of a catalog entity, or an unlinked name): one row over the
    window, or one per day with ``daily``. Each row counts mentions by label and gives the mean polarity
    (positive - negative, -1..1); where EREL's per-article relevance exists, ``weighted_polarity`` weights each
    mention by its entity's relevance to the article (0-100), else it equals ``polarity``.

    >>> entity_sentiment("BABA", daily=True, since="2025-03-01")  # doctest: +SKIP
    [{'day': '2025-03-03', 'entity': 'Alibaba', 'mentions': 4, 'positive': 3, ...}]
    """
    since_iso, until_iso = day_bound(since), day_bound(until, end=True)
    with reader(Settings.load(db=db_path)) as db:
        entity_id, canonical = resolve_entity(name, db=db, catalog_path=catalog_path)
        relevance = RELEVANCE_TABLE if _has_relevance(db) else None
        found = sentiment_rows(
            db,
            entity_id=entity_id,
            name=None if entity_id else canonical,
            since=since_iso,
            until=until_iso,
            relevance_table=relevance,
        )
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in found:
        groups[row["day"] if daily else ""].append(row)
    out = []
    for day, group in sorted(groups.items()):
        out.append(
            {
                **({"day": day} if daily else {"since": found[0]["day"], "until": found[-1]["day"]}),
                "entity": canonical,
                "entity_id": entity_id,
                **summarise(group),
                "weighted_by": "relevance" if relevance else None,
            }
        )
    return out


def summarise(group: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts, mean polarity and relevance-weighted polarity of some scored mentions.

    >>> summarise([{"article_id": 1, "label": "positive", "polarity": 0.8, "method": "model", "relevance": 90},
    ...            {"article_id": 2, "label": "negative", "polarity": -0.6, "method": "model", "relevance": 10}])
    ... # doctest: +NORMALIZE_WHITESPACE
    {'mentions': 2, 'articles': 2, 'positive': 1, 'neutral': 0, 'negative': 1, 'polarity': 0.1,
     'weighted_polarity': 0.66, 'lexicon_mentions': 0}
    """
    labels = [row["label"] for row in group]
    polarity = sum(row["polarity"] for row in group) / len(group)
    weights: list[float] = [row["relevance"] for row in group if row.get("relevance") is not None]
    if len(weights) == len(group) and sum(weights) > 0:
        weighted = sum(w * row["polarity"] for w, row in zip(weights, group)) / sum(weights)
    else:  # no relevance (table absent, or some articles not yet scored for it): the plain mean
        weighted = polarity
    return {
        "mentions": len(group),
        "articles": len({row["article_id"] for row in group}),
        "positive": labels.count("positive"),
        "neutral": labels.count("neutral"),
        "negative": labels.count("negative"),
        "polarity": round(polarity, 4),
        "weighted_polarity": round(weighted, 4),
        "lexicon_mentions": sum(row["method"] == ZH_METHOD for row in group),
    }


def _has_relevance(db: Database) -> bool:
    return RELEVANCE_TABLE in db.table_names()


def add_to_analysis(
    reports: list[dict[str, Any]], extractions: Sequence[Any], *, model_path: str | None = None
) -> None:
    """Give each entity of ``narrative analyze``'s reports its ``entity_sentiment`` (label, probabilities, polarity,
    method, version): what ``enrich`` stores for the same mention. ``extractions`` are the reports' extractions.

    >>> add_to_analysis(analyze_reports, extractions)  # doctest: +SKIP
    """
    targets: list[tuple[str, str, int | None, int | None]] = []
    for extraction in extractions:
        sentences = {s.index: s for s in extraction.sentences}
        for mention in extraction.mentions:
            sentence = sentences[mention.sentence]
            targets.append(
                (sentence.text, mention.surface, mention.start - sentence.start, mention.end - sentence.start)
            )
    if not targets:
        return
    version = scorer_version(model_path)
    found = iter(score_targets(entity_sentiment_model(model_path), targets))
    for report in reports:
        for entity in report["entities"]:
            entity["entity_sentiment"] = {**next(found), "version": version}
