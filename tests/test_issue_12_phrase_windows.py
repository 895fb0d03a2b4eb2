"""Issue 12 (spend compute only where it informs a result): the phrase finder runs spaCy's Matcher only over the token
ranges where a narrative phrase can start (``PhraseFinder.windows``) and finds exactly what the Matcher finds over
the whole document, so the stored phrase hits are those of a whole-document search.

Real spaCy pipeline and the shipped narratives; the documents are the narratives' own example sentences (in the
repository), which hold many phrase hits.
"""

from __future__ import annotations

import pytest
from minimal_narrative import minimal_narrative

from narrative.catalog import Narrative, load_narratives
from narrative.nlp.phrases import PhraseFinder
from narrative.nlp.pipeline import Extractor


def _by_start(matches) -> list[tuple[int, int, int]]:
    return sorted(matches, key=lambda m: (m[1], -(m[2] - m[1])))


def _whole_doc(finder: PhraseFinder, doc) -> list[tuple[int, int, int]]:
    return _by_start(finder.matcher(doc))


def _windowed(finder: PhraseFinder, doc) -> list[tuple[int, int, int]]:
    return _by_start(
        (match_id, first + start, first + end)
        for first, last in finder.windows(doc)
        for match_id, start, end in finder.matcher(doc[first:last])
    )


def _sentence_of(doc) -> list[int]:
    sentence_of = [0] * len(doc)
    for index, sent in enumerate(doc.sents):
        for i in range(sent.start, sent.end):
            sentence_of[i] = index
    return sentence_of


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor.load()


@pytest.fixture(scope="module")
def example_docs(extractor):
    """Every other example sentence of every shipped narrative, 15 to a document (so matches sit mid-document too)."""
    texts = [
        text
        for narrative in load_narratives()
        for examples in narrative.examples.model_dump().values()
        for text in examples or ()
        if isinstance(text, str)
    ][::2]
    assert len(texts) > 500
    return list(extractor.nlp.pipe([" ".join(texts[i : i + 15]) for i in range(0, len(texts), 15)]))


def test_issue_12_the_windows_give_every_match_of_the_whole_document(extractor, example_docs):
    finder = extractor.phrases
    whole = [_whole_doc(finder, doc) for doc in example_docs]
    assert sum(map(len, whole)) > 300
    assert [_windowed(finder, doc) for doc in example_docs] == whole


def test_issue_12_find_stores_the_hits_of_a_whole_document_search(extractor, example_docs):
    windowed = PhraseFinder(extractor.nlp, extractor.narratives)
    whole = PhraseFinder(extractor.nlp, extractor.narratives)
    whole.anywhere = True  # the search before issue 12: the Matcher over the whole document
    assert windowed.windows(example_docs[0]) != [(0, len(example_docs[0]))]
    hits = [windowed.find(doc, _sentence_of(doc)) for doc in example_docs]
    assert sum(map(len, hits)) > 150
    assert hits == [whole.find(doc, _sentence_of(doc)) for doc in example_docs]


def test_issue_12_windows_start_where_a_pattern_can_and_reach_as_far_as_its_longest(extractor):
    narrative = Narrative.model_validate(
        minimal_narrative(
            themes=[{"id": "t1", "label": "One", "patterns": {"en": ["widget|widgets * tariff", "levy"], "zh": []}}]
        )
    )
    finder = PhraseFinder(extractor.nlp, [narrative])
    doc = extractor.nlp("The weather was mild. A widget import tariff rose. A film opened.")
    assert finder.windows(extractor.nlp("The weather was mild. A film opened.")) == []
    widget = next(t.i for t in doc if t.lower_ == "widget")
    assert finder.windows(doc) == [(widget, widget + 4)]  # "widget", up to two words, "tariff"
    (hit,) = finder.find(doc, _sentence_of(doc))
    assert (hit.surface, hit.theme, hit.pattern) == ("widget import tariff", "t1", "widget|widgets * tariff")
    assert _windowed(finder, doc) == _whole_doc(finder, doc)


def test_issue_12_a_pattern_that_starts_with_a_wildcard_searches_the_whole_document(extractor):
    narrative = Narrative.model_validate(
        minimal_narrative(themes=[{"id": "t1", "label": "One", "patterns": {"en": ["* tariff"], "zh": []}}])
    )
    finder = PhraseFinder(extractor.nlp, [narrative])
    doc = extractor.nlp("Widget makers face a new tariff.")  # "makers face a new": more than "*" spans
    assert finder.anywhere and finder.windows(doc) == [(0, len(doc))]
    assert _windowed(finder, doc) == _whole_doc(finder, doc) != []  # "a new tariff", "new tariff", "tariff"
