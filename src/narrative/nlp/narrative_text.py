"""One written form per sentence before narrative scoring reads it (issue 9).

The narrative scorer's stance classifier reads character n-grams, and most of a narrative's Chinese
examples are in simplified script. A Hong Kong or Taiwan sentence in traditional script (收緊, 宣佈,
晶片) then shares few n-grams with the examples that carry the same words (收紧, 宣布, 芯片), and
full-width Latin letters and digits (U+FF21 for A, U+FF11 for 1) miss the half-width ones. So every text the scorer
encodes, fits on or classifies goes through :func:`scoring_text` first:

- Unicode NFKC: full-width letters, digits and punctuation become half-width;
- traditional Chinese script and Taiwan/Hong Kong phrasing become simplified mainland forms
  (OpenCC's ``tw2sp`` conversion: characters and phrases such as 晶片 -> 芯片), only for texts that
  contain CJK characters, so English text costs one scan.

It changes what the scorer reads, never the stored sentence text. :func:`last_clause` finds the clause
after a sentence's last contrast word, which usually carries its direction.

>>> scoring_text("美國宣佈收緊對華晶片出口")
'美国宣布收紧对华芯片出口'
>>> scoring_text("\uff21\uff29 capex")
'AI capex'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


@lru_cache(maxsize=1)
def _converter():
    import opencc  # the OpenCC library and its dictionaries (PyPI: opencc)

    return opencc.OpenCC("tw2sp")


def scoring_text(text: str) -> str:
    """``text`` as the narrative scorer reads it: NFKC, and simplified Chinese script.

    >>> scoring_text("台積電")
    '台积电'
    """
    text = unicodedata.normalize("NFKC", text)
    return _converter().convert(text) if _CJK.search(text) else text


def scoring_texts(texts: Iterable[str]) -> list[str]:
    """:func:`scoring_text` of each text.

    >>> scoring_texts(["放寬", "eases"])
    ['放宽', 'eases']
    """
    return [scoring_text(t) for t in texts]


# Words that turn a sentence around (language, not narrative): what follows the last one usually
# carries the sentence's direction ("raised capex again, but said growth would slow").
CONTRAST = re.compile(r"(?i)\b(?:but|yet|however|though|although|while|whereas)\b|但是|但|然而|却|不过|可是")
_CLAUSE_BREAK = re.compile(r"[,;:，；：、]")


def last_clause(text: str) -> str | None:
    """The clause holding the sentence's last contrast word, from the punctuation before it to the
    end; None when there is no contrast word or the clause is the whole sentence.

    >>> last_clause("Microsoft raised capex again, but said spending growth would slow")
    'but said spending growth would slow'
    >>> last_clause("美国加强管制，国产芯片却加速成熟")
    '国产芯片却加速成熟'
    """
    matches = list(CONTRAST.finditer(text))
    if not matches:
        return None
    marker = matches[-1].start()
    breaks = [m.end() for m in _CLAUSE_BREAK.finditer(text, 0, marker)]
    clause = text[breaks[-1] if breaks else marker :].strip()
    if len(clause) < 4 or clause == text.strip():
        return None
    return clause
