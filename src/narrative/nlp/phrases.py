"""Narrative phrases: each theme's lemma patterns as a spaCy Matcher, keyed by theme.

Pattern strings are data (models/narratives/*.yaml): words match by lemma, any case;
``a|b`` is either word; ``*`` is up to two words of anything.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.strings import get_string_id
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
        reach: dict[str, int] = {}  # per lemma a match can start with, the most tokens such a match covers
        self.anywhere = False  # a pattern that starts with a wildcard can start at any token
        for narrative in narratives:
            for theme in narrative.themes:
                for n, pattern in enumerate(theme.patterns.en):
                    key = f"{narrative.id}/{theme.id}/{n}"
                    tokens = token_patterns(pattern)
                    self.matcher.add(key, [tokens])
                    self.patterns[key] = (narrative.id, theme.id, pattern)
                    covers = sum(2 if "OP" in t else 1 for t in tokens)  # "*" is up to two words
                    for lemma in tokens[0]["LEMMA"]["IN"] if "LEMMA" in tokens[0] else ():
                        reach[lemma] = max(reach.get(lemma, 0), covers)
                    self.anywhere = self.anywhere or "LEMMA" not in tokens[0]
                for pattern in theme.patterns.zh:
                    self.zh.append((narrative.id, theme.id, pattern))
        self.reach = {get_string_id(lemma): covers for lemma, covers in reach.items()}
        self.first_lemmas = np.array(sorted(self.reach), dtype=np.uint64)

    def windows(self, doc: Doc) -> list[tuple[int, int]]:
        """The token ranges where a match can be: from each token whose lemma starts a pattern, as far as a match
        can reach (overlapping ranges merged). The Matcher tries every pattern at every token, calling a Python
        predicate for each ``IN`` list, while ~3% of a news article's tokens can start a match (issue 12); a match
        lies wholly inside one range, so the Matcher over the ranges finds exactly what it finds over the doc.

        >>> Extractor.load().phrases.windows(nlp("Rain fell. Nvidia sold more AI chips."))  # doctest: +SKIP
        [(4, 9)]
        """
        if self.anywhere:
            return [(0, len(doc))] if len(doc) else []
        lemmas = doc.to_array("LEMMA")
        starts = np.flatnonzero(np.isin(lemmas, self.first_lemmas))
        ranges: list[tuple[int, int]] = []
        for start, lemma in zip(starts.tolist(), lemmas[starts].tolist()):
            end = min(len(doc), start + self.reach[lemma])
            if ranges and start < ranges[-1][1]:
                ranges[-1] = (ranges[-1][0], max(ranges[-1][1], end))
            else:
                ranges.append((start, end))
        return ranges

    def find(self, doc: Doc, sentence_of: list[int]) -> list[PhraseHit]:
        hits: list[PhraseHit] = []
        taken: set[tuple[str, str, int]] = set()
        found = [
            (match_id, first + start, first + end)
            for first, last in self.windows(doc)
            for match_id, start, end in self.matcher(doc[first:last])
        ]
        matches = sorted(found, key=lambda m: (m[1], -(m[2] - m[1])))
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
