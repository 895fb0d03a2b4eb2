"""Figures: numbers, currencies and Chinese forms (issue 10 item 3), one test per oddity the issue lists."""

from __future__ import annotations

import doctest
import importlib

import pytest

from narrative.errors import ConfigError
from narrative.market.claims import signed_value
from narrative.nlp.currencies import currency_table
from narrative.nlp.numbers_en import find_quantities
from narrative.nlp.numbers_zh import find_quantities_zh
from narrative.nlp.pipeline import Extractor


def found(text):
    return [(q.value, q.unit) for q in find_quantities(text)]


def found_zh(text):
    return [(q.value, q.unit) for q in find_quantities_zh(text)]


@pytest.fixture(scope="module")
def ex():
    return Extractor.load()


def test_issue_10_number_words_percent_and_money():
    assert found("Volumes rose twenty percent.") == [(20.0, "%")]
    assert found("The ministry spent five million yen.") == [(5e6, "JPY")]
    assert found("Wages rose twenty-five per cent and half a percentage point more.") == [(25.0, "%"), (0.5, "pp")]


def test_issue_10_magnitude_then_currency_name_is_money_not_a_count():
    assert found("Revenue reached 361 million pounds.") == [(3.61e8, "GBP")]
    assert found("It raised 125 million australian dollars.") == [(1.25e8, "AUD")]


def test_issue_10_iso_code_before_the_number():
    assert found("A fine of EUR 125 and a charge of GBP 350 million.") == [(125.0, "EUR"), (3.5e8, "GBP")]


def test_issue_10_singular_currency_name():
    assert found("Tickets cost 50 dollar each.") == [(50.0, "USD")]


def test_issue_10_cents_add_to_the_dollars():
    assert found("A dividend of 3 dollars 50 cents a share.") == [(3.5, "USD")]
    assert found("Fares rose 25 cents; a dividend of 12.5 pence.") == [(0.25, "USD"), (0.125, "GBP")]


def test_issue_10_dollar_symbols_keep_their_country():
    text = "C$10, Mex$20, A$30, HK$40, NT$50, S$60 and US$70"
    assert [unit for _, unit in found(text)] == ["CAD", "MXN", "AUD", "HKD", "TWD", "SGD", "USD"]


def test_issue_10_currency_names_and_symbols_resolve_to_iso_codes():
    table = currency_table()
    assert [table.code(s) for s in ("RMB", "元", "人民币", "£", "pounds", "yen", "HK$", "Swiss francs")] == [
        "CNY",
        "CNY",
        "CNY",
        "GBP",
        "GBP",
        "JPY",
        "HKD",
        "CHF",
    ]


def test_issue_10_no_figures_from_urls_emails_or_percent_escapes():
    text = (
        "See https://example.com/q?growth=12%25&x=5%20off, mail ir@example.com or "
        "www.example.net/a%2Fb; the shares rose 2%."
    )
    assert found(text) == [(2.0, "%")]
    assert found_zh("点击 https://example.cn/news?id=5%25 查看，股价上涨3%。") == [(3.0, "%")]


def test_issue_10_chinese_baifenzhi():
    assert found_zh("营收增长百分之十五，利润率为百分之二十三点五。") == [(15.0, "%"), (23.5, "%")]


def test_issue_10_chinese_cheng_is_tenths():
    assert found_zh("约有三成投资者观望，净利润下滑两成。") == [(30.0, "%"), (20.0, "%")]
    assert found_zh("他们一成不变地坚持，并完成了任务。") == []


def test_issue_10_chinese_zhe_is_the_share_of_the_price_paid():
    assert found_zh("全场打八折，新品七五折，汽车以9.5折出售。") == [(80.0, "%"), (75.0, "%"), (95.0, "%")]
    assert found_zh("折旧费用为5亿元。") == [(5e8, "CNY")]


def test_issue_10_chinese_percentage_points_and_basis_points():
    quantities = find_quantities_zh("毛利率下降1.8个百分点，利率下调10个基点。")
    assert [(q.value, q.unit, q.direction) for q in quantities] == [(1.8, "pp", "down"), (10.0, "bp", "down")]


def test_issue_10_full_width_digits_and_decimals():
    assert found_zh("净利润同比增长５．５％。") == [(5.5, "%")]
    assert found("Margins widened to １２．５％.") == [(12.5, "%")]


def test_issue_10_written_negatives_stay_negative():
    assert [(q.value, q.direction) for q in find_quantities_zh("净利润增速为负40%，现金流为-12.3亿元。")] == [
        (-40.0, "down"),
        (-1.23e9, "down"),
    ]
    assert found("Core inflation came in at -22.2% and revenue was ($99.99).") == [(-22.2, "%"), (-99.99, "USD")]


def test_issue_10_chinese_numerals_and_magnitudes():
    assert found_zh("净利润两千亿元，外汇储备3.2万亿美元，市值缩水逾千亿港元。") == [
        (2e11, "CNY"),
        (3.2e12, "USD"),
        (1e11, "HKD"),
    ]
    assert found_zh("台积电营收达新台币7,596亿元。") == [(7.596e11, "TWD")]


def test_issue_10_signs_and_directions_through_the_parse(ex):
    fell, sign = ex.extract("T", "Shares of Baidu fell 5% on Tuesday while the fund returned -22.2%.", "en").figures
    assert (fell.value, fell.direction, signed_value(fell.value, fell.direction)) == (5.0, "down", -5.0)
    assert (sign.value, sign.direction, signed_value(sign.value, sign.direction)) == (-22.2, "down", -22.2)


def test_issue_10_chinese_figures_through_the_extractor(ex):
    figures = ex.extract("T", "该行不良贷款率下降0.05个百分点至1.6%，商品打八折。", "zh").figures
    assert [(f.value, f.unit, f.kind, f.direction) for f in figures] == [
        (0.05, "pp", "change", "down"),
        (1.6, "%", "level", None),
        (80.0, "%", "level", None),
    ]


def test_issue_10_spelled_out_number_reads_on_past_a_comma_and_an_ampersand():
    assert found("The register lists four thousand, three hundred & six holders.") == [(4306.0, "count")]
    # a comma then a bare number is the next clause, not more of the number
    assert found("Orders reached two million, three analysts said.") == [(2e6, "count")]
    assert found("Estimates run from two million, three million or more.") == [(2e6, "count"), (3e6, "count")]


def test_issue_10_spelled_out_exact_count_is_kept_without_a_counted_noun(ex):
    figures = ex.extract("T", 'Asked how many, the clerk wrote "seven hundred and twelve" on the form.', "en").figures
    assert [(f.value, f.unit) for f in figures] == [(712.0, "count")]
    # a rounded magnitude with nothing counted is still dropped
    assert ex.extract("T", "The figure was about three million, the clerk wrote.", "en").figures == []


def test_issue_10_a_part_of_a_whole_is_counted(ex):
    def counts(text):
        return [(f.value, f.noun) for f in ex.extract("T", text, "en").figures if f.unit == "count"]

    assert counts("The chain will shut two hundred of its outlets next year.") == [(200.0, "outlet")]
    assert counts("The founder sold 4 million of them in May.") == [(4e6, "them")]
    assert counts("The fund holds 5 million of debt.") == []  # a measure of an undetermined mass, not a part


def test_figures_a_range_only_when_it_reads_as_one():
    assert [(q.value, q.value_high) for q in find_quantities("a 10-12% rise and $5 to $6 billion")] == [
        (10.0, 12.0),
        (5e9, 6e9),
    ]
    assert found("Brent rose $1.20 to $84.50 a barrel.") == [(1.2, "USD"), (84.5, "USD")]


def test_figures_bad_currency_table_names_the_row(tmp_path):
    path = tmp_path / "currencies.csv"
    path.write_text("code,symbols,names,zh,minor\nUSD,$,dollars,美元,cents\nDollar,,bucks,,\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"row 3: code 'Dollar' is not an ISO 4217 code"):
        currency_table(path)


@pytest.mark.parametrize(
    "name",
    ["narrative.nlp.numbers", "narrative.nlp.numbers_en", "narrative.nlp.numbers_zh", "narrative.nlp.currencies"],
)
def test_figures_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
