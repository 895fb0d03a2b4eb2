"""Figures as structured claims, from an English spaCy ``Doc``.

:func:`narrative.nlp.numbers_en.find_quantities` finds the number and its unit ("96%", "$2.5 billion",
"twenty percent", "C$5m", "40-fold", "nearly tripling", "1.4 billion consumers"); the dependency parse then finds
what the number is about. From the number we climb to its *anchor* (the noun or verb it
quantifies: "surge", "fell"), read the direction from the anchor's lemma, and climb on
to the clause's subject for the entity the claim is about. Periods ("year-to-date",
"in the past month") belong to the figure whose anchor they hang from.
"""

from __future__ import annotations

from collections.abc import Sequence

from spacy.tokens import Doc, Span, Token

from .numbers_en import Quantity, find_quantities
from .periods import assign_periods, find_periods
from .types import Figure, Mention

UP = {
    "rise",
    "gain",
    "jump",
    "surge",
    "climb",
    "rally",
    "advance",
    "soar",
    "increase",
    "grow",
    "up",
    "add",
    "rebound",
    "spike",
    "leap",
    "higher",
    "boost",
    "lift",
    "rocket",
    "accelerate",
    "expand",
    "top",
    "outperform",
    "beat",
    "double",
    "triple",
    "quadruple",
    "growth",
    "recover",
    "recovery",
    "upside",
    "widen",
    "hike",
    "raise",
    "outpace",
    "surpass",
    "exceed",
    "balloon",
    "swell",
    "skyrocket",
    "extend",
    "pop",
    "bounce",
    "run-up",
    "firm",
    "strengthen",
    "appreciate",
    "steepen",
}
DOWN = {
    "fall",
    "drop",
    "decline",
    "slide",
    "slump",
    "plunge",
    "tumble",
    "sink",
    "lose",
    "loss",
    "down",
    "shed",
    "dip",
    "retreat",
    "crash",
    "plummet",
    "lower",
    "cut",
    "shrink",
    "contract",
    "slip",
    "ease",
    "decrease",
    "erode",
    "wipe",
    "underperform",
    "miss",
    "selloff",
    "sell-off",
    "collapse",
    "slash",
    "narrow",
    "trim",
    "reduce",
    "fell",
    "downturn",
    "drawdown",
    "correction",
    "lag",
    "trail",
    "give",
    "pare",
    "erase",
    "halve",
    "weaken",
    "depreciate",
    "soften",
}
_HEDGES = {
    "nearly",
    "almost",
    "about",
    "around",
    "roughly",
    "approximately",
    "some",
    "over",
    "more than",
    "less than",
    "at least",
    "up to",
    "close to",
    "just under",
    "just over",
    "as much as",
}
_PRONOUNS = {
    "it",
    "its",
    "they",
    "their",
    "the company",
    "the group",
    "the firm",
    "the stock",
    "the shares",
    "the index",
    "the lender",
    "the bank",
    "the company's",
}


def extract_figures(doc: Doc, mentions: Sequence[Mention], sentence_of: list[int]) -> list[Figure]:
    """Every figure in ``doc`` with its subject, direction, period and kind."""
    figures: list[Figure] = []
    for sent in doc.sents:
        found = _find_numbers(sent)
        if not found:
            continue
        periods = find_periods(sent)
        anchors = [_anchor(sent.doc, span) for _, span, _ in found]
        owned = assign_periods(periods, anchors, [span for _, span, _ in found])
        sent_mentions = [m for m in mentions if m.sentence == sentence_of[sent.start]]
        for index, (kind, span, parsed) in enumerate(found):
            figure = _figure(kind, span, parsed, anchors[index], owned.get(index), sent_mentions, sentence_of, mentions)
            if figure is not None:
                figures.append(figure)
    return figures


def _find_numbers(sent: Span) -> list[tuple[str, Span, Quantity]]:
    results = []
    for quantity in find_quantities(sent.text):
        span = sent.doc.char_span(
            sent.start_char + quantity.start, sent.start_char + quantity.end, alignment_mode="expand"
        )
        if span is not None:
            results.append((quantity.kind, span, quantity))
    return results


def _anchor(doc: Doc, span: Span) -> Token:
    """The word the figure quantifies: climb from the number out of its own span, past
    prepositions and function words, to the first noun, verb or adjective."""
    token = span.root
    for _ in range(12):
        outside = token.i < span.start or token.i >= span.end
        if outside and (token.pos_ in ("NOUN", "VERB", "ADJ", "PROPN", "AUX") or token.lemma_.lower() in UP | DOWN):
            return token
        if token.head is token:
            return token
        token = token.head
    return token


def _figure(kind, span, quantity: Quantity, anchor, period, mentions, sentence_of, article_mentions) -> Figure | None:
    qualifier = _qualifier(span)
    value, value_high, unit, noun = quantity.value, quantity.value_high, quantity.unit, quantity.noun
    if kind == "count":
        noun = noun or _counted_noun(span)
        if noun is None and not quantity.exact:
            return None  # "3 million" with nothing counted is too vague to be a claim; "a hundred and two" is stated
    # a written sign says the direction ("-22.2%" is down 22.2, value -22.2: issue 10)
    direction = {-1: "down", 1: "up"}.get(quantity.sign) or _direction(span, anchor)
    figure_kind = _kind(kind, span, anchor, direction)
    subject_id, subject, method = _subject(span, anchor, mentions, article_mentions)
    negated = any(child.dep_ == "neg" for child in anchor.children) or any(
        child.dep_ == "neg" for child in anchor.head.children if anchor.dep_ in ("dobj", "npadvmod", "pobj")
    )
    return Figure(
        value=value,
        value_high=value_high,
        unit=unit,
        kind=figure_kind,
        direction=direction,
        period=period[0] if period else None,
        period_text=period[1] if period else None,
        subject_entity_id=subject_id,
        subject=subject,
        subject_method=method,
        surface=span.text,
        start=span.start_char,
        end=span.end_char,
        sentence=sentence_of[span.start],
        qualifier=qualifier,
        negated=negated,
        noun=noun,
    )


def _qualifier(span: Span) -> str | None:
    doc = span.doc
    before = doc[max(span.sent.start, span.start - 3) : span.start].text.lower()
    for hedge in sorted(_HEDGES, key=len, reverse=True):
        if before.endswith(hedge) or f"{hedge} a" == before[-len(hedge) - 2 :]:
            return hedge
    if span.start > 0 and doc[span.start - 1].lower_ == "from":
        return "from"
    return None


def _counted_noun(span: Span) -> str | None:
    doc = span.doc
    nxt = doc[span.end] if span.end < len(doc) else None
    if nxt is not None and nxt.pos_ in ("NOUN", "PROPN") and nxt.dep_ not in ("npadvmod",):
        return nxt.lemma_.lower() if nxt.pos_ == "NOUN" else nxt.text
    head = span.root.head
    if head.i >= span.end and head.pos_ == "NOUN":
        return head.lemma_.lower()
    if nxt is not None and nxt.lower_ == "of":  # a part of a whole: "2 million of its shares", "300 of them"
        for whole in nxt.children:  # a determined whole: "5 million of debt" is a measure, not a part
            if whole.dep_ == "pobj" and (
                whole.pos_ == "PRON" or any(t.dep_ in ("det", "poss", "nummod") for t in whole.children)
            ):
                return whole.lemma_.lower() if whole.pos_ == "NOUN" else whole.lower_
    return None


def _lemma(token: Token) -> str:
    """The lemma, or the word less its "s" where the tagger took a headline verb for a name ("Nikkei Drops 2.8%")."""
    lemma = token.lemma_.lower()
    if lemma == token.lower_ and lemma.endswith("s") and lemma[:-1] in UP | DOWN:
        return lemma[:-1]
    return lemma


def _direction(span: Span, anchor: Token) -> str | None:
    doc = span.doc
    # "up 12%", "down 5%", "+3%", "-2%"
    previous = doc[span.start - 1] if span.start > span.sent.start else None
    if previous is not None and previous.lower_ in ("up", "down"):
        return previous.lower_
    if span.text.startswith("+") or (previous is not None and previous.text == "+"):
        return "up"
    if previous is not None and previous.text in ("-", "−") and span.start - 1 == span.sent.start:
        return "down"
    if span.text.lower().startswith(("doubl", "tripl", "quadrupl")):
        return "up"
    following = doc[span.end] if span.end < len(doc) else None
    if following is not None and following.lower_ in ("higher", "lower", "up", "down"):
        return "up" if following.lower_ in ("higher", "up") else "down"
    for token in (anchor, *[t for t in anchor.children if t.dep_ in ("amod", "compound", "advmod")]):
        lemma = _lemma(token)
        if lemma in UP:
            return "up"
        if lemma in DOWN:
            return "down"
    # "a rally of 5%" / "lost 5% of its value": the anchor's own head may carry the verb
    head = anchor.head
    if anchor.dep_ in ("pobj", "dobj", "npadvmod", "attr") and head is not anchor:
        lemma = _lemma(head) if head.pos_ != "ADP" else _lemma(head.head)
        if lemma in UP:
            return "up"
        if lemma in DOWN:
            return "down"
    for token in reversed(doc[max(span.sent.start, span.start - 4) : span.start]):
        # "its year-to-date gain to 61.9%", "a loss of 5%"; not the "down" of "down from 15%"
        lemma = _lemma(token)
        if (lemma in UP or lemma in DOWN) and not (token.i + 1 < len(doc) and doc[token.i + 1].lower_ == "from"):
            return "up" if lemma in UP else "down"
        if token.is_punct or token.pos_ == "VERB":
            break
    return None


def _kind(kind: str, span: Span, anchor: Token, direction: str | None) -> str:
    if kind == "multiple":
        return "multiple"
    if kind == "level":
        return "level"
    if kind in ("count",):
        return "amount"
    previous = span.doc[span.start - 1].lower_ if span.start > 0 else ""
    if (previous in ("to", "at") and span.root.head.lower_ in ("to", "at")) or previous in ("to", "at"):
        return "level"
    if kind == "points":
        return "change" if previous == "by" or (direction and previous != "to") else "level"
    if kind == "money":
        return "change" if previous == "by" else "amount"
    if kind == "percent" and span.doc[span.end : span.end + 1].text.lower() == "of":
        return "level"  # "20% of revenue"
    return "change" if direction else "level"


_SUBJECT_RANK = {"ORG": 0, "PRODUCT": 0, "PERSON": 1, "GPE": 2}
_CLAUSE_BREAK = {",", ";", ":", "and", "while", "but", "whereas", "as", "after", "before", "with", "including"}


def _subject(
    span: Span, anchor: Token, mentions: Sequence[Mention], article_mentions: Sequence[Mention]
) -> tuple[str | None, str | None, str | None]:
    """The entity a figure is about, tried in order: a possessor of the quantified word
    ("Alibaba's 96% surge"); the organisation opening the figure's own clause ("..., Tencent
    (0700.HK) lost 12.5%"); the subject of the governing verb, climbing out of clauses and
    resolving "it"/"the company"; else the nearest organisation before the figure."""
    doc = span.doc
    by_token = _mention_tokens(doc, mentions)

    def in_subtree(token: Token) -> Mention | None:
        found = [by_token[t.i] for t in token.subtree if t.i in by_token and not (span.start <= t.i < span.end)]
        return min(found, key=lambda m: (_SUBJECT_RANK.get(m.label, 1), m.start)) if found else None

    for child in anchor.children:
        if child.dep_ == "poss" and (found := in_subtree(child)):
            return found.entity_id, found.name, "possessive"
    if (found := _clause_subject(span, by_token)) is not None:
        return found.entity_id, found.name, "clause"
    token = anchor
    for _ in range(8):
        if token is not anchor:
            for child in token.children:
                if child.dep_ == "poss" and (found := in_subtree(child)):
                    return found.entity_id, found.name, "possessive"
        if token.pos_ in ("VERB", "AUX") or token.dep_ == "ROOT":
            for child in token.children:
                if child.dep_ not in ("nsubj", "nsubjpass"):
                    continue
                phrase = " ".join(t.lower_ for t in child.subtree)
                if phrase in _PRONOUNS or child.lower_ in _PRONOUNS:
                    referent = _antecedent(doc, child, article_mentions)
                    if referent:
                        return referent.entity_id, referent.name, "pronoun"
                found = in_subtree(child)
                if found and found.label != "GPE":
                    return found.entity_id, found.name, "syntax"
        if token.head is token:
            break
        token = token.head
    nearest = _nearest_before(span, mentions)
    if nearest:
        return nearest.entity_id, nearest.name, "nearest"
    return None, None, None


def _clause_subject(span: Span, by_token: dict[int, Mention]) -> Mention | None:
    """An organisation between the start of the figure's clause and the figure, when the
    clause has exactly one: the subject of short coordinated clauses the parser gets wrong."""
    doc = span.doc
    start = span.start
    while start > span.sent.start and doc[start - 1].lower_ not in _CLAUSE_BREAK:
        start -= 1
    found = {
        id(by_token[i]): by_token[i]
        for i in range(start, span.start)
        if i in by_token and by_token[i].label in ("ORG", "PRODUCT")
    }
    candidates = list(found.values())
    if len({m.entity_id or m.name for m in candidates}) == 1:
        return candidates[0]
    return None


def _mention_tokens(doc: Doc, mentions: Sequence[Mention]) -> dict[int, Mention]:
    index: dict[int, Mention] = {}
    for mention in mentions:
        span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
        for token in span or ():
            index[token.i] = mention
    return index


def _antecedent(doc: Doc, pronoun: Token, mentions: Sequence[Mention]) -> Mention | None:
    """The last organisation named before "it"/"the company", in this sentence or earlier ones."""
    earlier = [m for m in mentions if m.end <= pronoun.idx and m.label in ("ORG", "PRODUCT")]
    return earlier[-1] if earlier else None


def _nearest_before(span: Span, mentions: Sequence[Mention]) -> Mention | None:
    organisations = [m for m in mentions if m.end <= span.start_char and m.label in ("ORG", "PRODUCT")]
    return organisations[-1] if organisations else None
