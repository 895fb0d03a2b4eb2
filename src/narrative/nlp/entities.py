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

from spacy.language import Language
from spacy.tokens import Doc, Span

from ..catalog import Catalog, Entity
from .types import Mention

RULER_NAME = "catalog_ruler"
_LABELS = {
    "person": "PERSON", "place": "GPE", "ai_model": "PRODUCT", "chip": "PRODUCT", "product": "PRODUCT",
}
# Every label that names something (OntoNotes); dates, money, percentages and counts are figures, not names.
NAME_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW",
                         "LANGUAGE"})
KEPT_LABELS = NAME_LABELS  # unlinked NER spans worth storing
# Legal forms that belong to a company's name: "Microsoft Corp.", "Baidu, Inc.", "JPMorgan Chase & Co.".
LEGAL_SUFFIXES = frozenset({
    "inc", "inc.", "incorporated", "corp", "corp.", "corporation", "co", "co.", "company", "ltd", "ltd.", "limited",
    "plc", "holdings", "holding", "group", "ag", "se", "sa", "s.a.", "nv", "n.v.", "a/s", "llc", "lp", "l.p.",
    "集团", "控股", "有限公司"})
_LEADING_ARTICLES = frozenset({"the"})
_POSSESSIVES = frozenset({"'s", "’s", "'", "’"})
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


@Language.component("narrative_line_sentences")
def line_sentences(doc: Doc) -> Doc:
    """A line break starts a sentence unless the next line starts in lower case (a hard-wrapped sentence).

    Headings and list items have no full stop; joined to the next line they made one sentence, whose
    subject was the heading (issue 10: "Broader Market Participation Signals Sustainable"). Runs before
    the parser, which keeps the boundaries it is given.
    """
    for token in doc[1:]:
        previous = doc[token.i - 1]
        if previous.is_space and "\n" in previous.text and not token.is_space and not token.text[:1].islower():
            token.is_sent_start = True
    return doc


@Language.component("narrative_legal_names")
def legal_names(doc: Doc) -> Doc:
    """The pipeline component around :func:`extend_legal_names` (after the NER)."""
    return extend_legal_names(doc)


def heading_words(doc: Doc) -> frozenset[str]:
    """Capitalised words of headings that the document elsewhere writes in lower case only.

    "Sector Performance Extends Beyond Internet Giants" is a heading, not an organisation: its words appear
    lower case in the body. A name ("Alibaba") never does. Empty for a document of one line.
    """
    lower, capital = set(), set()
    for sent in doc.sents:
        if _is_heading(sent):
            continue
        for token in sent[1:]:
            (lower if token.is_lower else capital if token.is_title else set()).add(token.lower_)
    return frozenset(lower - capital)


def _is_heading(sent: Span) -> bool:
    """A line with no closing punctuation whose words are mostly capitalised."""
    words = [t for t in sent if t.is_alpha]
    last = next((t for t in reversed(sent) if not t.is_space), None)
    if len(words) < 2 or last is None or last.is_punct and last.text not in ")]":
        return False
    return sum(t.is_title or t.is_upper for t in words) >= 0.75 * len(words)


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
        # Common-word names ("Target") are left to the NER: see name_index.
        gated = set(entity.ner_aliases)
        for name in _apostrophe_variants({entity.name, *entity.aliases, *entity.zh} - gated):
            folded.append({"label": label, "pattern": name, "id": entity.id})
        tickers = {listing.symbol for listing in entity.listings if not listing.ambiguous}
        for name in _apostrophe_variants({*entity.exact_aliases, *tickers} - gated):
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
    def from_catalog(cls, catalog: Catalog) -> "CatalogLinks":
        """>>> CatalogLinks.from_catalog(load_catalog()).tickers["BABA"]  # doctest: +SKIP
        'alibaba'
        """
        tickers = {listing.symbol: e.id for e in catalog.entities for listing in e.listings}
        exchanges = {_key(listing.exchange) for e in catalog.entities for listing in e.listings}
        exchanges |= {_key(e.name) for e in catalog.entities if e.type == "exchange"}
        lower = {n for e in catalog.entities for n in e.names() if n == n.lower()}
        return cls(by_id=catalog.by_id(), names=name_index(catalog),
                   stop_names=frozenset(_key(name) for name in catalog.stop_names),
                   tickers=tickers, exchanges=frozenset(exchanges), lower_names=frozenset(lower))


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
    for span in doc.ents:
        span = _trimmed(doc, span)
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
    return sorted(mentions, key=lambda m: m.start)


def _before_ticker(doc: Doc, span: Span, links: CatalogLinks) -> bool:
    return (span.end + 1 < len(doc) and doc[span.end].text == ":" and doc[span.end + 1].text in links.tickers
            and _key(span.text) in links.exchanges)


def _lower_case_word(surface: str, lower_names: frozenset[str]) -> bool:
    return surface == surface.lower() and surface.isascii() and surface not in lower_names


def _prefixed_tickers(doc: Doc, links: CatalogLinks, found: list[Mention], sentence_of) -> list[Mention]:
    """Tickers written after an exchange and a colon ("(NYSE: F)", "Nasdaq:NVDA") that no span covers."""
    covered = {i for m in found for i in range(m.start, m.end)}
    extra = []
    for token in doc[2:]:
        entity_id = links.tickers.get(token.text)
        if (entity_id is None or token.idx in covered or doc[token.i - 1].text != ":"
                or _key(doc[token.i - 2].text) not in links.exchanges):
            continue
        entity = links.by_id[entity_id]
        extra.append(_mention(doc[token.i:token.i + 1], entity.id, entity.name, label_for(entity), "ticker",
                              sentence_of))
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


def extend_legal_names(doc: Doc) -> Doc:
    """Take a legal suffix after an organisation into its span: "Microsoft" + "Corp." -> "Microsoft Corp.".

    A catalog name matched by the ruler stops where the alias stops; the company's full legal name is the
    mention (issue 10). "Baidu, Inc.", "JPMorgan Chase & Co." and "Eli Lilly and Co." are covered, and so is a
    name the NER split off ("Toyota" + "Motor Corp."); the catalog id is kept.
    """
    spans = sorted(doc.ents, key=lambda span: span.start)
    merged: list[Span] = []
    for span in spans:
        previous = merged[-1] if merged else None
        if (previous is not None and previous.label_ == "ORG" and span.label_ == "ORG" and not span.ent_id_
                and span.start == previous.end and _ends_legal(span)):
            merged[-1] = Span(doc, previous.start, span.end, label=previous.label, kb_id=previous.kb_id,
                              span_id=previous.id)
        else:
            merged.append(span)
    starts = {span.start for span in merged}
    for n, span in enumerate(merged):
        if span.label_ != "ORG":
            continue
        end = span.end
        while (step := _suffix_at(doc, end)) and not any(i in starts for i in range(end, end + step)):
            end += step
        if end != span.end:
            merged[n] = Span(doc, span.start, end, label=span.label, kb_id=span.kb_id, span_id=span.id)
    if merged != list(doc.ents):
        doc.ents = merged
    return doc


def _ends_legal(span: Span) -> bool:
    """An NER span made of capitalised words that ends in a legal form ("Motor Corp.", "AG")."""
    return span[-1].lower_ in LEGAL_SUFFIXES and all(t.text[:1].isupper() or not t.is_alpha for t in span)


def _suffix_at(doc: Doc, i: int) -> int:
    """How many tokens from ``i`` make one legal suffix (", Inc.", "& Co.", "and Co.", "Holdings"), 0 if none."""
    if i >= len(doc):
        return 0
    token, following = doc[i], doc[i + 1] if i + 1 < len(doc) else None
    if token.text == "," and following is not None and following.lower_ in ("inc", "inc.", "ltd", "ltd."):
        return 2
    if token.lower_ in ("&", "and") and following is not None and following.text in ("Co", "Co."):
        return 2
    if token.lower_ in LEGAL_SUFFIXES and (token.text[:1].isupper() or not token.is_ascii):
        return 1
    return 0


def _common_words(span: Span, common: frozenset[str]) -> bool:
    """A span of a heading that is the heading itself, not a name in it.

    Either it takes most of the heading (three words or more, 60% of its words: the tagger reads a Title Case
    heading as one long ORG), or every word of it is written in lower case elsewhere in the document
    ("Performance Extends"; see :func:`heading_words`).
    """
    sentence = span.sent
    if not _is_heading(sentence):
        return False
    words = [t for t in span if t.is_alpha]
    if len(words) >= 3 and len(words) >= 0.6 * sum(t.is_alpha for t in sentence):
        return True
    lower_words = [t for t in words if not t.is_upper]
    return bool(common) and bool(lower_words) and all(t.lower_ in common for t in lower_words)


def _mention(span: Span, entity_id, name, label, method, sentence_of) -> Mention:
    return Mention(entity_id=entity_id, name=name, label=label, surface=span.text,
                   start=span.start_char, end=span.end_char,
                   sentence=sentence_of[span.start], method=method)


def _plausible(name: str, stop_names: frozenset[str] = frozenset()) -> bool:
    """Unlinked names worth keeping: not a catalog stop name ("AI", "CEO"), not a job title taken for an ORG."""
    letters = sum(ch.isalpha() for ch in name)
    if letters < 1 or len(name) > 80 or _key(name) in stop_names:
        return False
    return not ROLE_WORDS.search(name.split()[-1])
