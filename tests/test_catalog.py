"""The shipped entity catalog (models/entities.yaml) and catalog validation errors."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from narrative.catalog import Catalog, load_catalog
from narrative.errors import ConfigError

CATALOG = Path(__file__).resolve().parents[1] / "models" / "entities.yaml"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(CATALOG)


@pytest.fixture(scope="module")
def by_name(catalog: Catalog) -> dict[str, str]:
    """Every name (canonical, alias, exact alias, Chinese, ticker), casefolded -> entity id."""
    index: dict[str, str] = {}
    for entity in catalog.entities:
        for name in entity.names():
            index[name.casefold()] = entity.id
    return index


def test_shipped_catalog_validates_and_is_large_enough(catalog):
    assert catalog.version
    assert len(catalog.entities) >= 150
    types = Counter(entity.type for entity in catalog.entities)
    for kind in ("company", "bank", "index", "etf", "ai_model", "chip", "person", "regulator", "place"):
        assert types[kind] > 0, kind


def test_listing_symbols_are_unique_across_the_catalog(catalog):
    symbols = Counter(listing.symbol for entity in catalog.entities for listing in entity.listings)
    duplicates = [symbol for symbol, count in symbols.items() if count > 1]
    assert symbols and duplicates == []


def test_listed_entities_have_exactly_one_primary_listing(catalog):
    wrong = [e.id for e in catalog.entities if e.listings and sum(listing.primary for listing in e.listings) != 1]
    assert wrong == []


def test_no_bare_name_is_shared_between_entities(catalog):
    owners: dict[str, set[str]] = {}
    for entity in catalog.entities:
        for name in entity.names():
            owners.setdefault(name.casefold(), set()).add(entity.id)
    assert {name: ids for name, ids in owners.items() if len(ids) > 1} == {}


@pytest.mark.parametrize(
    "name, entity_id",
    [
        ("Alibaba Group Holding Limited", "alibaba"),
        ("阿里巴巴集团", "alibaba"),
        ("BABA", "alibaba"),
        ("9988.HK", "alibaba"),
        ("腾讯控股", "tencent"),
        ("0700.HK", "tencent"),
        ("Tencent Holdings Limited", "tencent"),
        ("Hang Seng Tech Index", "hstech"),
        ("恒生科技指数", "hstech"),
        ("Baidu, Inc.", "baidu"),
        ("Baidu Inc", "baidu"),
        ("Semiconductor Manufacturing International Corporation", "smic"),
        ("中芯国际", "smic"),
        ("Cambricon Technologies", "cambricon"),
        ("688256.SS", "cambricon"),
        ("CSI Artificial Intelligence Index", "csi-ai"),
        ("Hang Seng Biotechnology Index", "hs-biotech"),
        ("昆仑", "kunlun"),
        ("Ernie X1.1", "ernie"),
        ("BofA Global Research", "bofa"),
        ("吴淑华", "winnie-wu"),
        ("邵杰", "jack-siu"),
        ("GAM Holdings", "gam"),
        ("Invesco QQQ Trust", "qqq"),
        ("KWEB", "kweb"),
    ],
)
def test_lookup_by_any_name(by_name, name, entity_id):
    assert by_name[name.casefold()] == entity_id


def test_parents_and_flags(catalog):
    entities = catalog.by_id()
    assert entities["qwen"].parent == "alibaba" and entities["qwen"].type == "ai_model"
    assert entities["h20"].parent == "nvidia" and entities["h20"].type == "chip"
    assert entities["winnie-wu"].parent == "bofa" and entities["winnie-wu"].type == "person"
    assert entities["alibaba"].chinese and entities["kweb"].chinese and entities["csrc"].chinese
    assert not entities["nvidia"].chinese and not entities["qqq"].chinese


def test_common_words_are_only_exact_aliases(catalog):
    entities = catalog.by_id()
    assert "Ernie" in entities["ernie"].exact_aliases
    assert "Ascend" in entities["ascend"].exact_aliases
    assert "Meta" in entities["meta"].exact_aliases
    assert "US" in entities["united-states"].exact_aliases
    loose = {name.casefold() for e in catalog.entities for name in (e.name, *e.aliases)}
    for word in ("ernie", "ascend", "meta", "us", "ant", "fed", "spy", "chinese", "oracle", "arm"):
        assert word not in loose, word


# ----------------------------------------------------------------- bad catalogs

GOOD_ENTITY = """\
  - id: alibaba
    name: Alibaba Group
    type: company
    aliases: [Alibaba]
"""


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "entities.yaml"
    path.write_text('version: "test"\nentities:\n' + body, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "body, message",
    [
        (GOOD_ENTITY.replace("type: company", "type: company\n    ticker: BABA"), "ticker"),
        (GOOD_ENTITY + GOOD_ENTITY.replace("aliases: [Alibaba]", "aliases: [Ali]"), "duplicate entity id 'alibaba'"),
        (
            GOOD_ENTITY + "  - id: ant\n    name: Ant Group\n    type: company\n    aliases: [alibaba]\n",
            "'alibaba' belongs to both 'alibaba' and 'ant'",
        ),
        (
            GOOD_ENTITY + "  - id: qwen\n    name: Qwen\n    type: ai_model\n    parent: alibaba-group\n",
            "parent 'alibaba-group' is not in the catalog",
        ),
        (GOOD_ENTITY.replace("type: company", "type: startup"), "type"),
        (GOOD_ENTITY.replace("id: alibaba", "id: Alibaba"), "must be lowercase"),
    ],
    ids=["unknown-key", "duplicate-id", "shared-name", "unknown-parent", "bad-type", "bad-id"],
)
def test_bad_catalog_raises_config_error_naming_the_file(tmp_path, body, message):
    path = _write(tmp_path, body)
    with pytest.raises(ConfigError) as excinfo:
        load_catalog(path)
    assert str(path) in str(excinfo.value)
    assert message in str(excinfo.value)


def test_shared_exact_alias_is_allowed(tmp_path):
    body = (
        GOOD_ENTITY.replace("aliases: [Alibaba]", "exact_aliases: [Ali]")
        + "  - id: ali-bank\n    name: Ali Bank\n    type: bank\n    exact_aliases: [Ali]\n"
    )
    assert len(load_catalog(_write(tmp_path, body)).entities) == 2


def test_missing_and_malformed_files_raise_config_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_catalog(tmp_path / "nope.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: x\nentities: [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken\.yaml"):
        load_catalog(broken)


# ----------------------------------------------------------------- issue 10: the catalog at index scale


def test_issue_10_index_constituents_are_included(catalog):
    members = Counter(index for entity in catalog.entities for index in entity.indices)
    assert members["S&P 500"] >= 400 and members["NASDAQ 100"] >= 60  # the rest are hand-made in entities.yaml
    assert members["Hang Seng"] >= 10 and members["CSI 300"] >= 20 and members["STAR 50"] >= 5
    assert len(catalog.entities) >= 1500


@pytest.mark.parametrize("entity_id", ["tokyo-electron", "nexperia", "equinix", "vertiv", "gds-holdings", "vnet"])
def test_issue_10_requested_entities_exist(catalog, entity_id):
    assert entity_id in catalog.by_id()


def test_issue_10_parents_and_subsidiaries_are_apart(catalog, by_name):
    entities = catalog.by_id()
    assert by_name["tencent music"] == "tencent-music" and by_name["腾讯音乐"] == "tencent-music"
    assert entities["tencent-music"].parent == "tencent" and by_name["tencent"] == "tencent"
    assert entities["alibaba-health"].parent == "alibaba" and entities["nexperia"].parent == "wingtech"


def test_issue_10_common_word_names_are_ner_gated_and_word_tickers_ambiguous(catalog):
    entities = catalog.by_id()
    for entity_id, word in (
        ("target", "Target"),
        ("gap", "Gap"),
        ("ball", "Ball"),
        ("visa", "Visa"),
        ("block", "Block"),
        ("ford", "Ford"),
    ):
        entity = entities[entity_id]
        assert word in entity.ner_aliases and word not in (entity.name, *entity.aliases), entity_id
    ford = {listing.symbol: listing for listing in entities["ford"].listings}
    assert ford["F"].ambiguous and ford["F"].exchange == "NYSE"


def test_issue_10_include_that_is_missing_names_the_file(tmp_path):
    path = tmp_path / "entities.yaml"
    path.write_text('version: "test"\nincludes: [catalog/none.json]\nentities:\n' + GOOD_ENTITY, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"none\.json"):
        load_catalog(path)


def test_issue_10_include_adds_entities(tmp_path):
    (tmp_path / "extra.json").write_text(
        '{"entities": [{"id": "gap", "name": "Gap Inc.", "type": "company", "ner_aliases": ["Gap"]}]}', encoding="utf-8"
    )
    path = tmp_path / "entities.yaml"
    path.write_text('version: "test"\nincludes: [extra.json]\nentities:\n' + GOOD_ENTITY, encoding="utf-8")
    assert [e.id for e in load_catalog(path).entities] == ["alibaba", "gap"]
