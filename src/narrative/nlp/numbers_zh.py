"""Quantities in Chinese text: percents (96%, 百分之二十), 成 (三成 = 30%), 折 (八折 = 80%, 七五折 = 75%),
percentage points (个百分点), basis points (基点), multiples (3倍, 翻倍, 翻两番), money (5亿美元, 两千亿元,
from ``models/currencies.csv``) and counts (14亿消费者), in digits (full-width too) or Chinese numerals
(``cn2an``), with a written sign (负40%, -22.2%), the direction word before (上涨, 下跌) and a hedge (约, 近).

A 折 figure is the share of the full price paid (八折: 80% of it, a 20% discount), stored as a level in %.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .currencies import currency_table
from .numbers import (
    NUM,
    ZH_MAGNITUDE,
    ZH_MAGNITUDES,
    ZH_NUMERAL,
    mask_addresses,
    parse_chinese,
    parse_digits,
    to_halfwidth,
)
from .numbers_en import Quantity

_UP = (
    "涨幅|增幅|升幅|上涨|上升|增长|增加|攀升|飙升|大涨|暴涨|猛涨|劲升|走高|反弹|跃升|"
    "提升|提高|扩大|上调|上扬|加快|加息|升值|涨|升|增"
)
_DOWN = (
    "跌幅|降幅|下跌|下降|下滑|回落|暴跌|大跌|重挫|挫跌|走低|减少|缩水|下挫|蒸发|降低|下调|缩减|萎缩|收窄|"
    "降息|贬值|放缓|亏损|亏|低|跌|降|减"
)
_LEVEL = "升至|涨至|增至|增长至|上升至|提高至|降至|跌至|下降至|回落至|降低至|下调至|上调至|达到|至"
_HEDGE = "约|近|超过|逾|超|近乎|将近|大约|高达|达|不到|不足|接近"
_ZNUM = rf"{NUM}|{ZH_NUMERAL}+(?:点[零〇一二三四五六七八九]+)?"
_COUNTED = "消费者|用户|人口|员工|客户|企业|公司|芯片|实体|家门店|门店|辆|台|颗|户|人(?!民)"


@dataclass
class ZhQuantity(Quantity):
    """A quantity with what the words around it say (Chinese puts direction and hedge right before it)."""

    direction: str | None = None  # up, down
    hedge: str | None = None  # 约, 近, 超过 ...
    figure_kind: str = "level"  # change, level, amount, multiple


# What stands right before a figure: a direction or "to" word, then a hedge ("上涨了约", "降至", "涨超").
_BEFORE = re.compile(
    rf"(?:(?P<level>{_LEVEL})|(?P<up>{_UP})|(?P<down>{_DOWN}))?(?:了|为|幅为|幅达)?\s*"
    rf"(?P<hedge>{_HEDGE})?\s*$"
)
_NUMBER_AHEAD = rf"(?=[负+−-]?[\d{ZH_NUMERAL[1:-1]}])"  # a cheap first test at each position


@lru_cache(maxsize=1)
def _patterns() -> list[re.Pattern]:
    table = currency_table()
    sign = r"(?:(?P<neg>负|(?<![\d%])[-−])|(?P<plus>(?<![\d%])\+))?"
    high = rf"(?:%?\s*(?:-|~|～|至|到)\s*(?P<high>{_ZNUM}))?"
    return [
        re.compile(rf"{sign}百分之(?P<num>{_ZNUM})(?P<unit>)"),
        re.compile(
            rf"(?P<pzh>{table.chinese_prefix})\s*{sign}(?P<num>{NUM})(?P<mag0>{ZH_MAGNITUDE})?"
            rf"(?:\s*(?:-|~|～|至|到)\s*(?P<high>{NUM}))?(?P<mag>{ZH_MAGNITUDE})?元?"
        ),
        re.compile(
            rf"{_NUMBER_AHEAD}{sign}(?P<num>{NUM})(?P<mag0>{ZH_MAGNITUDE})(?:至|到|-|~|～)(?P<high>{NUM})"
            rf"(?P<mag>{ZH_MAGNITUDE})(?P<cur>{table.chinese})"
        ),
        re.compile(
            rf"{_NUMBER_AHEAD}{sign}(?P<num>{_ZNUM}){high}\s*(?P<more>多|余)?\s*(?:"
            rf"(?P<unit>%|个百分点|百分点|个基点|基点|倍|成(?![为功本交长立员果绩就熟品型分不])|"
            rf"折(?![旧合算射腾叠线扣价不])|(?P<pct>%))|"
            rf"(?P<mag>{ZH_MAGNITUDE})?(?P<cur>{table.chinese}))"
        ),
        re.compile(rf"(?P<pcur>(?-i:{table.symbols}))\s?{sign}(?P<num>{NUM})\s*(?P<mag>{ZH_MAGNITUDE})?"),
        re.compile(r"(?P<double>翻(?:了)?(?:一)?(?:倍|番)|翻(?:了)?两番)"),
        re.compile(
            rf"(?P<num>{NUM}|{ZH_NUMERAL}+)\s*(?P<mag>{ZH_MAGNITUDE})?(?:多|余)?(?:名|个|位|家|台|颗|张)?"
            rf"(?P<noun>{_COUNTED})"
        ),
    ]


def find_quantities_zh(text: str) -> list[ZhQuantity]:
    """Every quantity in a Chinese ``text``, in order, none overlapping another.

    >>> [(q.value, q.unit, q.direction) for q in find_quantities_zh("营收同比下降百分之五，净利润负40%，市值5亿美元")]
    [(5.0, '%', 'down'), (-40.0, '%', 'down'), (500000000.0, 'USD', None)]
    >>> [(q.value, q.unit) for q in find_quantities_zh("三成用户，商品打七五折，利率上调２５个基点，增长５．５％")]
    [(30.0, '%'), (75.0, '%'), (25.0, 'bp'), (5.5, '%')]
    """
    clean = to_halfwidth(mask_addresses(text))
    taken: list[tuple[int, int]] = []
    found: list[ZhQuantity] = []
    for pattern in _patterns():
        for match in pattern.finditer(clean):
            quantity = _quantity(match, _BEFORE.search(clean, max(0, match.start() - 10), match.start()))
            if quantity is None or any(quantity.start < e and quantity.end > s for s, e in taken):
                continue
            taken.append((quantity.start, quantity.end))
            found.append(quantity)
    return sorted(found, key=lambda q: q.start)


def _value(text: str) -> float | None:
    if re.fullmatch(NUM, text):
        return parse_digits(text)
    # "千亿港元", "百万": a magnitude with no number before it means one of it
    return parse_chinese("一" + text if text[0] in "十百千万亿" and text[0] != "十" else text)


def _quantity(match: re.Match, before: re.Match | None) -> ZhQuantity | None:
    groups = match.groupdict()
    start, end = match.span()
    if before is not None and not groups.get("noun") and not groups.get("double"):
        groups.update({k: v for k, v in before.groupdict().items() if v})
        start = before.start() if before.group(0).strip() else start
    if groups.get("double"):
        times = 4.0 if "两番" in groups["double"] else 2.0
        return ZhQuantity("multiple", start, end, times, "x", direction="up", figure_kind="multiple")
    value = _value(groups["num"])
    if value is None:
        return None
    if groups.get("noun"):
        if re.fullmatch(r"(19|20)\d\d", groups["num"]):
            return None
        value *= ZH_MAGNITUDES.get(groups.get("mag") or "", 1.0)
        return ZhQuantity("count", start, end, value, "count", noun=groups["noun"], figure_kind="amount")
    high = _value(groups["high"]) if groups.get("high") else None
    direction = "up" if groups.get("up") or groups.get("plus") else "down" if groups.get("down") else None
    if groups.get("level"):
        direction = _level_direction(groups["level"])
    sign = -1 if groups.get("neg") else 1 if groups.get("plus") else 0
    unit_text = groups.get("unit")
    if groups.get("cur") or groups.get("pcur") or groups.get("pzh"):
        scale = ZH_MAGNITUDES.get(groups.get("mag") or "", 1.0)
        unit = currency_table().code(groups.get("pzh") or groups.get("pcur") or groups["cur"])
        high = high * scale if high is not None else None
        value *= ZH_MAGNITUDES[groups["mag0"]] if groups.get("mag0") else scale
        kind, figure_kind = "money", "change" if direction and not groups.get("level") else "amount"
    elif unit_text == "倍":
        unit, kind, figure_kind = "x", "multiple", "multiple"
    else:
        if unit_text and unit_text[0] in "成折":
            # 三成 = 30%; 八折 = 80% (a price at eight tenths), 七五折 / 7.5折 = 75%
            value = value * 10 if value < 10 else value
            high = (high * 10 if high < 10 else high) if high is not None else None
        unit = "pp" if unit_text and "百分点" in unit_text else "bp" if unit_text and "基点" in unit_text else "%"
        kind = "percent"
        figure_kind = "change" if direction and not groups.get("level") else "level"
    if sign < 0:
        value, high, direction = -abs(value), (-abs(high) if high is not None else None), "down"
    return ZhQuantity(
        kind,
        start,
        end,
        value,
        unit,
        value_high=high,
        sign=sign,
        direction=direction,
        hedge=groups.get("hedge") or ("超过" if groups.get("more") else None),
        figure_kind=figure_kind,
    )


def _level_direction(word: str) -> str | None:
    if re.search(r"升|涨|增|提高|上调", word):
        return "up"
    if re.search(r"降|跌|回落|下调", word):
        return "down"
    return None
