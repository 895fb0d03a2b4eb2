"""Issue 12: the dateline rule (nlp/ner_rules.py) reads the document's text once, not once per sentence (``Doc.text``
rebuilds the whole string from the tokens on every read, which made the rule quadratic in an article's length: 9% of
a full article's CPU). It still finds a dateline anywhere in a long document, at the same characters.

Real spaCy pipeline (the shipped extractor's).
"""

from __future__ import annotations

import pytest

from narrative.nlp.ner_rules import datelines
from narrative.nlp.pipeline import Extractor

FILLER = "Shares of the company rose after the results were published on the exchange."


@pytest.fixture(scope="module")
def nlp():
    return Extractor.load().nlp


def test_issue_12_datelines_are_found_deep_in_a_long_document(nlp):
    lines = [FILLER] * 120
    lines[90] = "BEIJING, Nov 30 (Reuters) - The ministry published new export rules."
    lines[110] = "NICE , France 1996-08-30"
    doc = nlp("\n".join(lines))
    places = datelines(doc)
    assert [span.text for span in places] == ["BEIJING", "NICE", "France"]
    text = doc.text
    assert [text[span.start_char : span.end_char] for span in places] == ["BEIJING", "NICE", "France"]
    assert all(span.label_ == "GPE" for span in places)


def test_issue_12_a_long_document_without_datelines_has_none(nlp):
    assert datelines(nlp(" ".join([FILLER] * 150))) == []
