"""Quantities in English text, found by regular expressions before any parsing: percents, money, multiples,
counts and index levels, each with its value, unit and character offsets.

Numbers are digits or words ("twenty percent", "five million yen", via ``text2num``); currencies come from
``models/currencies.csv`` (code, symbol or name, singular or plural); magnitude words scale the value
("$2.5bn" is 2.5e9, "361 million pounds" 3.61e8 GBP); "3 dollars 50 cents" is 3.5 USD; a written minus
makes the value negative ("-22.2%"). Web and e-mail addresses are blanked first, so "%20" in a URL is no
percent. :mod:`narrative.nlp.figures` then reads direction, kind, period and subject from the parse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .currencies import currency_table
from .numbers import MAGNITUDE, MAGNITUDES, NUM, mask_addresses, parse_digits, parse_words, to_halfwidth, words_before


@dataclass
class Quantity:
    """A number with its unit, as found in the text (``start``/``end`` index the text given)."""

    kind: str  # percent, money, multiple, count, level
    start: int
    end: int
    value: float
    unit: str  # %, pp, bp, an ISO currency code, x, count, points
    value_high: float | None = None
    noun: str | None = None  # what a count counts, when the pattern names it
    sign: int = 0  # -1 for a written minus, +1 for a written plus
    exact: bool = False  # a count spelled out past its magnitude word ("a hundred and two"): stated, not rounded


_PERCENT_UNITS = [
    ("%", "%"),
    ("percentage point", "pp"),
    ("per cent", "%"),
    ("percent", "%"),
    ("pct", "%"),
    ("ppt", "pp"),
    ("pp", "pp"),
    ("basis point", "bp"),
    ("bps", "bp"),
    ("bp", "bp"),
]
_PERCENT = r"%|per\s?cent\b|pct\b|percentage\s+points?\b|ppts?\b|pp\b|basis\s+points?\b|bps\b|bp\b"
# Plain counts ("140 Chinese entities") only for nouns that make a count a claim, not "3 reasons".
_COUNTED = "|".join(
    [
        "entities",
        "companies",
        "firms",
        "stores",
        "employees",
        "jobs",
        "users",
        "customers",
        "consumers",
        "chips",
        "gpus",
        "accelerators",
        "cards",
        "servers",
        "vehicles",
        "cars",
        "units",
        "workers",
        "apps",
        "banks",
        "stocks",
        "startups",
        "models",
        "factories",
        "plants",
        "data centres",
        "data centers",
        "engineers",
        "subscribers",
    ]
)
_SIGN = r"(?:(?<![\w.,%)\]/+−-])(?P<sign>[-−+]))?"
_MAG = rf"(?:\s*-?\s*(?P<mag>{MAGNITUDE})(?![A-Za-z]))?"
_MAG_WORDS = "hundred|thousand|million|billion|trillion"
_MORE_WORDS = re.compile(r"(?:,?\s+and|\s*&|,)?[\s-]+[a-z]+", re.I)
_MAG_WORD = re.compile(rf"\b(?:{_MAG_WORDS})\b", re.I)
_MULTIPLE_WORDS = {"doubl": 2.0, "tripl": 3.0, "quadrupl": 4.0}


@lru_cache(maxsize=1)
def _patterns() -> list[tuple[str, re.Pattern, re.Pattern | None]]:
    """(kind, pattern, the same pattern without a range) in the order they claim text."""
    table = currency_table()
    prefix = rf"(?-i:{table.symbols}|{table.codes})"
    suffix = rf"{table.names}|(?-i:{table.codes}|{table.symbols})"
    high = rf"(?:\s*(?:-|–|to)\s*(?:{prefix})?\s?(?P<high>{NUM}))?"
    cents = rf"(?:,?\s*(?:and\s+)?(?P<cents>\d{{1,2}}|[a-z]+(?:[- ][a-z]+)?)\s+(?:{table.minor}))?"
    patterns = [
        # the leading lookahead (a digit within a few characters) spares the long alternations at most positions
        (
            "money",
            re.compile(
                rf"(?<![A-Za-z])(?=[^\s\d]{{1,7}}\s?[-−]?\.?\d){_SIGN}(?P<cur>{prefix})\s?(?P<sign2>[-−])?(?P<num>{NUM}){high}{_MAG}",
                re.I,
            ),
        ),
        (
            "amount",
            re.compile(
                rf"(?<![\d.,])(?=[-−+]?\.?\d){_SIGN}(?P<num>{NUM}){high}{_MAG}\s*(?:(?P<pct>{_PERCENT})|(?P<cur>{suffix}){cents}"
                rf"|(?P<cent>{table.minor}))",
                re.I,
            ),
        ),
        (
            "words",
            re.compile(
                rf"(?<=[A-Za-z])[\s-]+(?:(?P<pct>{_PERCENT})|(?P<cur>{table.names}){cents}|"
                r"(?P<fold>fold\b))",
                re.I,
            ),
        ),
        ("words", re.compile(rf"(?<=[A-Za-z])[\s-]+(?P<count>{_MAG_WORDS})\b(?![\s-]+(?:{_MAG_WORDS})\b)", re.I)),
        ("multiple", re.compile(rf"(?P<num>{NUM})[- ]?fold\b", re.I)),
        ("multiple", re.compile(rf"\b(?P<num>{NUM})\s*(?:x|times)\b(?!\s*(?:more|less|as))", re.I)),
        ("multiple", re.compile(r"\b(?P<word>doubl|tripl|quadrupl)(?:e|ed|es|ing)\b", re.I)),
        ("count", re.compile(rf"(?P<num>{NUM})-(?P<mag>{_MAG_WORDS})-(?P<noun>[a-z]+)\b", re.I)),
        ("count", re.compile(rf"(?P<num>{NUM})\s*(?P<mag>{_MAG_WORDS})\b", re.I)),
        (
            "level",
            re.compile(
                rf"\b(?:closed|ended|finished|stood|settled|opened|traded) at (?P<num>{NUM})\b"
                r"(?!\s*(?:%|percent|per cent|yuan|dollars|a share|per share))",
                re.I,
            ),
        ),
        (
            "count",
            re.compile(rf"\b(?P<num>\d{{1,3}}(?:,\d{{3}})+|\d+)\s+(?:[A-Z][a-z]+\s+)?(?P<noun>{_COUNTED})\b", re.I),
        ),
    ]
    # Without the range, for "rose $1.20 to $84.50", which the ranged pattern reads first.
    single = {p.pattern: re.compile(p.pattern.replace(high, "(?P<high>(?!x)x)?"), re.I) for _, p in patterns[:2]}
    return [(kind, pattern, single.get(pattern.pattern)) for kind, pattern in patterns]


_WORD = re.compile(r"[A-Za-z]+")


@lru_cache(maxsize=1)
def _unit_words() -> frozenset[str]:
    """The first word of every unit written in words: a sentence with none of them has no "twenty percent"."""
    table = currency_table()
    names = [
        surface
        for surface in table.by_surface
        if surface[:1].isascii() and surface[:1].isalpha() and surface == surface.lower() and "$" not in surface
    ]
    units = [
        "per cent",
        "percent",
        "pct",
        "percentage",
        "ppt",
        "ppts",
        "pp",
        "basis",
        "bps",
        "bp",
        "fold",
        *_MAG_WORDS.split("|"),
    ]
    return frozenset(word.group(0).lower() for unit in units + names if (word := _WORD.match(unit)))


def find_quantities(text: str) -> list[Quantity]:
    """Every quantity in ``text``, in order, none overlapping another.

    >>> [(q.value, q.unit) for q in find_quantities("C$ 5bn, twenty percent and 3 dollars 50 cents")]
    [(5000000000.0, 'CAD'), (20.0, '%'), (3.5, 'USD')]
    >>> [(q.value, q.unit) for q in find_quantities("shares fell -22.2% (https://x.io/?q=5%20off)")]
    [(-22.2, '%')]
    """
    clean = to_halfwidth(mask_addresses(text))
    taken: list[tuple[int, int]] = []
    found: list[Quantity] = []
    has_digits = any(c.isdigit() for c in clean)
    has_unit_words = not _unit_words().isdisjoint(w.lower() for w in _WORD.findall(clean))
    for kind, pattern, single in _patterns():
        if (kind == "words" and not has_unit_words) or (not has_digits and kind not in ("words", "multiple")):
            continue  # the patterns cannot match: spare their long alternations
        position = 0
        while (match := pattern.search(clean, position)) is not None:
            position = match.end()
            if single is not None and match.group("high") and not _is_range(match.groupdict()):
                low_end, match = match.end("num"), single.match(clean, match.start())
                if match is None:
                    position = low_end  # "rose 3 to 50%": the 50% is read on its own
                    continue
                position = match.end()
            quantity = _quantity(kind, match, clean)
            if quantity is None or any(quantity.start < e and quantity.end > s for s, e in taken):
                continue
            taken.append((quantity.start, quantity.end))
            found.append(quantity)
    return sorted(found, key=lambda q: q.start)


def _quantity(kind: str, match: re.Match, text: str) -> Quantity | None:
    groups = match.groupdict()
    start, end = match.span()
    if kind == "words":
        return _words_quantity(match, text)
    if kind == "multiple":
        value = _MULTIPLE_WORDS[groups["word"].lower()] if groups.get("word") else parse_digits(groups["num"])
        return Quantity("multiple", start, end, value, "x")
    number = groups["num"]
    if kind in ("count", "level") and re.fullmatch(r"(19|20)\d\d", number):
        return None  # a year, not a figure
    scale = MAGNITUDES[groups["mag"].lower()] if groups.get("mag") else 1.0
    value = parse_digits(number) * scale
    high = parse_digits(groups["high"]) * scale if groups.get("high") else None
    sign = -1 if groups.get("sign") in ("-", "−") or groups.get("sign2") else 1 if groups.get("sign") == "+" else 0
    if sign < 0:
        value, high = -value, (-high if high is not None else None)
    if kind == "level":
        return Quantity("level", match.start("num"), match.end("num"), value, "points")
    if kind == "count":
        return Quantity("count", start, end, value, "count", noun=(groups.get("noun") or "").lower() or None)
    if groups.get("pct"):
        if groups.get("mag"):
            return None  # "5 m%": not a figure we can read
        unit = _percent_unit(groups["pct"])
        return Quantity("percent", start, end, value, unit, value_high=high, sign=sign)
    if groups.get("cent"):
        return Quantity("money", start, end, value / 100, currency_table().code(groups["cent"]), sign=sign)
    if sign == 0 and start > 0 and text[start - 1] == "(" and text[end : end + 1] == ")":
        value, sign = -value, -1  # an accounting negative: "($99.99)"
    value += _cents(groups.get("cents")) * (-1 if sign < 0 else 1)
    unit = currency_table().code(groups["cur"])
    return Quantity("money", start, end, value, unit, value_high=high, sign=sign)


def _words_quantity(match: re.Match, text: str) -> Quantity | None:
    """A number written in words before a unit: "twenty percent", "five million yen", "ten-fold"."""
    groups = match.groupdict()
    stop = match.end("count") if groups.get("count") else match.start()
    found = words_before(text, stop)
    if found is None:
        return None
    start, value = found
    if groups.get("count"):
        if value < 100:
            return None  # "million" alone: no number said
        return _spelled_count(text, start, match.end(), value, MAGNITUDES[groups["count"].lower()])
    if groups.get("fold"):
        return Quantity("multiple", start, match.end(), value, "x")
    if groups.get("pct"):
        return Quantity("percent", start, match.end(), value, _percent_unit(groups["pct"]))
    value += _cents(groups.get("cents"))
    return Quantity("money", start, match.end(), value, currency_table().code(groups["cur"]))


def _spelled_count(text: str, start: int, end: int, value: float, magnitude: float) -> Quantity:
    """A count in words, read on past its magnitude word while the words go on ("a hundred and two", "three million,
    two hundred & forty"); then it is exact, a number the writer spelled out, not a rounded "3 million". What follows
    a comma joins only when it is a group with its own magnitude word, so "three million, two analysts" stays 3e6."""
    exact_value, exact_end, crossed_comma = value, end, False
    position = end
    for more in _MORE_WORDS.finditer(text, end):
        longer = parse_words(text[start : more.end()]) if more.start() == position else None
        if (
            longer is None or not value < longer < value + magnitude
        ):  # English numbers go down: "two million three million" is two
            break
        position, crossed_comma = more.end(), crossed_comma or "," in more.group(0)
        if not crossed_comma or _MAG_WORD.search(text, end, position):
            exact_value, exact_end = longer, position
    return Quantity("count", start, exact_end, exact_value, "count", exact=exact_end > end)


def _is_range(groups: dict) -> bool:
    """ "10-12%", "$5 to $6 billion" are ranges; "$1.20 to $84.50" (a change, then a level) is not."""
    low, high = parse_digits(groups["num"]), parse_digits(groups["high"])
    return 0 <= low < high <= 10 * low


def _percent_unit(surface: str) -> str:
    surface = re.sub(r"\s+", " ", surface.lower())
    return next(unit for word, unit in _PERCENT_UNITS if surface.startswith(word))


def _cents(surface: str | None) -> float:
    if not surface:
        return 0.0
    value = parse_digits(surface) if surface[0].isdigit() else parse_words(surface)
    return (value or 0.0) / 100
