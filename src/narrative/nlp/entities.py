"""Entities: catalog names as EntityRuler patterns (so the model's NER respects them),
and the resolution of every named-entity span to a catalog id or a normalised name.

The layer adds to spaCy and never subtracts (issue 10): every span the statistical NER finds
is kept (people, organisations, places, nationalities, products, events, laws), linked when
the catalog knows the name and stored unlinked otherwise. Only measured rules change a span:
a legal suffix ("Corp.", "Inc.", "Holdings") is taken into the name, a leading "the" and a
possessive "'s" are left out, job titles the tagger took for names and the catalog's
``stop_names`` ("CEO", "AI") are dropped.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections import Counter
from typing import TYPE_CHECKING, Any, cast

from spacy.language import Language
from spacy.tokens import Doc, Span

from ..catalog import Catalog, Entity
from .entity_relevance import syntactic_role
from .name_spans import common_words as _common_words
from .name_spans import heading_words
from .types import Mention

if TYPE_CHECKING:
    from spacy.pipeline import EntityRuler

RULER_NAME = "catalog_ruler"
_LABELS = {
    "person": "PERSON",
    "place": "GPE",
    "ai_model": "PRODUCT",
    "chip": "PRODUCT",
    "product": "PRODUCT",
}
# Every label that names something (OntoNotes); dates, money, percentages and counts are figures, not names.
NAME_LABELS = frozenset(
    {"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE"}
)
KEPT_LABELS = NAME_LABELS  # unlinked NER spans worth storing
_LEADING_ARTICLES = frozenset({"the"})
_POSSESSIVES = frozenset({"'s", "’s", "'", "’"})
_CORPORATE_SUFFIX = re.compile(
    r"[\s,]+(inc|incorporated|corp|corporation|co|company|ltd|limited|plc|holdings?|group|sa|ag|nv|llc|lp)\.?$",
    re.IGNORECASE,
)
_LEADING_THE = re.compile(r"^(the)\s+", re.IGNORECASE)
_POSSESSIVE = re.compile(r"\s*['’]s?$")
ROLE_WORDS = re.compile(
    r"\b(chief|ceo|cfo|cto|cio|coo|chair(?:man|woman)?|president|founder|co-founder|director|head|"
    r"strategist|analyst|economist|manager|partner|officer|executive|spokes(?:person|man|woman)|minister|"
    r"secretary|governor|professor|researcher|trader|investor|adviser|advisor|vice|senior|general counsel|"
    r"lead|principal|portfolio|commissioner|premier|leader|boss|owner|scientist|engineer|editor)\b",
    re.IGNORECASE,
)


def label_for(entity: Entity) -> str:
    return _LABELS.get(entity.type, "ORG")


def add_catalog_ruler(nlp: Language, catalog: Catalog) -> None:
    """Put two EntityRulers holding every catalog name before the statistical NER.

    The first matches aliases and Chinese names case-insensitively; the second matches
    ``exact_aliases`` and tickers case-sensitively, so "Ascend" the chip is not "ascend"
    the verb. Both are phrase matchers: token patterns would cost several times more.
    """
    # add_patterns takes str or token-pattern values; ours are phrase patterns (str) only
    folded: list[dict[str, Any]] = []
    exact: list[dict[str, Any]] = []
    for entity in catalog.entities:
        if entity.type == "place":
            # Places are linked after NER instead: as ruler patterns they would cut longer names
            # short ("the Humane Society of the United States" -> "... of the").
            continue
        label = label_for(entity)
        # Common-word names ("Target") are left to the NER: see name_index.
        gated = set(entity.ner_aliases)
        for name in _apostrophe_variants({entity.name, *entity.aliases, *entity.zh} - gated):
            folded.append({"label": label, "pattern": name, "id": entity.id})
        tickers = {listing.symbol for listing in entity.listings if not listing.ambiguous}
        for name in _apostrophe_variants({*entity.exact_aliases, *tickers} - gated):
            exact.append({"label": label, "pattern": name, "id": entity.id})
    for name, attr, patterns, overwrite in (
        (RULER_NAME, "LOWER", folded, True),
        (f"{RULER_NAME}_exact", "ORTH", exact, False),
    ):
        ruler = cast(
            "EntityRuler",
            nlp.add_pipe(
                "entity_ruler",
                name=name,
                before="ner",
                config={"phrase_matcher_attr": attr, "overwrite_ents": overwrite, "validate": False},
            ),
        )
        with nlp.select_pipes(enable=[]):
            ruler.add_patterns(patterns)


def _apostrophe_variants(names: set[str]) -> set[str]:
    """News writes "People’s Bank of China" with a curly apostrophe as often as a straight one."""
    return names | {n.replace("'", "’") for n in names} | {n.replace("’", "'") for n in names}


def name_index(catalog: Catalog) -> dict[str, str]:
    """Casefolded name -> entity id, for linking NER spans the ruler did not cover."""
    index: dict[str, str] = {}
    for entity in catalog.entities:
        for name in (entity.name, *entity.aliases, *entity.zh, *entity.exact_aliases, *entity.ner_aliases):
            index.setdefault(_key(name), entity.id)
            index.setdefault(_key(strip_suffix(name)), entity.id)
    return index


@dataclasses.dataclass(frozen=True)
class CatalogLinks:
    """What linking needs from the catalog, built once per extractor: see :meth:`from_catalog`."""

    by_id: dict[str, Entity]
    names: dict[str, str]  # casefolded name -> id (name_index)
    stop_names: frozenset[str]  # casefolded
    tickers: dict[str, str]  # symbol as written -> id, ambiguous ones included
    exchanges: frozenset[str]  # casefolded exchange names that may prefix a ticker ("NYSE: F")
    lower_names: frozenset[str]  # names the catalog itself writes in lower case

    @classmethod
    def from_catalog(cls, catalog: Catalog) -> CatalogLinks:
        """>>> CatalogLinks.from_catalog(load_catalog()).tickers["BABA"]  # doctest: +SKIP
        'alibaba'
        """
        tickers = {listing.symbol: e.id for e in catalog.entities for listing in e.listings}
        exchanges = {_key(listing.exchange) for e in catalog.entities for listing in e.listings}
        exchanges |= {_key(e.name) for e in catalog.entities if e.type == "exchange"}
        lower = {n for e in catalog.entities for n in e.names() if n == n.lower()}
        return cls(
            by_id=catalog.by_id(),
            names=name_index(catalog),
            stop_names=frozenset(_key(name) for name in catalog.stop_names),
            tickers=tickers,
            exchanges=frozenset(exchanges),
            lower_names=frozenset(lower),
        )


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


def mentions_from_doc(doc: Doc, links: CatalogLinks, sentence_of: list[int]) -> list[Mention]:
    """Every name span of ``doc``: linked ones with their catalog id, the others typed and unlinked.

    A catalog phrase written all in lower case ("apple pies", "the visa rules") is a word, not the company,
    unless the catalog itself writes the name so. A ticker after an exchange ("NYSE: F") is linked even when
    it is too short or too common to match alone.
    """
    mentions = []
    common = heading_words(doc)
    for ent in doc.ents:
        span = _trimmed(doc, ent)
        if span is None:
            continue
        entity_id = span.ent_id_ or None
        method = "catalog"
        if entity_id is not None and _lower_case_word(span.text, links.lower_names):
            continue
        if _before_ticker(doc, span, links):  # "(NASDAQ: NVDA)": the exchange, not the Nasdaq Composite
            mentions.append(_mention(span, None, normalise_name(span.text), "ORG", "ner", sentence_of))
            continue
        if entity_id is None:
            if span.label_ not in NAME_LABELS:
                continue
            name = normalise_name(span.text)
            entity_id = links.names.get(_key(name)) or links.names.get(_key(strip_suffix(name)))
            method = "ner+catalog"
            if entity_id is None:
                if _plausible(name, links.stop_names) and not _common_words(span, common):
                    mentions.append(_mention(span, None, name, span.label_, "ner", sentence_of))
                continue
        entity = links.by_id.get(entity_id)
        if entity is None:
            continue
        mentions.append(_mention(span, entity.id, entity.name, label_for(entity), method, sentence_of))
    mentions.extend(_prefixed_tickers(doc, links, mentions, sentence_of))
    mentions.extend(_repeated_names(doc, mentions, links, common, sentence_of))
    return sorted(mentions, key=lambda m: m.start)


_CONSISTENT_LABELS = ("PERSON", "ORG", "GPE", "LOC", "NORP")


def _repeated_names(
    doc: Doc, mentions: list[Mention], links: CatalogLinks, common: frozenset[str], sentence_of
) -> list[Mention]:
    """One name, one reading per document: what the NER tagged once is the same thing where it missed it.

    An unlinked name keeps the label it has most often ("Suker" after "Davor Suker" is the person; a company
    tagged once as ORG and once as GPE is an ORG), and capitalised occurrences the NER left untagged become
    mentions too. Lower-case words of the document and the catalog's stop names are never names.
    """
    votes: dict[tuple[str, ...], Counter] = {}
    for m in mentions:
        if m.entity_id is None and m.label in _CONSISTENT_LABELS:
            words = tuple(m.surface.split())
            votes.setdefault(words, Counter())[m.label] += 2 if len(words) > 1 else 1
            if m.label == "PERSON" and len(words) > 1:  # the surname alone, later
                votes.setdefault(words[-1:], Counter())["PERSON"] += 1
    label_of = {words: counts.most_common(1)[0][0] for words, counts in votes.items()}
    for m in mentions:
        if m.entity_id is None and tuple(m.surface.split()) in label_of:
            m.label = label_of[tuple(m.surface.split())]
    covered = {i for m in mentions for i in range(m.start, m.end)}
    first_words: dict[str, list[tuple[str, ...]]] = {}
    for words in sorted(label_of, key=len, reverse=True):
        if (
            _key(" ".join(words)) not in links.stop_names
            and all(w[:1].isupper() for w in words)
            and not any(w.lower() in common for w in words)
        ):
            first_words.setdefault(words[0], []).append(words)
    added = []
    for token in doc:
        for words in first_words.get(token.text, ()):
            end = token.i + len(words)
            if tuple(t.text for t in doc[token.i : end]) == words and not any(
                i in covered for i in range(token.idx, doc[end - 1].idx + len(doc[end - 1]))
            ):
                span = doc[token.i : end]
                added.append(
                    _mention(span, None, normalise_name(span.text), label_of[words], "ner+document", sentence_of)
                )
                covered.update(range(span.start_char, span.end_char))
                break
    return added


def _before_ticker(doc: Doc, span: Span, links: CatalogLinks) -> bool:
    return (
        span.end + 1 < len(doc)
        and doc[span.end].text == ":"
        and doc[span.end + 1].text in links.tickers
        and _key(span.text) in links.exchanges
    )


def _lower_case_word(surface: str, lower_names: frozenset[str]) -> bool:
    return surface == surface.lower() and surface.isascii() and surface not in lower_names


def _prefixed_tickers(doc: Doc, links: CatalogLinks, found: list[Mention], sentence_of) -> list[Mention]:
    """Tickers written after an exchange and a colon ("(NYSE: F)", "Nasdaq:NVDA") that no span covers."""
    covered = {i for m in found for i in range(m.start, m.end)}
    extra = []
    for token in doc[2:]:
        entity_id = links.tickers.get(token.text)
        if (
            entity_id is None
            or token.idx in covered
            or doc[token.i - 1].text != ":"
            or _key(doc[token.i - 2].text) not in links.exchanges
        ):
            continue
        entity = links.by_id[entity_id]
        extra.append(
            _mention(doc[token.i : token.i + 1], entity.id, entity.name, label_for(entity), "ticker", sentence_of)
        )
    return extra


def _trimmed(doc: Doc, span: Span) -> Span | None:
    """The span without surrounding whitespace, a leading "the" or a trailing possessive: the name itself."""
    start, end = span.start, span.end
    while start < end and (doc[start].is_space or doc[start].lower_ in _LEADING_ARTICLES):
        start += 1
    while end > start and (doc[end - 1].is_space or doc[end - 1].text in _POSSESSIVES):
        end -= 1
    if start == end:
        return None
    if (start, end) == (span.start, span.end) and span.text == span.text.strip():
        return span
    text = doc[start:end].text.strip()  # "Title\n\n": the tagger took the line break in
    first = doc[start].idx + (len(doc[start].text) - len(doc[start].text.lstrip()))
    return doc.char_span(first, first + len(text), label=span.label_, kb_id=span.kb_id, span_id=span.id)


def _mention(span: Span, entity_id, name, label, method, sentence_of) -> Mention:
    return Mention(
        entity_id=entity_id,
        name=name,
        label=label,
        surface=span.text,
        start=span.start_char,
        end=span.end_char,
        sentence=sentence_of[span.start],
        method=method,
        role=syntactic_role(span),
    )


def _plausible(name: str, stop_names: frozenset[str] = frozenset()) -> bool:
    """Unlinked names worth keeping: not a catalog stop name ("AI", "CEO"), not a job title taken for an ORG."""
    letters = sum(ch.isalpha() for ch in name)
    if letters < 1 or len(name) > 80 or _key(name) in stop_names:
        return False
    return not ROLE_WORDS.search(name.split()[-1])
