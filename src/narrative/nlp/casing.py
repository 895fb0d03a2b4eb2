"""True-casing of ALL-CAPS lines before the tagger and the NER see them, with the original text given back.

Wire headlines and datelines are often written in capitals ("SOCCER - SHEARER NAMED AS ENGLAND CAPTAIN",
"WARSAW 1996-08-30"). The statistical NER reads case as its strongest clue and finds almost nothing in such a
line. :class:`CasingTokenizer` tokenises a copy in which each shouted line is written as prose would write it;
the last component, ``narrative_original_case``, puts the original words back, so every offset, surface and
sentence stays exact into the text as given. Only letters change case, and only where the case change keeps
the length of the word, so the two texts align character for character.

How a shouted word is written: as the document writes it elsewhere, when it does (a name the body writes
"Shearer", a word it writes in lower case); otherwise a place or nationality name is capitalised, a common
English word is lower case, a short unknown word (four letters or fewer: "NFL", "NVDA") stays in capitals, and
any other word is a name, capitalised. The word lists come from ``models/ner/gazetteer.tsv``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any, cast

from spacy.language import Language
from spacy.tokens import Doc

from ..catalog import models_dir

ORIGINAL_TEXT = "narrative_original_text"  # Doc.user_data key: the text before true-casing
_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")
_LINE = re.compile(r"[^\n]+")
_NAME_KINDS = frozenset({"country", "demonym", "capital", "state", "continent"})
_ACRONYM_LETTERS = 4
_ATTRS: list[int | str] = ["TAG", "POS", "MORPH", "LEMMA", "ENT_IOB", "ENT_TYPE", "ENT_KB_ID", "ENT_ID"]


@cache
def gazetteer() -> dict[str, frozenset[str]]:
    """``models/ner/gazetteer.tsv`` (built by ``scripts/build_ner_gazetteer.py``) as kind -> names.

    >>> "Germany" in gazetteer()["country"]
    True
    """
    kinds: dict[str, set[str]] = {}
    for line in (models_dir() / "ner" / "gazetteer.tsv").read_text(encoding="utf-8").splitlines():
        kind, _, name = line.partition("\t")
        kinds.setdefault(kind, set()).add(name)
    return {kind: frozenset(names) for kind, names in kinds.items()}


@cache
def _lexicon() -> tuple[dict[str, int], frozenset[str]]:
    """(casefolded place and nationality names -> their number of words, common lower-case words)."""
    kinds = gazetteer()
    names = {name.lower(): len(name.split()) for kind in _NAME_KINDS for name in kinds.get(kind, ())}
    return names, kinds.get("common", frozenset())


def is_shouted(line: str) -> bool:
    """A line written in capitals: two words of two letters or more, and 80% of its letters upper case.

    >>> is_shouted("SOCCER - SHEARER NAMED AS ENGLAND CAPTAIN ."), is_shouted("Shares of GM rose")
    (True, False)
    """
    letters = [ch for ch in line if ch.isalpha()]
    if len([w for w in _WORD.findall(line) if len(w) > 1]) < 2:
        return False
    return sum(ch.isupper() for ch in letters) >= 0.8 * len(letters)


def truecase(text: str) -> str:
    """``text`` with each shouted line written as prose would write it; the same length, only case changed.

    >>> truecase("TENNIS - WOODS WINS IN GERMANY\\nThe crowd cheered Woods.")
    'Tennis - Woods wins in Germany\\nThe crowd cheered Woods.'
    """
    lines = [(m.start(), m.end()) for m in _LINE.finditer(text)]
    shouted = [(a, b) for a, b in lines if is_shouted(text[a:b])]
    if not shouted:
        return text
    written = _document_forms(text, lines, set(shouted))
    names, _ = _lexicon()
    longest = max(names.values(), default=1)
    chars = list(text)
    for a, b in shouted:
        words = list(_WORD.finditer(text, a, b))
        n = 0
        while n < len(words):
            size = _name_at(text, words, n, names, longest)
            for k in range(n, n + max(size, 1)):
                match = words[k]
                word = match.group().capitalize() if size else _case_word(match.group(), written, k == 0)
                if len(word) == len(match.group()):
                    chars[match.start() : match.end()] = word
            n += max(size, 1)
    return "".join(chars)


def _name_at(text: str, words: list[re.Match], n: int, names: dict[str, int], longest: int) -> int:
    """How many words from ``n`` make a place or nationality name ("NEW ZEALAND", "SOUTH KOREAN"), 0 if none."""
    for size in range(min(longest, len(words) - n), 0, -1):
        phrase = text[words[n].start() : words[n + size - 1].end()].lower()
        if names.get(phrase) == size:
            return size
    return 0


def _document_forms(text: str, lines: list[tuple[int, int]], shouted: set[tuple[int, int]]) -> dict[str, str]:
    """How the document's other lines write each word (not counting a line's first word): lower case wins."""
    forms: dict[str, str] = {}
    for a, b in lines:
        if (a, b) in shouted:
            continue
        for n, match in enumerate(_WORD.finditer(text, a, b)):
            word = match.group()
            if n == 0 or word.isupper():
                continue
            key = word.lower()
            if word.islower() or key not in forms:
                forms[key] = word
    return forms


def _case_word(word: str, written: dict[str, str], first: bool) -> str:
    key = word.lower()
    _, common = _lexicon()
    if key in written:
        cased = written[key]
    elif key in common:
        cased = key
    elif len(word) <= _ACRONYM_LETTERS:
        cased = word
    else:
        cased = word.capitalize()
    return cased[:1].upper() + cased[1:] if first else cased


class CasingTokenizer:
    """Wraps the pipeline's tokenizer: tokenises the true-cased text and keeps the original in ``user_data``."""

    def __init__(self, tokenizer: Callable[[str], Doc]):
        self.tokenizer = tokenizer

    def __call__(self, text: str) -> Doc:
        cased = truecase(text)
        doc = self.tokenizer(cased)
        if cased != text:
            doc.user_data[ORIGINAL_TEXT] = text
        return doc

    def __getattr__(self, name: str) -> Any:  # rules, vocab, pipe, to_bytes...: the wrapped tokenizer's
        if name == "tokenizer":
            raise AttributeError(name)
        return getattr(self.tokenizer, name)


@Language.component("narrative_original_case")
def original_case(doc: Doc) -> Doc:
    """The last component: the original words back, with every annotation the true-cased copy received.

    >>> original_case(nlp("CHINA SLOWS")).ents  # doctest: +SKIP
    (CHINA,)
    """
    text = doc.user_data.get(ORIGINAL_TEXT)
    if text is None:
        return doc
    words = [text[t.idx : t.idx + len(t)] for t in doc]
    restored = Doc(doc.vocab, words=words, spaces=[bool(t.whitespace_) for t in doc])
    # the parse when there is one (it carries the sentences), else the sentence starts alone
    attrs: list[int | str] = [*_ATTRS, "DEP", "HEAD"] if doc.has_annotation("DEP") else [*_ATTRS, "SENT_START"]
    restored.from_array(attrs, cast(Any, doc.to_array(attrs)))
    restored.tensor = doc.tensor
    restored.user_data.update({k: v for k, v in doc.user_data.items() if k != ORIGINAL_TEXT})
    return restored


def add_casing(nlp: Language) -> None:
    """True-case shouted lines for the whole pipeline: wrap the tokenizer, restore the text last.

    >>> add_casing(nlp); nlp("GM SHARES JUMP").text  # doctest: +SKIP
    'GM SHARES JUMP'
    """
    nlp.tokenizer = CasingTokenizer(nlp.tokenizer)
    nlp.add_pipe("narrative_original_case", last=True)
