"""Extractors on hand-written sentences, with the real spaCy model and the shipped catalog."""

from __future__ import annotations

import pytest

from narrative.nlp.pipeline import Extractor


@pytest.fixture(scope="module")
def ex():
    return Extractor.load()


def figures(ex, text, title="Test", language="en"):
    return ex.extract(title, text, language).figures


def one(ex, text, **kwargs):
    found = figures(ex, text, **kwargs)
    assert len(found) == 1, [(f.surface, f.value) for f in found]
    return found[0]


def test_entities_every_name_of_alibaba_resolves_to_one_id(ex):
    text = (
        "Alibaba Group Holding Limited (阿里巴巴集团) reported results. BABA rose in New York and "
        "9988.HK rose in Hong Kong. Analysts still call it Alibaba."
    )
    linked = [
        m
        for m in ex.extract("Results", text, "en").mentions
        if m.surface in ("Alibaba Group Holding Limited", "阿里巴巴集团", "BABA", "9988.HK", "Alibaba")
    ]
    assert {m.entity_id for m in linked} == {"alibaba"} and len(linked) == 5


def test_entities_exact_alias_is_case_sensitive(ex):
    chips = ex.extract("Chips", "Huawei shipped more Ascend chips.", "en").mentions
    verb = ex.extract("Prices", "Prices may ascend further this year.", "en").mentions
    assert "ascend" in {m.entity_id for m in chips}
    assert "ascend" not in {m.entity_id for m in verb}


def test_entities_unlinked_org_and_person_are_kept_normalised(ex):
    result = ex.extract(
        "Deal",
        "Shares of Zorbex Robotics rose after it signed a deal with Quillon Capital Group, "
        "Mara Delacroix, a spokeswoman for Zorbex Robotics, said on Monday.",
        "en",
    )
    unlinked = {(m.name, m.label) for m in result.mentions if m.entity_id is None}
    assert ("Mara Delacroix", "PERSON") in unlinked
    assert any(label == "ORG" and "Zorbex" in name for name, label in unlinked)
    assert not any(name in ("AI", "CEO") for name, _ in unlinked)


def test_figures_two_claims_about_one_subject_through_syntax(ex):
    found = figures(
        ex,
        "Alibaba Group Holding Limited leads the rally with a 96% year-to-date surge, "
        "including a 31% gain in the past month alone.",
    )
    got = [(f.value, f.unit, f.kind, f.direction, f.period, f.subject_entity_id) for f in found]
    assert got == [(96.0, "%", "change", "up", "YTD", "alibaba"), (31.0, "%", "change", "up", "1M", "alibaba")]


def test_figures_fell_is_down_and_periods_go_to_their_own_figure(ex):
    found = figures(ex, "Shares of Baidu fell 12% on Tuesday, down from a 15% gain last week.")
    assert [(f.value, f.direction, f.period, f.subject_entity_id) for f in found] == [
        (12.0, "down", "1D", "baidu"),
        (15.0, "up", "1W", "baidu"),
    ]


def test_figures_ranges_keep_both_ends(ex):
    found = one(ex, "Tencent expects revenue to grow 10-12% in the fourth quarter.")
    assert (found.value, found.value_high, found.unit, found.period) == (10.0, 12.0, "%", "Q4")


def test_figures_level_after_to(ex):
    found = one(ex, "Xiaomi cut its smartphone margin target to 12%.")
    assert found.kind == "level" and found.value == 12.0


def test_figures_negation_is_flagged(ex):
    found = one(ex, "SMIC shares did not fall 5% despite the new export controls.")
    assert found.negated and found.direction == "down" and found.subject_entity_id == "smic"


def test_figures_money_multiples_and_counts(ex):
    found = figures(
        ex,
        "Alibaba said it would invest $2.5 billion, nearly tripling its budget, to reach "
        "China’s 1.4 billion consumers.",
    )
    by_unit = {f.unit: f for f in found}
    assert by_unit["USD"].value == 2.5e9 and by_unit["USD"].kind == "amount"
    assert by_unit["USD"].subject_entity_id == "alibaba"  # "it" refers back to Alibaba
    assert (by_unit["x"].value, by_unit["x"].qualifier, by_unit["x"].direction) == (3.0, "nearly", "up")
    assert by_unit["count"].value == 1.4e9 and by_unit["count"].noun == "consumer"


def test_figures_possessive_subject(ex):
    found = one(ex, "The Hang Seng Tech Index’s 41% advance through 2025 impressed investors.")
    assert (found.subject_entity_id, found.subject_method, found.period) == ("hstech", "possessive", "Y2025")


def test_figures_years_and_versions_are_not_figures(ex):
    assert figures(ex, "In 2025 Baidu released Ernie X1.1 and Alibaba released Qwen3.") == []


def test_figures_chinese(ex):
    found = figures(
        ex,
        "阿里巴巴集团股价年初至今上涨96%，过去一个月上涨31%，市值增加约1000亿美元。",
        title="阿里巴巴大涨",
        language="zh",
    )
    got = [(f.value, f.unit, f.direction, f.period, f.subject_entity_id) for f in found]
    assert got[:2] == [(96.0, "%", "up", "YTD", "alibaba"), (31.0, "%", "up", "1M", "alibaba")]
    assert got[2][:3] == (1000e8, "USD", "up")


def test_people_role_and_organisation_from_an_appositive(ex):
    result = ex.extract(
        "View", "Winnie Wu, chief China equity strategist at Bank of America, said the narrative had shifted.", "en"
    )
    person = next(p for p in result.people if p.entity_id == "winnie-wu")
    assert person.role == "chief China equity strategist" and person.org_entity_id == "bofa"


def test_people_title_before_the_name_and_quote(ex):
    result = ex.extract("Quote", "Alibaba chief executive Eddie Wu said: “AI demand is real and it is growing.”", "en")
    person = next(p for p in result.people if "Eddie Wu" in p.name)
    assert person.role == "chief executive" and person.org_entity_id == "alibaba"
    assert person.quote == "AI demand is real and it is growing."


def test_phrases_match_by_lemma_in_any_order_the_pattern_allows(ex):
    first = ex.extract("A", "China is breaking through the AI computing power bottleneck.", "en").phrase_hits
    second = ex.extract("B", "Analysts see a bottleneck in AI computing power easing.", "en").phrase_hits
    chinese = ex.extract("C", "分析师认为中国正在突破算力瓶颈。", "zh").phrase_hits
    for hits in (first, second, chinese):
        assert "compute_bottleneck" in {h.theme for h in hits}


def test_offsets_index_title_blank_line_text(ex):
    title, text = "Baidu jumps", "Baidu rose 7% on Friday."
    result = ex.extract(title, text, "en")
    document = f"{title}\n\n{text}"
    for mention in result.mentions:
        assert document[mention.start : mention.end] == mention.surface
    figure = result.figures[0]
    assert document[figure.start : figure.end] == "7%"
    assert result.sentences[0].text == "Baidu jumps"


# ----------------------------------------------------------------- issue 10: NER that adds to spaCy


def mentions(ex, text):
    return [(m.surface, m.label, m.entity_id) for m in ex.extract(text, "", "en").mentions]


def test_issue_10_unlinked_places_and_organisations_stay_as_typed_mentions(ex):
    found = mentions(ex, "Zorbex Logistics plans to add 2,000 jobs at its hubs in Leipzig and Cincinnati.")
    assert ("Leipzig", "GPE", None) in found and ("Cincinnati", "GPE", None) in found
    assert any(label == "ORG" and entity_id is None and "Zorbex" in surface for surface, label, entity_id in found)


def test_issue_10_short_all_caps_names_are_kept_and_linked(ex):
    found = {
        surface: entity_id
        for surface, _, entity_id in mentions(
            ex, "GM and VW both cut forecasts, while the ECB held rates and the RBI cut. DHL hired."
        )
    }
    assert found == {"GM": "general-motors", "VW": "volkswagen", "ECB": "ecb", "RBI": "rbi", "DHL": "deutsche-post"}


def test_issue_10_short_ticker_is_linked_only_after_an_exchange(ex):
    with_exchange = mentions(ex, "Shares of Ford Motor Co. (NYSE: F) slipped 2%.")
    assert ("F", "ORG", "ford") in with_exchange and ("Ford Motor Co.", "ORG", "ford") in with_exchange
    assert ("NYSE", "ORG", None) in with_exchange
    assert not any(surface == "F" for surface, _, _ in mentions(ex, "Grade F bonds fell."))


@pytest.mark.parametrize(
    "text, surface, entity_id",
    [
        ("Microsoft Corp. said it would spend more.", "Microsoft Corp.", "microsoft"),
        ("Baidu, Inc. has jumped 59%.", "Baidu, Inc.", "baidu"),
        ("JPMorgan Chase & Co. posted record revenue.", "JPMorgan Chase & Co.", "jpmorgan"),
        ("Toyota Motor Corp. kept its forecast.", "Toyota Motor Corp.", "toyota"),
        ("Alibaba Group Holding Ltd. said cloud revenue grew.", "Alibaba Group Holding Ltd.", "alibaba"),
    ],
)
def test_issue_10_catalog_names_take_the_full_legal_name(ex, text, surface, entity_id):
    assert (surface, "ORG", entity_id) in mentions(ex, text)


def test_issue_10_common_word_names_need_case_and_the_ner(ex):
    assert ("Target Corp.", "ORG", "target") in mentions(ex, "Target Corp. lowered its sales forecast.")
    for text in (
        "The committee will target inflation of 2%.",
        "Shoppers bought apple pies on Saturday.",
        "The visa rules were tightened.",
        "The gap between bid and ask widened.",
        "Retailers are trying to block cheaper imports.",
    ):
        assert [m for m in mentions(ex, text) if m[2]] == [], text


def test_issue_10_subsidiary_is_not_its_parent(ex):
    found = mentions(ex, "Tencent Music said paying users rose, while Tencent itself grew 15%.")
    assert ("Tencent Music", "ORG", "tencent-music") in found and ("Tencent", "ORG", "tencent") in found


def test_issue_10_headings_and_list_items_are_their_own_sentences(ex):
    text = (
        "Market performance was broad this year and investors chased momentum in leading models.\n"
        "AI Models Demonstrate Global Competitiveness\n"
        "Leading developers released models that global users adopted, and global demand grew.\n"
        "Sector Performance Extends Beyond Internet Giants\n"
        "The performance of chipmakers extends the rally beyond internet names.\n"
        "– Baidu, Inc. (百度) has jumped 59% with strong momentum\n"
        "The CSI AI Index rose 61% this year."
    )
    result = ex.extract("Chinese tech rally", text, "en")
    sentences = [s.text for s in result.sentences]
    assert "AI Models Demonstrate Global Competitiveness" in sentences
    assert "Sector Performance Extends Beyond Internet Giants" in sentences
    names = {m.surface for m in result.mentions}
    assert not any("Competitiveness" in n or "Performance" in n or "Extends" in n for n in names), names
    csi = next(f for f in result.figures if f.value == 61.0)
    assert csi.subject_entity_id == "csi-ai"


def test_issue_10_editing_the_currency_table_changes_the_extractor_version(ex, tmp_path, monkeypatch):
    import copy

    from narrative.catalog import models_dir
    from narrative.nlp import extractor_version

    table = tmp_path / "currencies.csv"
    table.write_text((models_dir() / "currencies.csv").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(extractor_version, "models_dir", lambda: tmp_path)
    same, edited = copy.copy(ex), copy.copy(ex)
    same.__dict__.pop("version", None)
    edited.__dict__.pop("version", None)
    assert same.version == ex.version
    table.write_text(table.read_text(encoding="utf-8") + "XTS,,test unit,test units,,,\n", encoding="utf-8")
    assert edited.version != ex.version
