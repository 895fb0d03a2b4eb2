"""What extraction produces, one dataclass per kind of finding.

Character offsets (``start``/``end``) index the analysed document, which is the
article's title, a blank line, then its text (see :func:`document_text`).
"""

from __future__ import annotations

import dataclasses


def document_text(title: str, text: str) -> str:
    """The string every offset refers to: title, blank line, text."""
    return f"{title}\n\n{text}" if text else title


@dataclasses.dataclass
class Sentence:
    index: int
    start: int
    end: int
    text: str


@dataclasses.dataclass
class Mention:
    """A company, person, model... named in a sentence; ``entity_id`` is None when unlinked."""

    entity_id: str | None
    name: str  # the catalog's canonical name, or the normalised surface when unlinked
    label: str  # ORG, PERSON, GPE, PRODUCT
    surface: str
    start: int
    end: int
    sentence: int
    method: str  # catalog, ner, ner+catalog, lac
    # The name's part in its sentence from the dependency parse (nlp.entity_relevance.syntactic_role: subject,
    # object, prep, owner, root, other; "/mod", "+list"); None without a parse (Chinese). Not stored: it feeds
    # the entity's relevance to the article (issue 10 item 5).
    role: str | None = None


@dataclasses.dataclass
class Person:
    """A person with the role and organisation the text gives, and a quote when attributed."""

    name: str
    entity_id: str | None
    role: str | None
    org: str | None
    org_entity_id: str | None
    quote: str | None
    start: int
    end: int
    sentence: int


@dataclasses.dataclass
class Figure:
    """A number stated as a claim: "Alibaba +96% YTD", "$2.5 billion", "nearly tripled"."""

    value: float
    unit: str  # %, pp, bp, USD, HKD, CNY, EUR, JPY, GBP, x, count, points
    kind: str  # change, level, amount, multiple
    direction: str | None  # up, down, or None when the text does not say
    period: str | None  # YTD, 1D, 1W, 1M, 3M, 1Y, Q1..Q4, Y2024, recent_weeks, YoY ...
    period_text: str | None
    subject_entity_id: str | None
    subject: str | None
    subject_method: str | None  # syntax, possessive, pronoun, nearest
    surface: str
    start: int
    end: int
    sentence: int
    value_high: float | None = None  # the top of a range: "10-12%"
    qualifier: str | None = None  # nearly, about, more than, from ...
    negated: bool = False
    noun: str | None = None  # what a count counts: "consumers"


@dataclasses.dataclass
class PhraseHit:
    narrative: str
    theme: str
    surface: str
    start: int
    end: int
    sentence: int
    pattern: str


@dataclasses.dataclass
class Extraction:
    language: str
    sentences: list[Sentence]
    mentions: list[Mention] = dataclasses.field(default_factory=list)
    people: list[Person] = dataclasses.field(default_factory=list)
    figures: list[Figure] = dataclasses.field(default_factory=list)
    phrase_hits: list[PhraseHit] = dataclasses.field(default_factory=list)
