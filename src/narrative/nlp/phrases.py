"""Narrative phrases: each theme's lemma patterns as a spaCy Matcher, keyed by theme.

Pattern strings are data (models/narratives/*.yaml): words match by lemma, any case;
``a|b`` is either word; ``*`` is up to two words of anything.
"""

from __future__ import annotations

from collections.abc import Callable

from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc

from ..catalog import Narrative
from .types import PhraseHit


def token_patterns(pattern: str) -> list[dict]:
    """ "bottleneck in * computing|compute power" -> spaCy Matcher token patterns.

    >>> token_patterns("ai chip|chips")[1]["LEMMA"]["IN"][:3]
    ['chip', 'Chip', 'CHIP']
    """
    tokens: list[dict] = []
    for word in pattern.split():
        if word == "*":
            tokens.append({"OP": "{0,2}"})
            continue
        variants: list[str] = []
        for alternative in word.split("|"):
            for form in (alternative, alternative.capitalize(), alternative.upper()):
                if form not in variants:
                    variants.append(form)
        tokens.append({"LEMMA": {"IN": variants}})
    return tokens


class PhraseFinder:
    """Finds every theme of every narrative in English docs and Chinese text."""

    def __init__(self, nlp: Language, narratives: list[Narrative]):
        self.matcher = Matcher(nlp.vocab, validate=True)
        self.patterns: dict[str, tuple[str, str, str]] = {}
        self.zh: list[tuple[str, str, str]] = []
        for narrative in narratives:
            for theme in narrative.themes:
                for n, pattern in enumerate(theme.patterns.en):
                    key = f"{narrative.id}/{theme.id}/{n}"
                    self.matcher.add(key, [token_patterns(pattern)])
                    self.patterns[key] = (narrative.id, theme.id, pattern)
                for pattern in theme.patterns.zh:
                    self.zh.append((narrative.id, theme.id, pattern))

    def find(self, doc: Doc, sentence_of: list[int]) -> list[PhraseHit]:
        hits: list[PhraseHit] = []
        taken: set[tuple[str, str, int]] = set()
        matches = sorted(self.matcher(doc), key=lambda m: (m[1], -(m[2] - m[1])))
        for match_id, start, end in matches:
            narrative, theme, pattern = self.patterns[doc.vocab.strings[match_id]]
            if (narrative, theme, start) in taken:
                continue
            taken.update((narrative, theme, i) for i in range(start, end))
            span = doc[start:end]
            hits.append(
                PhraseHit(
                    narrative=narrative,
                    theme=theme,
                    surface=span.text,
                    start=span.start_char,
                    end=span.end_char,
                    sentence=sentence_of[start],
                    pattern=pattern,
                )
            )
        return hits

    def find_zh(self, text: str, sentence_at: Callable[[int], int]) -> list[PhraseHit]:
        hits = []
        for narrative, theme, pattern in self.zh:
            start = text.find(pattern)
            while start >= 0:
                hits.append(
                    PhraseHit(
                        narrative=narrative,
                        theme=theme,
                        surface=pattern,
                        start=start,
                        end=start + len(pattern),
                        sentence=sentence_at(start),
                        pattern=pattern,
                    )
                )
                start = text.find(pattern, start + len(pattern))
        return sorted(hits, key=lambda h: h.start)
