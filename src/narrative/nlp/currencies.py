"""Currencies by ISO code, symbol and name, read from the data table ``models/currencies.csv``.

A currency is recognised as its ISO 4217 code ("EUR 125", "125 GBP"), a symbol ("C$", "HK$", "A$",
"Mex$", "£", "€") or an English name in the singular or plural ("50 dollar", "361 million pounds",
"125 million Australian dollars"), and as a Chinese name after the number (美元, 港元, 人民币). Each
resolves to one ISO code (issue 10: C$, Mex$ and A$ were all read as USD).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..catalog import models_dir
from ..errors import ConfigError, Errors


@dataclass(frozen=True)
class CurrencyTable:
    """Patterns and lookups built from the table (one instance per table file)."""

    by_surface: dict[str, str]  # symbol (exact) or name/code/Chinese name (casefolded) -> ISO code
    symbols: str  # regex alternation of symbols, longest first (case-sensitive)
    codes: str  # regex alternation of ISO codes (upper case)
    names: str  # regex alternation of English names (match case-insensitively)
    chinese: str  # regex alternation of Chinese names
    chinese_prefix: str  # Chinese names that may stand before the number (新台币, 人民币; not 元)
    minor: str  # regex alternation of hundredth units ("cents", "pence"; match case-insensitively)

    def code(self, surface: str) -> str:
        """The ISO code of a symbol, code or name as written.

        >>> table = currency_table()
        >>> table.code("C$"), table.code("Mex$"), table.code("Australian dollars"), table.code("港元")
        ('CAD', 'MXN', 'AUD', 'HKD')
        """
        surface = re.sub(r"\s+", " ", surface.strip())
        return self.by_surface.get(surface) or self.by_surface[surface.casefold()]


def _alternation(items, *, word: bool = False) -> str:
    """One regex for many names, as a trie ("dollars?" rather than "dollar|dollars"), so that a match attempt
    walks the shared prefixes once; whole words when ``word`` (alphabetic symbols are whole words anyway:
    "Rs 50", not "Mrs 50"; "$" and "€" need no boundary)."""
    words = [item for item in set(items) if word or item[:1].isalpha()]
    signs = [item for item in set(items) if item not in words]
    parts = []
    if words:
        parts.append(rf"(?<![A-Za-z])(?:{_trie(words)})(?![A-Za-z])")
    if signs:
        parts.append(_trie(signs))
    return "|".join(parts)


def _trie(items) -> str:
    """A regex matching exactly ``items``, longest first at each branch; spaces match any run of white space."""
    root: dict = {}
    for item in items:
        node = root
        for char in item:
            node = node.setdefault(char, {})
        node[""] = {}

    def pattern(node: dict) -> str:
        branches = []
        for char in sorted((c for c in node if c), key=lambda c: -_depth(node[c])):
            branches.append((r"\s+" if char == " " else re.escape(char)) + pattern(node[char]))
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return pattern(root)


def _depth(node: dict) -> int:
    return 1 + max((_depth(child) for child in node.values()), default=0)


@lru_cache(maxsize=4)
def currency_table(path: Path | None = None) -> CurrencyTable:
    """The currency table at ``path`` (default ``models/currencies.csv``).

    >>> import re
    >>> re.fullmatch(currency_table().names, "Australian dollars", re.I) is not None
    True
    """
    path = path or models_dir() / "currencies.csv"
    try:
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    except OSError as error:
        raise ConfigError(Errors.E147.format(path=path, problem=error.strerror)) from error
    by_surface: dict[str, str] = {}
    symbols, codes, names, chinese, minor = [], [], [], [], []
    for number, row in enumerate(csv.DictReader(lines), start=2):
        code = (row.get("code") or "").strip()
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise ConfigError(Errors.E148.format(path=path, row=number, code=code))
        codes.append(code)
        by_surface.setdefault(code.casefold(), code)
        for symbol in filter(None, (row.get("symbols") or "").split("|")):
            symbols.append(symbol)
            by_surface.setdefault(symbol, code)
        for name in filter(None, (row.get("names") or "").split("|")):
            names.append(name)
            by_surface.setdefault(name.casefold(), code)
        for name in filter(None, (row.get("zh") or "").split("|")):
            chinese.append(name)
            by_surface.setdefault(name, code)
        for name in filter(None, (row.get("minor") or "").split("|")):
            minor.append(name)
            by_surface.setdefault(name.casefold(), code)
    prefix = [name for name in chinese if len(name) > 1 and not name.endswith("钱")]
    return CurrencyTable(
        by_surface=by_surface,
        symbols=_alternation(symbols),
        codes=_alternation(codes, word=True),
        names=_alternation(names, word=True),
        chinese=_alternation(chinese),
        chinese_prefix=_alternation(prefix),
        minor=_alternation(minor, word=True),
    )
