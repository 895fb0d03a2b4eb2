"""Numbers as written in news text: digits with separators, number words (``text2num``), Chinese
numerals (``cn2an``), magnitude words (million, bn, 亿, 万), full-width digits, and the parts of a
text that are never figures (web addresses, e-mail addresses, %-escapes).

Every function that rewrites text keeps its length, so offsets found in the rewritten text index
the original (issue 10: full-width "５．５％" was read as 5; "%20" in a URL as a percent).
"""

from __future__ import annotations

import re
from functools import lru_cache

import cn2an
from text_to_num import alpha2digit, text2num

# Digits: "1,234.5", "1 234" (thin or narrow spaces as thousands separators), "0.5", ".5".
NUM = r"\d{1,3}(?:(?:,|\u202f|\u2009| (?=\d{3}\b))\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+"

# Magnitude words after a number; single letters only as abbreviations ("$5m", "2.5bn").
MAGNITUDES = {
    "hundred": 1e2,
    "thousand": 1e3,
    "k": 1e3,
    "million": 1e6,
    "mn": 1e6,
    "mln": 1e6,
    "m": 1e6,
    "billion": 1e9,
    "bn": 1e9,
    "bln": 1e9,
    "b": 1e9,
    "trillion": 1e12,
    "tn": 1e12,
    "trn": 1e12,
    "t": 1e12,
    "lakh": 1e5,
    "lakhs": 1e5,
    "crore": 1e7,
    "crores": 1e7,
}
MAGNITUDE = "|".join(sorted(MAGNITUDES, key=len, reverse=True))
# Chinese magnitudes, longest first so that 万亿 is not read as 万.
ZH_MAGNITUDES = {
    "万亿": 1e12,
    "千亿": 1e11,
    "百亿": 1e10,
    "十亿": 1e9,
    "亿": 1e8,
    "千万": 1e7,
    "百万": 1e6,
    "万": 1e4,
    "千": 1e3,
}
ZH_MAGNITUDE = "|".join(sorted(ZH_MAGNITUDES, key=len, reverse=True))
ZH_NUMERAL = "[零〇一二两三四五六七八九十百千万亿]"

_FULLWIDTH = str.maketrans(
    {
        **{chr(0xFF10 + i): str(i) for i in range(10)},
        "．": ".",
        "％": "%",
        "－": "-",
        "＋": "+",
        "＄": "$",
        "￥": "¥",
        "￡": "£",
    }
)
_ADDRESSES = re.compile(
    r"\b(?:https?|ftp)://\S+|\bwww\.[^\s]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|"
    r"\S*%[0-9A-Fa-f]{2}(?:[^\s%]|%[0-9A-Fa-f]{2})*",
    re.I,
)
# Fractions text2num does not read, as they open a quantity: "half a percentage point".
_FRACTIONS = {
    "half": 0.5,
    "half a": 0.5,
    "a half": 0.5,
    "quarter of a": 0.25,
    "a quarter of a": 0.25,
    "three quarters of a": 0.75,
}
_WORD_RUN = re.compile(r"\b((?:[A-Za-z]+(?:-|\s+)){0,7}[A-Za-z]+)$")


def to_halfwidth(text: str) -> str:
    """Full-width digits and signs as ASCII, one character for one.

    >>> to_halfwidth("增长５．５％")
    '增长5.5%'
    """
    return text.translate(_FULLWIDTH)


def mask_addresses(text: str) -> str:
    """Blank out web and e-mail addresses and %-escapes (same length), so no figure is read from them.

    >>> mask_addresses("see https://x.com/a?q=30%25 or 5%")
    'see                         or 5%'
    """
    return _ADDRESSES.sub(lambda m: " " * len(m.group(0)), text)


def parse_digits(text: str) -> float:
    """A number written in digits, with thousands separators.

    >>> parse_digits("1,234.5"), parse_digits("2 500")
    (1234.5, 2500.0)
    """
    return float(re.sub(r"[,\s\u202f\u2009]", "", text))


@lru_cache(maxsize=4096)
def parse_words(words: str) -> float | None:
    """A number written in English words (``text2num``), or None.

    >>> parse_words("twenty-five"), parse_words("a hundred"), parse_words("one point five billion"), parse_words("the")
    (25.0, 100.0, 1500000000.0, None)
    >>> parse_words("three million, two hundred & forty")
    3000240.0
    """
    text = re.sub(r"^(?:a|an)\s+(?=hundred|thousand|million|billion|trillion)", "one ", words.strip().lower())
    # "three million, two hundred & forty": a comma between groups and "&" for "and" are how it is written out
    text = re.sub(r"\s+", " ", re.sub(r"\s*&\s*", " and ", re.sub(r"(?<=[a-z]),(?=\s)", "", text)))
    if not text or not re.search(r"[a-z]", text):
        return None
    if text in _FRACTIONS:
        return _FRACTIONS[text]
    try:
        return float(text2num(text, "en"))
    except ValueError:
        pass
    converted = alpha2digit(text, "en")
    if re.fullmatch(r"\d+(?:\.\d+)?", converted):
        return float(converted)
    # "one point five billion": alpha2digit leaves "1.5 1000000000"
    scaled = re.fullmatch(r"(.+?)\s+(hundred|thousand|million|billion|trillion)", text)
    if scaled is None:
        return None
    inner = parse_words(scaled.group(1))
    return None if inner is None else inner * MAGNITUDES[scaled.group(2)]


def words_before(text: str, end: int) -> tuple[int, float] | None:
    """The longest run of number words ending at ``end`` (spaces before ``end`` skipped): its start and value.

    >>> words_before("rose twenty five percent", 17)
    (5, 25.0)
    """
    stop = end
    while stop > 0 and text[stop - 1] in " -":
        stop -= 1
    found = _WORD_RUN.search(text, max(0, stop - 80), stop)
    if found is None or stop == 0 or not text[stop - 1].isalpha():
        return None
    run = found.group(1)
    starts = [found.start(1)] + [found.start(1) + m.end() for m in re.finditer(r"(?:-|\s+)", run)]
    for start in starts:  # longest run first
        if start >= stop:
            break
        value = parse_words(text[start:stop])
        if value is not None:
            return start, value
    return None


@lru_cache(maxsize=4096)
def parse_chinese(text: str) -> float | None:
    """A number in Chinese numerals or digits, with 万/亿 magnitudes (``cn2an``), or None.

    >>> parse_chinese("两千亿"), parse_chinese("三点五"), parse_chinese("1.2万"), parse_chinese("负四十")
    (200000000000.0, 3.5, 12000.0, -40.0)
    """
    try:
        return float(cn2an.cn2an(text, "smart"))
    except (ValueError, KeyError, IndexError):
        return None


def parse_number(text: str) -> float | None:
    """Digits, English number words or Chinese numerals, whichever ``text`` is.

    >>> parse_number("1,200"), parse_number("twenty"), parse_number("三十")
    (1200.0, 20.0, 30.0)
    """
    text = to_halfwidth(text.strip())
    if re.fullmatch(NUM, text):
        return parse_digits(text)
    if re.fullmatch(r"[A-Za-z][A-Za-z\s-]*", text):
        return parse_words(text)
    return parse_chinese(text)
