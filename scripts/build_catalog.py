#!/usr/bin/env python
"""Build ``models/catalog/companies.json``: the index constituents the catalog needs at scale (issue 10).

    python scripts/build_catalog.py            # writes models/catalog/companies.json
    python scripts/build_catalog.py --check    # exit 1 if the committed file differs from a fresh build

Sources, merged in this order (an earlier source owns a name or a ticker; later ones never take it):

1. ``models/entities.yaml`` (hand-curated, the project's own): read only, to leave its ids, names and tickers
   alone. Its entities are not copied.
2. ``models/catalog/curated.yaml`` (hand-curated, the project's own, MIT like the code): Hang Seng / Hang Seng
   Tech / CSI 300 / STAR 50 leaders and their ADRs with Chinese names, companies the packaged data lacks
   (Tokyo Electron, Nexperia, Vertiv, GDS, VNET...), central banks, and ``overrides`` for generated entries
   (the short name news uses: "Ford", "GM"; subsidiaries kept apart from parents).
3. ``pytickersymbols`` (PyPI, MIT licence; index constituents with Yahoo and Google tickers): every index it
   ships (S&P 500, S&P 100, S&P 600, Nasdaq-100, Dow Jones, DAX, MDAX, SDAX, TecDAX, FTSE 100, CAC 40,
   CAC Mid 60, Euro Stoxx 50, AEX, BEL 20, IBEX 35, OMX Helsinki 25, OMX Stockholm 30, SMI 20, Nikkei 225).

Short names that are common English words (wordfreq Zipf frequency >= 4.0: "Target", "Gap", "Ball", "Visa",
"Block", "Next") go to ``ner_aliases``: linked only where spaCy's NER tags the word as a name, never matched by
the phrase ruler; their legal names ("Target Corporation") stay ordinary aliases. Tickers of one or two
letters and tickers that are words ("F", "ALL", "NOW") are marked ``ambiguous``: linked only after an
exchange prefix ("NYSE: F"). ``wordfreq`` (Apache-2.0, data CC BY-SA 4.0) is used here only, at build time.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models"
OUTPUT = MODELS / "catalog" / "companies.json"
CURATED = MODELS / "catalog" / "curated.yaml"
COMMON_WORD_ZIPF = 4.0  # "target" 4.8, "visa" 4.1, "ford" 4.5 are gated; "corning" 2.9, "equinix" 1.8 are not
LEGAL = re.compile(
    r"(?:,?\s+(?:inc|incorporated|corp|corporation|co|company|ltd|limited|plc|p\.l\.c|holdings?|group|sa|s\.a|ag|se|"
    r"nv|n\.v|a/s|asa|ab|oyj|spa|s\.p\.a|llc|lp|l\.p|reit|trust|the)\.?)+$|\s+&\s+co\.?$|\s*\([^)]*\)$",
    re.IGNORECASE,
)
EXCHANGES = {
    "NYSE": "NYSE",
    "NASDAQ": "NASDAQ",
    "NYSEAMERICAN": "NYSE American",
    "OTCMKTS": "OTC",
    "FRA": "FRA",
    "ETR": "XETRA",
    "LON": "LSE",
    "EPA": "EPA",
    "AMS": "AMS",
    "EBR": "EBR",
    "BME": "BME",
    "HEL": "HEL",
    "STO": "STO",
    "SWX": "SIX",
    "TYO": "TSE",
    "BIT": "BIT",
    "VIE": "VIE",
    "CPH": "CPH",
    "ELI": "ELI",
}
SECTOR_TYPES = (("bank", "bank"), ("asset management", "asset_manager"), ("stock exchange", "exchange"))


def slug(name: str) -> str:
    """An id from a name: "Exxon Mobil" -> "exxon-mobil".

    >>> slug("Johnson & Johnson")
    'johnson-johnson'
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def short_name(name: str) -> str:
    """The name without its legal form: "Target Corporation" -> "Target", "Block, Inc." -> "Block".

    >>> short_name("The Walt Disney Company"), short_name("Eli Lilly and Company")
    ('Walt Disney', 'Eli Lilly')
    """
    previous, name = None, re.sub(r"^the\s+", "", name, flags=re.IGNORECASE)
    while previous != name:
        previous, name = name, re.sub(r"\s+(?:and|&)$", "", LEGAL.sub("", name).strip(" ,"))
    return name or previous


def _fold(name: str) -> str:
    return unicodedata.normalize("NFKC", name).casefold().replace("’", "'").strip()


class Owners:
    """Which entity owns each casefolded name and each ticker: the first source to claim one keeps it."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.tickers: dict[str, str] = {}
        self.ids: set[str] = set()

    def claim_entity(self, entity: dict) -> None:
        self.ids.add(entity["id"])
        for name in _names(entity):
            self.names.setdefault(_fold(name), entity["id"])
        for listing in entity.get("listings", ()):
            self.tickers.setdefault(listing["symbol"], entity["id"])
            self.names.setdefault(_fold(listing["symbol"]), entity["id"])  # the catalog checks both together

    def free_names(self, entity_id: str, names) -> list[str]:
        kept = []
        for name in dict.fromkeys(n for n in names if n):
            if self.names.get(_fold(name), entity_id) == entity_id:
                kept.append(name)
                self.names[_fold(name)] = entity_id
        return kept


def _names(entity: dict) -> list[str]:
    return [
        entity["name"],
        *entity.get("aliases", ()),
        *entity.get("exact_aliases", ()),
        *entity.get("ner_aliases", ()),
        *entity.get("zh", ()),
    ]


def generated_entities(common_word) -> list[dict]:
    """One entity per distinct company in pytickersymbols' indices, with every listing it gives."""
    from pytickersymbols import PyTickerSymbols

    tickers = PyTickerSymbols()
    by_name: dict[str, dict] = {}
    for index in tickers.get_all_indices():
        for stock in tickers.get_stocks_by_index(index):
            entity = by_name.get(stock["name"])
            if entity is None:
                entity = by_name[stock["name"]] = _entity_of(stock, common_word)
            if index not in entity["indices"]:
                entity["indices"].append(index)
    return list(by_name.values())


def _entity_of(stock: dict, common_word) -> dict:
    name = re.sub(r"\s*\([^)]*\)$", "", " ".join(stock["name"].split()))  # "Rio Tinto (corporation)"
    short = short_name(name)
    isins = stock.get("isins") or []
    industries = " ".join(stock.get("industries") or []).lower()
    kind = next((t for word, t in SECTOR_TYPES if word in industries), "company")
    listings = []
    for symbol in stock.get("symbols") or []:
        yahoo, google = symbol.get("yahoo"), symbol.get("google") or ""
        if not yahoo:
            continue
        prefix = google.split(":")[0] if ":" in google else ""
        exchange = EXCHANGES.get(prefix, prefix or ("US" if symbol.get("currency") == "USD" else "OTHER"))
        listings.append(
            {
                "symbol": yahoo,
                "exchange": exchange,
                "currency": symbol.get("currency") or "USD",
                "primary": yahoo == stock.get("symbol"),
            }
        )
    if listings and not any(listing["primary"] for listing in listings):
        listings[0]["primary"] = True
    gated = " " not in short and short.isalpha() and common_word(short)
    return {
        "id": slug(short),
        "name": name,
        "type": kind,
        "country": isins[0][:2] if isins else None,
        "aliases": [short] if short != name and not gated else [],
        "ner_aliases": [short] if gated else [],
        "listings": listings,
        "indices": [],
    }


def ambiguous_ticker(symbol: str, common_word, stop_names: frozenset[str] = frozenset()) -> bool:
    """One or two letters, a word ("ALL", "NOW") or a stop name ("COO"): only linked after an exchange prefix.

    >>> ambiguous_ticker("F", lambda word: False), ambiguous_ticker("NVDA", lambda word: False)
    (True, False)
    """
    base = symbol.split(".")[0]
    return len(base) <= 2 or base.casefold() in stop_names or (base.isalpha() and common_word(base.lower()))


def build(common_word) -> dict:
    """The catalog include: curated entities first, then generated ones that claim nothing already owned."""
    owners = Owners()
    base = yaml.safe_load((MODELS / "entities.yaml").read_text(encoding="utf-8"))
    for entity in base["entities"]:
        owners.claim_entity(entity)
    base_ids, base_names, base_tickers = set(owners.ids), set(owners.names), set(owners.tickers)
    stop_names = frozenset(name.casefold() for name in base.get("stop_names", ()))
    curated = yaml.load(CURATED.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    out: list[dict] = []
    for entity in curated.get("entities", []):
        entity = dict(entity)
        if entity["id"] in owners.ids:
            raise SystemExit(f"{CURATED}: entity id {entity['id']!r} is already in models/entities.yaml")
        _finish(entity, owners, common_word, stop_names)
        out.append(entity)
    overrides = curated.get("overrides", {})
    skipped = []
    for entity in generated_entities(common_word):
        override = overrides.get(entity["id"], {})
        if override.get("drop"):
            continue
        for key in ("id", "parent", "type"):
            entity[key] = override.get(key, entity.get(key, None))
        for key in ("aliases", "exact_aliases", "ner_aliases", "zh"):
            entity[key] = [*entity.get(key, []), *override.get(key, [])]
        names = {_fold(entity["name"]), _fold(short_name(entity["name"]))}
        if (
            names & base_names
            or entity["id"] in base_ids
            or {listing["symbol"] for listing in entity["listings"]} & base_tickers
            or _fold(entity["name"]) in owners.names
        ):
            skipped.append(entity["name"])  # the hand-made entry wins
            continue
        if entity["id"] in owners.ids:  # two companies, one short name: the ticker tells them apart
            entity["id"] = f"{entity['id']}-{slug(entity['listings'][0]['symbol'].split('.')[0])}"
        _finish(entity, owners, common_word, stop_names)
        out.append(entity)
    return {
        "generated_by": "scripts/build_catalog.py",
        "sources": ["models/catalog/curated.yaml (project, MIT)", "pytickersymbols (PyPI, MIT)"],
        "skipped_as_already_curated": sorted(skipped),
        "entities": out,
    }


def _finish(entity: dict, owners: Owners, common_word, stop_names: frozenset[str]) -> None:
    """Drop names and tickers another entity owns, mark ambiguous tickers, and claim the rest."""
    entity_id = entity["id"]
    for key in ("aliases", "exact_aliases", "ner_aliases", "zh"):
        entity[key] = [
            n for n in owners.free_names(entity_id, entity.get(key, [])) if n != entity["name"] or key == "ner_aliases"
        ]
    owners.free_names(entity_id, [entity["name"]])
    listings = []
    for listing in entity.get("listings", []):
        if (
            owners.tickers.setdefault(listing["symbol"], entity_id) != entity_id
            or owners.names.setdefault(_fold(listing["symbol"]), entity_id) != entity_id
        ):
            continue
        if ambiguous_ticker(listing["symbol"], common_word, stop_names):
            listing = {**listing, "ambiguous": True}
        listings.append(listing)
    if listings and not any(listing.get("primary") for listing in listings):
        listings[0]["primary"] = True
    entity["listings"] = listings
    owners.ids.add(entity_id)
    for key in [k for k, v in entity.items() if v in ([], None, False)]:
        del entity[key]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed file instead of writing")
    args = parser.parse_args(argv)
    from wordfreq import zipf_frequency

    def common_word(word: str) -> bool:
        return zipf_frequency(word.lower(), "en") >= COMMON_WORD_ZIPF

    catalog = build(common_word)
    text = json.dumps(catalog, ensure_ascii=False, indent=None, separators=(",", ":")).replace('},{"id"', '},\n{"id"')
    if args.check:
        same = OUTPUT.exists() and OUTPUT.read_text(encoding="utf-8") == text + "\n"
        print(f"{OUTPUT}: {'up to date' if same else 'differs from a fresh build'}")
        return 0 if same else 1
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text + "\n", encoding="utf-8")
    entities = catalog["entities"]
    print(
        f"wrote {OUTPUT}: {len(entities)} entities, {sum(len(e.get('listings', [])) for e in entities)} listings, "
        f"{sum(bool(e.get('ner_aliases')) for e in entities)} with NER-gated short names; "
        f"{len(catalog['skipped_as_already_curated'])} skipped as already in models/entities.yaml"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
