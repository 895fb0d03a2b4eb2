"""Which stated percentages are claims about a price (issue 8): only those can be checked against closes.

A figure is a price claim when it is a *change* about a listed entity's shares, ADRs, stock price or an index
level, e.g. "Tencent shares have gained 55%", "the Hang Seng Index rose 2.1% on Tuesday". It is **not a price
claim** when

* it is a *level* in percent ("cut his stake **to 4.8%**", "a margin of 12%"), or the starting level of a from/to
  pair ("to 4.8% **from 6.2%**"): a percentage that something *is*, not a return;
* the words of its clause say what moved is not a price: a stake or holding, market share, GDP, growth of a
  business, revenue, profit, margins, users, shipments, rates, inflation ... (``NOT_PRICE``), unless a price word
  (shares, stock, ADRs, index ...) stands between that word and the figure.

The clause is the text from the last clause break (``,`` ``;`` "while", "but", "whereas", "after") before the
figure to the figure, plus the few words right after it ("a 4.8% **stake**", "5% **growth**"); a clause that names
neither kind of word ("revenue of 260 billion yuan, **up 5%**") is read with the sentence before it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# Generic finance words (data about language, not about any narrative). "holdings" only in lower case: "Tencent
# Holdings" is a name.
NOT_PRICE = re.compile(
    r"\b(?:stakes?|(?-i:holdings?)|ownership|owns|owned|shareholding|market share|share of|GDP|economy|economic|"
    r"growth|grew|revenues?|sales|profits?|earnings|income|margins?|EPS|GMV|users|customers|subscribers|shipments|"
    r"deliveries|capex|spending|guidance|budget|deficit|inflation|CPI|PPI|PMI|unemployment|jobless|rates?|"
    r"yields?|tariffs?|tax(?:es)?|exports?|imports?|output|production|orders|penetration|utili[sz]ation|"
    r"probability|chance|odds|approval|turnout|votes?|payout|dividend|interest|loans?|deposits?|costs?|"
    r"prices? of (?:goods|food|homes|housing|oil|pork)|home prices|house prices)\b"
    r"|持股|股份比例|股权|营收|收入|利润|净利|销售|营业|出货|毛利率|增速|增长率|份额|GDP|通胀|关税|出口|进口",
    re.I,
)
PRICE = re.compile(
    r"\b(?:shares|stocks?|ADRs?|depositary receipts?|share price|stock price|equity|equities|index|indices|indexes|"
    r"Hang Seng|Nasdaq|S&P|Dow|CSI 300|STAR 50|market (?:cap|capitali[sz]ation|value)|"
    r"traded|trading|closed|rall(?:y|ied)|sell-?off)\b|股价|股票|港股|美股|A股|指数|恒指|市值",
    re.I,
)
_CLAUSE_BREAK = re.compile(r"[,;:]|\b(?:while|but|whereas|after|although|though|as well as)\b|，|；|而")
_AFTER_WORDS = 25  # characters after the figure that can still name what it measures ("4.8% stake")


def price_claim(figure: Mapping) -> tuple[bool, str]:
    """``(True, "")`` for a price claim, else ``(False, why)``; ``figure`` has the columns of
    :func:`narrative.store.reads.claim_figures` (``kind``, ``qualifier``, ``sentence``, ``position``, ``surface``).

    >>> price_claim({"kind": "level", "sentence": "Jack Ma cut his stake to 4.8% from 6.2%", "position": 24})
    (False, 'a level in percent (what something is, not how its price moved)')
    >>> price_claim({"kind": "change", "sentence": "Tencent shares have gained 55%", "position": 27})
    (True, '')
    """
    if (figure.get("kind") or "change") == "level":
        return False, "a level in percent (what something is, not how its price moved)"
    if (figure.get("qualifier") or "").strip().lower() == "from":
        return False, "the starting level of a from/to pair (a level, not a price move)"
    sentence = figure.get("sentence") or ""
    position = figure.get("position")
    if not sentence or position is None or position < 0 or position > len(sentence):
        return True, ""
    position = int(position)
    before = sentence[:position]
    breaks = list(_CLAUSE_BREAK.finditer(before))
    clause = before[breaks[-1].end() :] if breaks else before
    surface = figure.get("surface") or ""
    after = sentence[position + len(surface) : position + len(surface) + _AFTER_WORDS]
    after = _CLAUSE_BREAK.split(after, maxsplit=1)[0]
    following = NOT_PRICE.match(after.strip()) or NOT_PRICE.match(after.strip().removeprefix("of ").strip())
    if following:
        return False, f"about {following.group(0)}, not a price"
    if not (PRICE.search(clause) or NOT_PRICE.search(clause)):
        # A clause that names nothing ("..., up 5% but short of estimates") continues the one before it.
        clause = before
    last_price = max((m.start() for m in PRICE.finditer(clause)), default=-1)
    # A non-price word decides unless a price word stands between it and the figure; name the first such word.
    words = [m for m in NOT_PRICE.finditer(clause) if m.start() > last_price]
    if words:
        return False, f"about {words[0].group(0)}, not a price"
    return True, ""
