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

It changes what the scorer reads, never the stored sentence text.

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
