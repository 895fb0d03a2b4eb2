"""Shaping name spans: where sentences start, where a legal name ends, which heading words are not names.

Two spaCy components (registered here, added by the pipeline) and the heading rule used by
:func:`narrative.nlp.entities.mentions_from_doc` (issue 10).
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span

# Legal forms that belong to a company's name: "Microsoft Corp.", "Baidu, Inc.", "JPMorgan Chase & Co.".
LEGAL_SUFFIXES = frozenset(
    {
        "inc",
        "inc.",
        "incorporated",
        "corp",
        "corp.",
        "corporation",
        "co",
        "co.",
        "company",
        "ltd",
        "ltd.",
        "limited",
        "plc",
        "holdings",
        "holding",
        "group",
        "ag",
        "se",
        "sa",
        "s.a.",
        "nv",
        "n.v.",
        "a/s",
        "llc",
        "lp",
        "l.p.",
        "集团",
        "控股",
        "有限公司",
    }
)


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
    lower: set[str] = set()
    capital: set[str] = set()
    for sent in doc.sents:
        if _is_heading(sent):
            continue
        for token in sent[1:]:
            (lower if token.is_lower else capital if token.is_title else set()).add(token.lower_)
    return frozenset(lower - capital)


def _is_heading(sent: Span) -> bool:
    """A line with no closing punctuation whose words are mostly capitalised (short words such as "and",
    "for" and the tail of "Forward-looking" aside)."""
    words = [t for t in sent if t.is_alpha]
    last = next((t for t in reversed(sent) if not t.is_space), None)
    if len(words) < 2 or last is None or (last.is_punct and last.text not in ")]"):
        return False
    counted = [t for t in words if len(t) > 3 and not (t.i > sent.start and _hyphen_tail(t))] or words
    return sum(t.is_title or t.is_upper for t in counted) >= 0.75 * len(counted)


def _hyphen_tail(token) -> bool:
    """The second half of a hyphenated word ("looking" in "Forward-looking")."""
    previous = token.doc[token.i - 1]
    return previous.text == "-" and not previous.whitespace_


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
        if (
            previous is not None
            and previous.label_ == "ORG"
            and span.label_ == "ORG"
            and not span.ent_id_
            and span.start == previous.end
            and _ends_legal(span)
        ):
            merged[-1] = Span(
                doc, previous.start, span.end, label=previous.label, kb_id=previous.kb_id, span_id=previous.id
            )
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


def common_words(span: Span, common: frozenset[str]) -> bool:
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
