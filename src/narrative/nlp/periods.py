"""Periods of figures: "year-to-date", "in the past month", "through 2024", "first-half"...

Each period phrase found in a sentence is given to the figure whose anchor it hangs from
in the dependency parse, closest attachments first; the rest go to the nearest figure.
"""

from __future__ import annotations

import re

from spacy.tokens import Span, Token

_PERIOD_PATTERNS: list[tuple[str, re.Pattern]] = [
    (
        "YTD",
        re.compile(
            r"\byear[- ]to[- ]date\b|\bYTD\b|\bso far this year\b|\bthis year\b|\bsince the start of "
            r"(?:the|this) year\b|\bsince January\b",
            re.I,
        ),
    ),
    ("recent_weeks", re.compile(r"\b(?:in|over) (?:recent|the past few|the last few) weeks\b", re.I)),
    (
        "1M",
        re.compile(
            r"\b(?:in|over|during) (?:the )?(?:past|last|previous) month\b|\b(?:past|last) month\b|"
            r"\bin a month\b|\bover the month\b|\bthis month\b|\bmonth[- ]to[- ]date\b|\bin one month\b|"
            r"\b(?:a|one) month ago\b",
            re.I,
        ),
    ),
    ("1W", re.compile(r"\b(?:this|last|past|the) week\b|\bin a week\b|\bweek[- ]to[- ]date\b|\bweekly\b", re.I)),
    (
        "1D",
        re.compile(
            r"\bon (?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b|\bon the day\b|"
            r"\btoday\b|\byesterday\b|\bin a single (?:session|day)\b|\bintraday\b|\bovernight\b|"
            r"\bdaily limit\b",
            re.I,
        ),
    ),
    (
        "YoY",
        re.compile(
            r"\byear[- ]on[- ]year\b|\byear[- ]over[- ]year\b|\bfrom a year (?:earlier|ago)\b|\bYoY\b|"
            r"\byear[- ]earlier\b|\ba year (?:earlier|ago)\b",
            re.I,
        ),
    ),
    ("H1", re.compile(r"\bfirst[- ]half\b|\bH1\b", re.I)),
    ("H2", re.compile(r"\bsecond[- ]half\b|\bH2\b", re.I)),
    (
        "Q",
        re.compile(
            r"\b(?:first|second|third|fourth|June|September|December|March)[- ]quarter\b|\bQ[1-4]\b|"
            r"\bin the quarter\b|\bquarterly\b|\bthree months\b",
            re.I,
        ),
    ),
    ("1Y", re.compile(r"\b(?:past|last) (?:year|12 months)\b|\bover the year\b|\bin a year\b|\bannual(?:ly)?\b", re.I)),
    (
        "YEAR",
        re.compile(
            r"\b(?:in|through|during|for|over|since|finished|ended|closed|ends|finishes) "
            r"(?P<year>20\d\d)\b",
            re.I,
        ),
    ),
]
_QUARTERS = {
    "first": "Q1",
    "second": "Q2",
    "third": "Q3",
    "fourth": "Q4",
    "march": "Q1",
    "june": "Q2",
    "september": "Q3",
    "december": "Q4",
}


def find_periods(sent: Span) -> list[tuple[str, str, Span]]:
    periods: list[tuple[str, str, Span]] = []
    for code, pattern in _PERIOD_PATTERNS:
        for match in pattern.finditer(sent.text):
            span = sent.doc.char_span(
                sent.start_char + match.start(), sent.start_char + match.end(), alignment_mode="expand"
            )
            if span is None or any(span.start < p.end and span.end > p.start for _, _, p in periods):
                continue
            periods.append((_period_code(code, match), match.group(0), span))
    return periods


def _period_code(code: str, match: re.Match) -> str:
    if code == "YEAR":
        return f"Y{match.group('year')}"
    if code == "Q":
        word = match.group(0).split("-")[0].split(" ")[0].lower()
        return _QUARTERS.get(
            word, match.group(0).upper() if match.group(0).upper() in ("Q1", "Q2", "Q3", "Q4") else "Q"
        )
    return code


def assign_periods(periods, anchors: list[Token], spans: list[Span]) -> dict[int, tuple[str, str]]:
    """Each period goes to the figure whose anchor it hangs from, closest attachments first;
    the rest go to the nearest figure still without one."""
    anchor_index = {a.i: n for n, a in enumerate(anchors)}
    walks = []
    for code, text, span in periods:
        owner, token = None, span.root
        for steps in range(10):
            if token.i in anchor_index and not (span.start <= token.i < span.end):
                owner = (steps, anchor_index[token.i])
                break
            if token.head is token:
                break
            token = token.head
        walks.append((owner, code, text, span))
    owned: dict[int, tuple[str, str]] = {}
    loose = []
    for owner, code, text, span in sorted(walks, key=lambda w: w[0][0] if w[0] else 99):
        if owner is not None and owner[1] not in owned:
            owned[owner[1]] = (code, text)
        else:
            loose.append((code, text, span))

    def gap(n: int, span: Span) -> int:
        return min(abs(spans[n].start - span.end), abs(span.start - spans[n].end))

    for code, text, span in loose:
        free = [n for n in range(len(spans)) if n not in owned]
        if not free:
            break
        nearest = min(free, key=lambda n: gap(n, span))
        if gap(nearest, span) <= 12:
            owned[nearest] = (code, text)
    # "Alibaba has roughly doubled in 2025, up 100.3%": one period can serve two close figures.
    for n in range(len(spans)):
        if n not in owned and periods:
            code, text, span = min(periods, key=lambda p: gap(n, p[2]))
            if gap(n, span) <= 6:
                owned[n] = (code, text)
    return owned
