"""Issue 14 item 4 / issue 12 item 3: the query commands answer at 2M articles without the heavy paths, and the
light paths print exactly what the heavy ones did (rich's table drawn directly: tests/cli/test_fast_table.py): the
UTC-day index from the stored days, entity names from the cached catalog names. (Timings are
scripts/bench_scale.py's, never asserted here.)"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from narrative import api
from narrative.api.aggregates import refresh_aggregates
from narrative.api.index import DAY_COLUMNS, index_day_records
from narrative.api.query import catalog_names, resolve_entity
from narrative.cli import cli
from narrative.errors import ConfigError, InputError
from narrative.market.index import COLUMNS
from narrative.store import open_db
from tests.store.test_aggregates import NARRATIVE, filled_store


@pytest.fixture
def store(tmp_path):
    return filled_store(tmp_path / "scale.db")


def _index_outputs(path):
    runner = CliRunner()
    outputs = {}
    for fmt in ("table", "csv", "json"):
        for precision in ("all", "exact"):
            for window in ([], ["--from", "2025-02-27"], ["--from", "2025-03-02", "--to", "2025-03-05"]):
                argv = ["index", "--narrative", NARRATIVE, "--precision", precision, *window, "--format", fmt]
                result = runner.invoke(cli, [*argv, "--db", path])
                assert result.exit_code == 0, result.output
                outputs[" ".join(argv)] = result.output
    return outputs


def test_issue_12_index_from_stored_days_prints_what_the_computed_index_printed(store):
    assert DAY_COLUMNS == COLUMNS
    assert index_day_records(NARRATIVE, db_path=store) is None  # days not refreshed yet: the frame answers
    computed = _index_outputs(store)
    db = open_db(store)
    refresh_aggregates(db)
    db.close()
    records = index_day_records(NARRATIVE, db_path=store)
    assert records is not None and records[0]["date"] == "2025-03-01"
    assert {r["date"] for r in records if r["attention"] == 0} == {"2025-03-03", "2025-03-05", "2025-03-06"}  # quiet
    assert _index_outputs(store) == computed
    rows = json.loads(computed[f"index --narrative {NARRATIVE} --precision all --format json"])["rows"]
    assert rows == records


def test_issue_12_catalog_names_follow_the_catalog_file_and_its_errors(tmp_path, monkeypatch):
    catalog = tmp_path / "entities.yaml"
    catalog.write_text(
        "version: '1'\nentities:\n  - id: acme\n    name: Acme Corp\n    type: company\n    aliases: [Acme]\n",
        encoding="utf-8",
    )
    assert resolve_entity("ACME", catalog_path=str(catalog)) == ("acme", "Acme Corp")
    assert len(list((tmp_path / "home" / "cache").glob("catalog_names-*.json"))) == 1
    assert catalog_names(str(catalog))["first"]["acme"] == ["acme", "Acme Corp"]  # from the cache now
    catalog.write_text(
        "version: '2'\nentities:\n  - id: acme\n    name: Acme Corp\n    type: company\n    aliases: [Acme, ACM]\n"
        "  - id: bolt\n    name: Bolt Ltd\n    type: company\n",
        encoding="utf-8",
    )
    assert resolve_entity("acm", catalog_path=str(catalog)) == ("acme", "Acme Corp")
    assert resolve_entity("bolt", catalog_path=str(catalog)) == ("bolt", "Bolt Ltd")
    with pytest.raises(InputError, match="Bolt Ltd"):
        resolve_entity("Bolt Ltdd", catalog_path=str(catalog))  # close matches named from the cached names
    catalog.write_text("version: '3'\nentities:\n  - id: Bad Id\n    name: X\n    type: company\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        resolve_entity("acme", catalog_path=str(catalog))  # a catalog that no longer validates fails as before


def test_issue_12_shipped_catalog_resolves_as_the_catalog_does():
    from narrative.catalog import load_catalog

    entities = load_catalog().entities
    first_with = {}  # each name (casefolded) -> the first entity in catalog order that has it
    for entity in entities:
        for name in entity.names():
            first_with.setdefault(name.casefold(), entity)
    for entity in entities[:200]:
        for name in entity.names():
            first = first_with[name.casefold()]
            assert resolve_entity(name) == (first.id, first.name), name


def test_issue_12_cli_tables_of_entities_and_figures_match_the_frames(store):
    db = open_db(store)
    refresh_aggregates(db)
    db.close()
    runner = CliRunner()
    for argv, frame, columns in (
        (["entities"], api.entities(db_path=store), ["entity", "type", "mentions", "articles"]),
        (["figures", "--limit", "5"], api.figures(db_path=store, limit=5), ["published", "value", "unit"]),
    ):
        result = runner.invoke(cli, [*argv, "--db", store])
        assert result.exit_code == 0, result.output
        for row in frame.astype(object).where(frame.notna(), None).to_dict("records"):
            assert all(str(row[c]) in result.output for c in columns if row[c] is not None), row


def test_issue_12_default_narrative_is_kept_until_the_narrative_folders_change(tmp_path):
    from narrative.api.index import default_narrative_id
    from narrative.catalog import models_dir, resolve_narrative_id

    assert default_narrative_id() == resolve_narrative_id()
    assert len(list((tmp_path / "home" / "cache").glob("default_narrative-*.json"))) == 1
    assert default_narrative_id() == resolve_narrative_id()  # from the cache
    # A user's narrative folder appears with a second default: both now fail alike (E057), nothing stale is served.
    mine = tmp_path / "home" / "narratives"
    mine.mkdir(parents=True)
    text = (models_dir() / "narratives" / "ai_capex.yaml").read_text(encoding="utf-8")
    (mine / "my_theme.yaml").write_text(
        text.replace("id: ai-capex", "id: my-theme", 1) + "\ndefault: true\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError):
        resolve_narrative_id()
    with pytest.raises(ConfigError):
        default_narrative_id()


def test_issue_12_fast_table_cuts_long_words_and_fills_fitting_rows_as_rich_does():
    from narrative.cli.output import fast_table
    from tests.cli.test_fast_table import _rich_lines

    columns = ["date", *DAY_COLUMNS]
    rows = [
        {c: None for c in columns} | {"date": f"2025-03-{day:02d}", "attention": day * 7, "net": -0.1234 * day}
        for day in range(1, 12)
    ]
    for row in rows[::3]:
        row.update(first_published=f"{row['date']}T09:3{len(row['date']) % 10}:00+00:00", stance_stories=0.25)
    rows[4]["first_published"] = "not a timestamp but words that wrap over the narrow column"
    for width in (60, 120, 160, 400):
        assert fast_table(rows, columns, width=width) == _rich_lines(rows, columns, width), width
    narrow = [{"a": "x" * n, "b": n} for n in range(1, 6)]
    assert fast_table(narrow, ["a", "b"], width=400) == _rich_lines(narrow, ["a", "b"], 400)  # one format per row


def test_issue_12_default_narrative_cache_follows_installed_distributions(tmp_path, monkeypatch):
    from narrative.api.index import default_narrative_id

    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    cache = tmp_path / "home" / "cache"
    first = default_narrative_id()
    assert len(list(cache.glob("default_narrative-*.json"))) == 1
    (site / "__pycache__").mkdir()  # Python's own writes in the folder change nothing
    assert default_narrative_id() == first and len(list(cache.glob("default_narrative-*.json"))) == 1
    (site / "narrative_theme_plugin-0.1.dist-info").mkdir()  # a package installed: looked up again
    assert default_narrative_id() == first and len(list(cache.glob("default_narrative-*.json"))) == 2
