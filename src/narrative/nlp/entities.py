"""Entities: catalog names as EntityRuler patterns (so the model's NER respects them),
and the resolution of every ORG/PERSON/GPE/PRODUCT span to a catalog id or a normalised name.
"""

from __future__ import annotations

import re
import unicodedata

from spacy.language import Language
from spacy.tokens import Doc, Span

from ..catalog import Catalog, Entity
from .types import Mention

RULER_NAME = "catalog_ruler"
_LABELS = {
    "person": "PERSON", "place": "GPE", "ai_model": "PRODUCT", "chip": "PRODUCT", "product": "PRODUCT",
}
KEPT_LABELS = {"ORG", "PERSON"}  # unlinked NER spans worth storing
_CORPORATE_SUFFIX = re.compile(
    r"[\s,]+(inc|incorporated|corp|corporation|co|company|ltd|limited|plc|holdings?|group|sa|ag|nv|llc|lp)\.?$",
    re.IGNORECASE)
_LEADING_THE = re.compile(r"^(the)\s+", re.IGNORECASE)
_POSSESSIVE = re.compile(r"\s*['’]s?$")
ROLE_WORDS = re.compile(
    r"\b(chief|ceo|cfo|cto|cio|coo|chair(?:man|woman)?|president|founder|co-founder|director|head|"
    r"strategist|analyst|economist|manager|partner|officer|executive|spokes(?:person|man|woman)|minister|"
    r"secretary|governor|professor|researcher|trader|investor|adviser|advisor|vice|senior|general counsel|"
    r"lead|principal|portfolio|commissioner|premier|leader|boss|owner|scientist|engineer|editor)\b",
    re.IGNORECASE)


def label_for(entity: Entity) -> str:
    return _LABELS.get(entity.type, "ORG")


def add_catalog_ruler(nlp: Language, catalog: Catalog) -> None:
    """Put two EntityRulers holding every catalog name before the statistical NER.

    The first matches aliases and Chinese names case-insensitively; the second matches
    ``exact_aliases`` and tickers case-sensitively, so "Ascend" the chip is not "ascend"
    the verb. Both are phrase matchers: token patterns would cost several times more.
    """
    folded, exact = [], []
    for entity in catalog.entities:
        if entity.type == "place":
            # Places are linked after NER instead: as ruler patterns they would cut longer names
            # short ("the Humane Society of the United States" -> "... of the").
            continue
        label = label_for(entity)
        for name in _apostrophe_variants({entity.name, *entity.aliases, *entity.zh}):
            folded.append({"label": label, "pattern": name, "id": entity.id})
        for name in _apostrophe_variants({*entity.exact_aliases, *entity.tickers}):
            exact.append({"label": label, "pattern": name, "id": entity.id})
    for name, attr, patterns, overwrite in ((RULER_NAME, "LOWER", folded, True),
                                            (f"{RULER_NAME}_exact", "ORTH", exact, False)):
        ruler = nlp.add_pipe("entity_ruler", name=name, before="ner",
                             config={"phrase_matcher_attr": attr, "overwrite_ents": overwrite, "validate": False})
        with nlp.select_pipes(enable=[]):
            ruler.add_patterns(patterns)


def _apostrophe_variants(names: set[str]) -> set[str]:
    """News writes "People’s Bank of China" with a curly apostrophe as often as a straight one."""
    return names | {n.replace("'", "’") for n in names} | {n.replace("’", "'") for n in names}


def name_index(catalog: Catalog) -> dict[str, str]:
    """Casefolded name -> entity id, for linking NER spans the ruler did not cover."""
    index: dict[str, str] = {}
    for entity in catalog.entities:
        for name in (entity.name, *entity.aliases, *entity.zh, *entity.exact_aliases):
            index.setdefault(_key(name), entity.id)
            index.setdefault(_key(strip_suffix(name)), entity.id)
    return index


def normalise_name(surface: str) -> str:
    """ "the Nasdaq Composite’s" -> "Nasdaq Composite"; whitespace collapsed."""
    name = " ".join(surface.split())
    name = _POSSESSIVE.sub("", name)
    name = _LEADING_THE.sub("", name)
    return name.strip(" ,.;:()[]\"'“”")


def strip_suffix(name: str) -> str:
    previous = None
    while previous != name:
        previous, name = name, _CORPORATE_SUFFIX.sub("", name).strip()
    return name or previous


def _key(name: str) -> str:
    return unicodedata.normalize("NFKC", name).casefold().replace("’", "'").strip()


def mentions_from_doc(doc: Doc, catalog_by_id: dict[str, Entity], index: dict[str, str],
                      sentence_of: list[int]) -> list[Mention]:
    """Every entity span of ``doc``: linked ones with their id, unlinked ORG/PERSON normalised."""
    mentions = []
    for span in doc.ents:
        if span.text != span.text.strip():  # "Title\n\n": the tagger took the line break in
            stripped = span.text.strip()
            lead = span.text.index(stripped[:1]) if stripped else 0
            span = doc.char_span(span.start_char + lead, span.start_char + lead + len(stripped),
                                 label=span.label_, kb_id=span.kb_id, span_id=span.id)
            if span is None:
                continue
        entity_id = span.ent_id_ or None
        method = "catalog"
        if entity_id is None:
            if span.label_ not in KEPT_LABELS and span.label_ not in ("GPE", "PRODUCT", "NORP"):
                continue
            name = normalise_name(span.text)
            entity_id = index.get(_key(name)) or index.get(_key(strip_suffix(name)))
            method = "ner+catalog"
            if entity_id is None:
                if span.label_ not in KEPT_LABELS or not _plausible(name):
                    continue
                mentions.append(_mention(span, None, name, span.label_, "ner", sentence_of))
                continue
        entity = catalog_by_id.get(entity_id)
        if entity is None:
            continue
        mentions.append(_mention(span, entity.id, entity.name, label_for(entity), method, sentence_of))
    return mentions


def _mention(span: Span, entity_id, name, label, method, sentence_of) -> Mention:
    return Mention(entity_id=entity_id, name=name, label=label, surface=span.text,
                   start=span.start_char, end=span.end_char,
                   sentence=sentence_of[span.start], method=method)


def _plausible(name: str) -> bool:
    """Unlinked names worth keeping: not "AI" or "CEO", not a job title the tagger took for an ORG."""
    letters = sum(ch.isalpha() for ch in name)
    if letters < 2 or len(name) > 80 or (name.isupper() and len(name) <= 3):
        return False
    return not ROLE_WORDS.search(name.split()[-1])
