"""The NER layer over spaCy (issue 10 item 1): true-casing of ALL-CAPS lines, country / nationality,
table-row and initials rules. Sentences written for these tests; the real model and the shipped gazetteer."""

from __future__ import annotations

import pytest
from spacy.tokens import Span

from narrative.nlp.casing import gazetteer, is_shouted, truecase
from narrative.nlp.ner_rules import datelines, ner_rules, table_rows
from narrative.nlp.pipeline import Extractor


@pytest.fixture(scope="module")
def ex():
    return Extractor.load()


def names(ex, text: str) -> dict[str, str]:
    """surface -> label of the mentions of ``text`` passed as a title (offsets index the text itself)."""
    extraction = ex.extract(text, "", "en")
    for m in extraction.mentions:
        assert text[m.start : m.end] == m.surface
    return {m.surface: m.label for m in extraction.mentions}


def test_issue_10_gazetteer_ships_places_nationalities_and_common_words():
    kinds = gazetteer()
    assert {"Germany", "South Korea", "England"} <= kinds["country"]
    assert {"German", "South Korean", "Germans"} <= kinds["demonym"]
    assert {"shares", "named", "the"} <= kinds["common"]
    assert "roberto" not in kinds["common"]  # frequent, but a first name and no dictionary word


def test_issue_10_truecase_changes_only_shouted_lines_and_keeps_the_length():
    text = "MARKETS - COPPER MINER WINS PERMIT IN SOUTH KOREA\nThe miner said on Monday it would hire."
    cased = truecase(text)
    assert len(cased) == len(text) and cased.lower() == text.lower()
    assert cased.splitlines()[0] == "Markets - copper miner wins permit in South Korea"
    assert cased.splitlines()[1] == text.splitlines()[1]
    assert is_shouted("FED HOLDS RATES") and not is_shouted("Fed holds rates") and not is_shouted("GDP")


def test_issue_10_truecase_writes_a_word_as_the_document_does():
    text = "OKAFOR LEADS BID FOR PORT OPERATOR\nBanker Chidi Okafor said the bid was firm."
    assert truecase(text).splitlines()[0].startswith("Okafor leads bid for port operator")


def test_issue_10_all_caps_headline_keeps_its_original_text_and_offsets(ex):
    text = "GERMAN CARMAKERS SLUMP AS CHINA DEMAND FADES IN BERLIN TRADING"
    extraction = ex.extract(text, "", "en")
    assert extraction.sentences[0].text == text  # stored as written, not as the NER read it
    found = {m.surface: m.label for m in extraction.mentions}
    assert found.get("CHINA") == "GPE" and found.get("GERMAN") == "NORP"
    for m in extraction.mentions:
        assert text[m.start : m.end] == m.surface


def test_issue_10_country_names_are_places_whatever_the_ner_said(ex):
    found = names(ex, "Moldova and Sri Lanka signed the trade pact on Friday.")
    assert found.get("Moldova") == "GPE" and found.get("Sri Lanka") == "GPE"


def test_issue_10_nationalities_are_norp(ex):
    assert names(ex, "Romanian lender Banca Transilvania raised its dividend.").get("Romanian") == "NORP"


def test_issue_10_table_rows_name_organisations(ex):
    assert names(ex, "Halden 3 Rovik 1") == {"Halden": "ORG", "Rovik": "ORG"}
    assert names(ex, "Marston Quay 12 7 2 3 41 20 23") == {"Marston Quay": "ORG"}


def test_issue_10_a_country_in_a_table_row_stays_a_place(ex):
    assert names(ex, "Norway 2 Rovik 1").get("Norway") == "GPE"


def test_issue_10_prose_with_figures_is_no_table_row(ex):
    countries = frozenset(n.lower() for n in gazetteer()["country"])
    for text in ("Halden said revenue rose 3% to 41 million.", "Windows 11", "Halden 3 4 Rovik"):
        assert table_rows(ex.nlp(text), countries) == [], text
    assert [s.text for s in table_rows(ex.nlp("Halden 3 Rovik 1"), countries)] == ["Halden", "Rovik"]


def test_issue_10_initials_make_a_person(ex):
    found = names(ex, "The note was signed by T. Okonkwo and the board.")
    assert found.get("T. Okonkwo") == "PERSON"


def test_issue_10_catalog_links_win_over_table_rows(ex):
    extraction = ex.extract("Alibaba 85.2 86.1 84.9", "", "en")
    assert [m.entity_id for m in extraction.mentions] == ["alibaba"]


@pytest.mark.parametrize(
    ("text", "places"),
    [
        ("LAGOS 2024-03-11", ["LAGOS"]),
        ("TAMPERE , Finland 2024-03-11", ["TAMPERE", "Finland"]),
        ("OSAKA, Mar 11 (Newswire) - Exporters gained.", ["OSAKA"]),
    ],
)
def test_issue_10_dateline_places(ex, text, places):
    assert [s.text for s in datelines(ex.nlp(text))] == places


def test_issue_10_a_name_and_a_date_in_prose_is_no_dateline(ex):
    assert datelines(ex.nlp("Halden Mar 11 results beat forecasts.")) == []


def test_issue_10_a_name_before_a_bracketed_country_is_a_person(ex):
    doc = ex.nlp.make_doc("Gold went to Ilse Varnhagen ( Austria ) ahead of the field .")
    doc.ents = [Span(doc, 3, 5, label="ORG"), Span(doc, 6, 7, label="GPE")]
    assert [(e.text, e.label_) for e in ner_rules(doc).ents] == [("Ilse Varnhagen", "PERSON"), ("Austria", "GPE")]


def test_issue_10_a_shouted_table_row_is_read_as_written(ex):
    # true-casing writes "city" in lower case; the row rule reads the capitals as written
    assert names(ex, "HALDEN CITY 12 7 2 3 41 20 23") == {"HALDEN CITY": "ORG"}
