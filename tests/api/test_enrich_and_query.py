"""Enrichment into the store, re-enrichment after a catalog change, and the query commands."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import copy_store, imported_store, query
from sample_articles import ARTICLES

from narrative import api
from narrative.catalog import models_dir
from narrative.cli import cli
from narrative.nlp.extractor_version import EXTRACTOR_VERSION


@pytest.fixture(scope="module")
def enriched_template(tmp_path_factory) -> Path:
    """The three articles imported and enriched once per module; tests get copies (``store``), never this."""
    return imported_store(tmp_path_factory.mktemp("store"), ARTICLES)


@pytest.fixture
def store(enriched_template, tmp_path) -> str:
    """This test's own copy of the enriched store: what one test writes, no other test sees."""
    return copy_store(enriched_template, tmp_path)


def test_enrich_stores_stamped_rows_for_every_table(store):
    for table in ("sentences", "mentions", "people", "figures", "phrase_hits", "enrichments"):
        assert query(store, f"SELECT count(*) FROM {table}")[0][0] > 0, table
        versions = {v for (v,) in query(store, f"SELECT DISTINCT extractor_version FROM {table}")}
        assert len(versions) == 1 and next(iter(versions)).startswith(f"{EXTRACTOR_VERSION}+"), table
    assert query(store, "SELECT count(*) FROM entities")[0][0] >= 150


def test_enrich_again_has_nothing_to_do(store):
    assert api.enrich(db_path=store).articles == 0


def test_enrich_after_a_catalog_change_replaces_rows_atomically(store, tmp_path):
    catalog = yaml.safe_load((models_dir() / "entities.yaml").read_text(encoding="utf-8"))
    catalog["version"] = "test-changed"
    catalog["includes"] = [str(models_dir() / name) for name in catalog.get("includes", [])]  # copied elsewhere
    changed = tmp_path / "entities.yaml"
    changed.write_text(yaml.safe_dump(catalog, allow_unicode=True), encoding="utf-8")
    before = query(store, "SELECT count(*) FROM mentions")[0][0]
    summary = api.enrich(db_path=store, catalog_path=str(changed))
    assert summary.articles == 3 and "test-changed" in summary.version
    assert query(store, "SELECT DISTINCT extractor_version FROM mentions") == [(summary.version,)]
    assert query(store, "SELECT count(*) FROM mentions")[0][0] == before
    api.enrich(db_path=store)  # and back: the shipped catalog's version replaces the changed one's rows
    assert query(store, "SELECT DISTINCT catalog_version FROM entities") != [("test-changed",)]


def test_mentions_by_any_alias_or_ticker(store):
    by_name = api.mentions("Alibaba", db_path=store)
    for alias in ("BABA", "9988.HK", "阿里巴巴集团", "alibaba group holding limited"):
        assert api.mentions(alias, db_path=store)["article_id"].tolist() == by_name["article_id"].tolist()
    assert set(by_name["article_id"]) == {1, 3}
    assert api.mentions("Alibaba", db_path=store, until="2025-09-19")["article_id"].unique().tolist() == [1]


def test_figures_about_an_entity(store):
    frame = api.figures("BABA", db_path=store)
    got = {(row.value, row.unit, row.period) for row in frame.itertuples()}
    assert {(8.0, "%", "1D"), (95.0, "%", "YTD"), (36.0, "%", "1M")} <= got
    assert set(api.figures("Baidu", db_path=store)["direction"]) == {"down"}


def test_entities_top_list(store):
    frame = api.entities(db_path=store, linked_only=True)
    assert frame.iloc[0]["entity_id"] == "alibaba"


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_cli_mentions_json_carries_the_promised_keys(store):
    result = run("mentions", "BABA", "--db", store, "--format", "json")
    rows = json.loads(result.stdout)
    assert rows and {"entity_id", "entity", "surface", "article_id", "url", "published", "sentence"} <= set(rows[0])
    assert rows[0]["entity_id"] == "alibaba"


def test_cli_figures_csv_and_entities_table(store):
    csv_out = run("figures", "Alibaba", "--db", store, "--format", "csv").stdout
    assert csv_out.splitlines()[0].startswith("subject_entity_id,subject,value,value_high,unit,kind,direction,period")
    assert "Alibaba Group" in run("entities", "--db", store).stdout


def test_cli_unknown_entity_and_bad_dates_exit_2(store):
    unknown = run("mentions", "Alibabba", "--db", store)
    assert unknown.exit_code == 2 and "unknown entity 'Alibabba'" in unknown.stderr and "Alibaba" in unknown.stderr
    bad = run("mentions", "Alibaba", "--db", store, "--since", "last tuesday")
    assert bad.exit_code == 2 and "'last tuesday' is not a valid date" in bad.stderr
    missing = run("figures", "--db", str(Path(store).parent / "nope.db"))
    assert missing.exit_code == 2 and "no such database" in missing.stderr


def test_serve_canned_queries_answer(store):
    from narrative.serve import datasette_app

    ds = datasette_app(store)
    name = Path(store).stem

    async def get(path):
        return await ds.client.get(path)

    response = asyncio.run(get(f"/{name}/mentions.json?entity=BABA&_shape=array"))
    assert response.status_code == 200 and {row["entity"] for row in response.json()} == {"Alibaba Group"}
    response = asyncio.run(get(f"/{name}/figures.json?entity=alibaba&_shape=array"))
    assert response.status_code == 200 and len(response.json()) >= 3
    response = asyncio.run(get(f"/{name}/articles.json?_search=Baidu&_shape=array"))
    assert [row["id"] for row in response.json()] == [2]
