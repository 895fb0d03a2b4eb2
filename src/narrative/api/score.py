"""Sentiment and narrative scoring of stored articles, ad-hoc text scoring (the index is in :mod:`.index`)."""

from __future__ import annotations

import dataclasses
import re
import time
from typing import Any, Iterable

from sqlite_utils import Database

from ..catalog import find_narrative, load_catalog, load_narratives
from ..config import Settings
from ..ingest.normalize import utc_now_iso
from ..nlp.stance import AI_TYPES, SentenceFacts, SentenceStance, article_stance, sentence_relevance, sentence_stance
from ..store import open_db, write_lock
from ..store.scores import article_material, pending_for_scoring, save_scores

SCORER_VERSION = "score-1"
BATCH = 100  # articles per transaction
CHINA_PLACES = {"china", "hong-kong"}
AI_TERMS = re.compile(r"\b(?:AI|A\.I\.|artificial intelligence|models?|chips?|chipmakers?|semiconductors?|computing|"
                      r"compute|GPUs?|accelerators?|LLMs?|chatbots?|reasoning|data cent(?:er|re)s?|cloud)\b|"
                      r"人工智能|大模型|模型|芯片|算力|半导体|智能|云", re.IGNORECASE)
# No Chinese sentiment model ships (see README): Chinese sentences get a small lexicon's polarity.
_ZH_POSITIVE = ("上涨", "大涨", "飙升", "突破", "增长", "领先", "回流", "利好", "强劲", "创新高", "超预期", "反弹", "重估")
_ZH_NEGATIVE = ("下跌", "暴跌", "大跌", "管制", "禁令", "限制", "短缺", "泡沫", "流出", "利空", "疲软", "下滑", "承压")

_MODELS: dict[tuple[str | None, bool], Any] = {}


def sentiment_model(path: str | None = None, *, quantize: bool | None = None):
    """The sentiment model, loaded once per process (default: the shipped models/sentiment;
    ``quantize`` defaults to the ``sentiment_quantize`` setting)."""
    quantize = Settings.load().sentiment_quantize if quantize is None else quantize
    key = (path, quantize)
    if key not in _MODELS:
        from transformers.utils import logging as hf_logging

        from ..nlp.sentiment import SentimentModel

        hf_logging.disable_progress_bar()  # a "Loading weights" bar would land in cron logs
        _MODELS[key] = SentimentModel.load(path, quantize=quantize)
    return _MODELS[key]


@dataclasses.dataclass
class ScoreSummary:
    articles: int = 0
    sentences: int = 0
    relevant: int = 0
    seconds: float = 0.0
    version: str = ""

    def line(self) -> str:
        rate = self.sentences / self.seconds if self.seconds else 0.0
        return (f"scored {self.articles} articles ({self.sentences} sentences, {self.relevant} relevant to the "
                f"narrative) with {self.version}; {self.seconds:.2f}s, {rate:.0f} sentences/s")


def score_texts(texts: list[str], *, model_path: str | None = None) -> list[dict[str, Any]]:
    """Label and probabilities for each text, for checking the model on one's own sentences."""
    model = sentiment_model(model_path)
    return [{"text": text, **score.as_dict()} for text, score in zip(texts, model.score(texts))]


def score_db(db: Database, *, narrative_id: str = "china-ai", article_ids: Iterable[int] | None = None,
             force: bool = False, limit: int | None = None, model_path: str | None = None,
             catalog_path: str | None = None) -> ScoreSummary:
    """Score every enriched article lacking a current score (the caller holds the writer lock)."""
    started = time.monotonic()
    narrative = find_narrative(load_narratives(), narrative_id)
    catalog = load_catalog(catalog_path)
    model = sentiment_model(model_path)
    version = f"{SCORER_VERSION}+{model.version}+{narrative.id}@{narrative.version}"
    summary = ScoreSummary(version=version)
    pending = pending_for_scoring(db, narrative.id, version, article_ids=article_ids, force=force, limit=limit)
    by_id = catalog.by_id()
    stances = {t.id: t.stance for t in narrative.themes}
    for offset in range(0, len(pending), BATCH):
        ids = pending[offset:offset + BATCH]
        material = article_material(db, ids, narrative.id)
        results = _score_batch(material, by_id, stances, model)
        now = utc_now_iso()
        with db.atomic():
            for article_id, (sentences, entities, article) in results.items():
                save_scores(db, article_id, narrative.id, sentences=sentences, entities=entities,
                            article=article, version=version, now=now)
                summary.articles += 1
                summary.sentences += len(sentences)
                summary.relevant += sum(1 for s in sentences if s["relevance"] > 0)
    summary.seconds = time.monotonic() - started
    return summary


def _score_batch(material: dict[int, dict], by_id: dict, stances: dict[str, str], model) -> dict[int, tuple]:
    facts: dict[int, list[SentenceFacts]] = {}
    english: list[tuple[int, int, str]] = []
    for article_id, item in material.items():
        rows = []
        for idx, text in item["sentences"]:
            ids = item["entities"].get(idx, set())
            rows.append(SentenceFacts(
                index=idx, text=text,
                chinese_entities=tuple(sorted(e for e in ids if by_id.get(e) and by_id[e].chinese
                                              and by_id[e].type in AI_TYPES)),
                china_places=bool(ids & CHINA_PLACES),
                ai_products=any(by_id.get(e) is not None and by_id[e].chinese and by_id[e].type in ("ai_model", "chip")
                                for e in ids),
                ai_terms=bool(AI_TERMS.search(text)),
                themes=tuple(sorted((t, stances[t]) for t in item["themes"].get(idx, set()) if t in stances)),
            ))
        facts[article_id] = rows
        if not (item["language"] or "").startswith("zh"):
            english.extend((article_id, f.index, f.text) for f in rows)
    plain = dict(zip(((a, i) for a, i, _ in english), model.score([t for _, _, t in english]))) if english else {}
    article_is_chinese = {a: any(f.chinese_entities for f in rows) for a, rows in facts.items()}
    pairs = [(a, f.index, entity, f.text) for a, rows in facts.items() for f in rows
             if (a, f.index) in plain and f.chinese_entities and
             sentence_relevance(f, article_is_chinese=article_is_chinese[a]) > 0 for entity in f.chinese_entities]
    targeted = dict(zip(((a, i, e) for a, i, e, _ in pairs),
                        model.score_targets([(by_id[e].name, t) for _, _, e, t in pairs]))) if pairs else {}
    results = {}
    for article_id, rows in facts.items():
        sentences, entities, stanced = [], [], []
        for f in rows:
            score = plain.get((article_id, f.index))
            if score is None:  # Chinese sentence
                polarity = _zh_polarity(f.text)
                label = "positive" if polarity > 0 else "negative" if polarity < 0 else "neutral"
                probs = {"negative": max(0.0, -polarity), "neutral": 1 - abs(polarity), "positive": max(0.0, polarity)}
            else:
                polarity, label = score.polarity, score.label
                probs = {"negative": score.negative, "neutral": score.neutral, "positive": score.positive}
            aimed = []
            for entity in f.chinese_entities:
                target = targeted.get((article_id, f.index, entity))
                if target is not None:
                    aimed.append(target.polarity)
                    entities.append({"sentence_idx": f.index, "entity_id": entity, "label": target.label,
                                     "negative": target.negative, "neutral": target.neutral,
                                     "positive": target.positive})
            relevance = sentence_relevance(f, article_is_chinese=article_is_chinese[article_id])
            stance = sentence_stance(f, polarity=polarity, targeted=aimed) if relevance > 0 else 0.0
            stanced.append(SentenceStance(index=f.index, relevance=relevance, stance=stance, polarity=polarity))
            sentences.append({"index": f.index, "relevance": relevance, "stance": round(stance, 4), "label": label,
                              **{k: round(v, 4) for k, v in probs.items()}, "themes": [t for t, _ in f.themes],
                              "entities": list(f.chinese_entities)})
        article = article_stance(stanced)
        results[article_id] = (sentences, entities, dataclasses.asdict(article))
    return results


def _zh_polarity(text: str) -> float:
    up = sum(text.count(w) for w in _ZH_POSITIVE)
    down = sum(text.count(w) for w in _ZH_NEGATIVE)
    return 0.0 if up == down else max(-0.6, min(0.6, 0.3 * (up - down)))


def score(*, db_path: str | None = None, narrative_id: str = "china-ai", force: bool = False,
          limit: int | None = None, model_path: str | None = None) -> ScoreSummary:
    """Score stored articles for a narrative; ``force`` re-scores everything (after a model change
    the version differs, so plain ``score`` already re-scores)."""
    settings = Settings.load(db=db_path)
    with write_lock(settings.db, timeout=settings.lock_timeout):
        db = open_db(settings.db)
        try:
            return score_db(db, narrative_id=narrative_id, force=force, limit=limit, model_path=model_path)
        finally:
            db.close()
