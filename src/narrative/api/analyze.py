"""What the pipeline sees in a piece of text: ``narrative analyze`` (issue 9).

Each text goes through the extractor and :func:`narrative.api.score.score_material`, the code path
``enrich`` uses for stored articles, so what this prints is what would be stored: sentences with their
sentiment, relevance, stance and themes; entities with character offsets into the text as given and the
sentiment toward them; stated figures; people; and the text's own relevance and stance.

>>> from narrative.api.analyze import analyze
>>> result = analyze(["Alibaba's Qwen model tops a global benchmark."])[0]  # doctest: +SKIP
>>> sorted(result)  # doctest: +SKIP
['entities', 'figures', 'language', 'narrative', 'people', 'relevance', 'sentences', 'stance', 'text', 'version']
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ..errors import Errors, InputError
from ..nlp.entity_relevance import entity_relevance
from ..nlp.types import Extraction
from .score import ScoringContext, score_material, scoring_context


def material_from_extraction(extraction: Extraction, narrative_id: str) -> dict[str, Any]:
    """The scoring material of one extraction: what ``store.scores.article_material`` reads back
    for a stored article (sentences, linked entity ids and this narrative's themes per sentence)."""
    entities: dict[int, set[str]] = defaultdict(set)
    themes: dict[int, set[str]] = defaultdict(set)
    for mention in extraction.mentions:
        if mention.entity_id is not None:
            entities[mention.sentence].add(mention.entity_id)
    for hit in extraction.phrase_hits:
        if hit.narrative == narrative_id:
            themes[hit.sentence].add(hit.theme)
    return {
        "language": extraction.language,
        "sentences": [(s.index, s.text) for s in extraction.sentences],
        "entities": entities,
        "themes": themes,
    }


def analyze(
    texts: list[str],
    *,
    narrative_id: str | None = None,
    catalog_path: str | None = None,
    narratives_dir: str | None = None,
    model_path: str | None = None,
    language: str | None = None,
) -> list[dict[str, Any]]:
    """Extract and score each text for a narrative (default: the ``narrative`` setting).

    Offsets (``start``/``end``) index the text as given. ``language`` (``en``/``zh``) overrides the
    detection. An empty text is an :class:`~narrative.errors.InputError`.
    """
    from ..nlp.pipeline import Extractor  # spaCy loads only when there is work

    for n, text in enumerate(texts, 1):
        if not text or not text.strip():
            raise InputError(Errors.E035.format(number=n))
    ctx = scoring_context(narrative_id, model_path=model_path, catalog_path=catalog_path, narratives_dir=narratives_dir)
    extractor = Extractor.load(catalog_path=catalog_path, narratives_dir=narratives_dir)
    # The text goes in as a title with no body: the analysed document is then exactly the text,
    # so every offset the extractor reports indexes it (see nlp.types.document_text).
    extractions = list(extractor.extract_many((text, "", language) for text in texts))
    material = {n: material_from_extraction(e, ctx.narrative.id) for n, e in enumerate(extractions)}
    scores = score_material(material, ctx)
    reports = [
        _report(text, extraction, scores[n], ctx) for n, (text, extraction) in enumerate(zip(texts, extractions))
    ]
    from .entity_sentiment import add_to_analysis

    add_to_analysis(reports, extractions)  # issue 10 item 4: the entity model's sentiment toward every mention
    return reports


def _report(text: str, extraction: Extraction, scores: tuple[list, list, dict], ctx: ScoringContext) -> dict:
    sentence_rows, entity_rows, article = scores
    by_sentence = {row["index"]: row for row in sentence_rows}
    toward = {(row["sentence_idx"], row["entity_id"]): row for row in entity_rows}
    # issue 10 item 5: each entity's relevance (0-100) to the text, read as an article body without a headline
    relevance = {
        (r.entity_id is not None, r.entity_key): r.relevance for r in entity_relevance(extraction, title_chars=0)
    }
    sentences = []
    for sentence in extraction.sentences:
        row = by_sentence[sentence.index]
        sentences.append(
            {
                "index": sentence.index,
                "text": sentence.text,
                "start": sentence.start,
                "end": sentence.end,
                "sentiment": {
                    "label": row["label"],
                    "negative": row["negative"],
                    "neutral": row["neutral"],
                    "positive": row["positive"],
                },
                "relevance": row["relevance"],
                "stance": row["stance"],
                "themes": row["themes"],
            }
        )
    entities = []
    for mention in extraction.mentions:
        entity = ctx.by_id.get(mention.entity_id) if mention.entity_id else None
        target = toward.get((mention.sentence, mention.entity_id))
        entities.append(
            {
                "text": mention.surface,
                "start": mention.start,
                "end": mention.end,
                "type": entity.type if entity else mention.label,
                "id": mention.entity_id,
                "name": mention.name,
                "sentence": mention.sentence,
                "relevance": relevance[(mention.entity_id is not None, mention.entity_id or mention.name.lower())],
                "sentiment": None
                if target is None
                else {
                    "label": target["label"],
                    "negative": round(target["negative"], 4),
                    "neutral": round(target["neutral"], 4),
                    "positive": round(target["positive"], 4),
                },
            }
        )
    figures = [
        {
            "value": f.value,
            "value_high": f.value_high,
            "unit": f.unit,
            "kind": f.kind,
            "direction": f.direction,
            "period": f.period,
            "subject": f.subject,
            "subject_id": f.subject_entity_id,
            "text": f.surface,
            "start": f.start,
            "end": f.end,
        }
        for f in extraction.figures
    ]
    people = [
        {
            "name": p.name,
            "id": p.entity_id,
            "role": p.role,
            "org": p.org,
            "org_id": p.org_entity_id,
            "quote": p.quote,
            "start": p.start,
            "end": p.end,
        }
        for p in extraction.people
    ]
    return {
        "text": text,
        "language": extraction.language,
        "narrative": ctx.narrative.id,
        "version": ctx.version,
        "relevance": article["relevance"],
        "stance": article["stance"],
        "sentences": sentences,
        "entities": entities,
        "figures": figures,
        "people": people,
    }
