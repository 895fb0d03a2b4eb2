"""Plugins (issue 13 item 2): pluggy hooks, the built-ins as default plugins, entry points, `narrative plugins`.

Fake plugins are registered and unregistered through ``plugins.pm`` around each test, as llm's and
datasette's tests do.
"""

from __future__ import annotations

import doctest
import sqlite3
import sys
from pathlib import Path
from typing import ClassVar

import click
import pytest
import yaml
from click.testing import CliRunner
from minimal_narrative import minimal_narrative

from narrative import plugins
from narrative.catalog import load_narratives, models_dir
from narrative.cli import cli
from narrative.errors import ConfigError, InputError
from narrative.hookspecs import hookimpl
from narrative.market import providers

BARS = [
    {"date": "2025-09-01", "open": 10.0, "high": 11.0, "low": 9.5, "close": 10.5, "adj_close": 10.5, "volume": 1000.0},
    {"date": "2025-09-02", "open": 10.5, "high": 12.0, "low": 10.0, "close": 11.5, "adj_close": 11.5, "volume": 1200.0},
]
NARRATIVE = minimal_narrative(
    id="plugin-theme", name="A plugin's theme", description="A narrative shipped by a plugin package."
)


class FakeProvider:
    name = "fake.v1"
    calls: ClassVar[list[tuple[str, str | None, str | None]]] = []  # one record for every instance

    def fetch(self, ticker, *, start=None, end=None):
        FakeProvider.calls.append((ticker, start, end))
        return [dict(bar) for bar in BARS]


class FakePlugin:
    __name__ = "FakePlugin"

    def __init__(self, narratives: Path | None = None):
        self.narratives = narratives

    @hookimpl
    def register_price_providers(self, register):
        register("fake.v1", FakeProvider)

    @hookimpl
    def register_narrative_folders(self, register):
        if self.narratives is not None:
            register(self.narratives)

    @hookimpl
    def register_importers(self, register):
        register(".tsv", lambda path, **options: iter(()))

    @hookimpl
    def register_commands(self, cli):
        @cli.command(name="hello-plugin")
        def hello():
            click.echo("hello from a plugin")


@pytest.fixture
def fake_plugin(tmp_path):
    folder = tmp_path / "plugin_narratives"
    folder.mkdir()
    (folder / "plugin_theme.yaml").write_text(yaml.safe_dump(NARRATIVE, allow_unicode=True), encoding="utf-8")
    plugins.load_plugins()
    plugins.pm.register(FakePlugin(folder), name="undo")
    try:
        yield folder
    finally:
        plugins.pm.unregister(name="undo")


def test_issue_13_a_third_party_provider_does_not_hide_the_builtin_one(fake_plugin):
    assert providers.available() == ["fake.v1", "yfinance.v1"]
    assert providers.get_provider("yfinance.v1").name == "yfinance.v1"
    assert isinstance(providers.get_provider("fake.v1"), providers.PriceProvider)


def test_plugins_registry_contents_are_pinned():
    """What the built-in default plugins register (spaCy's registry_contents.json idea): a change here is
    a change to the public extension points."""
    hooks = (
        "register_price_providers",
        "register_sentiment_backends",
        "register_stance_backends",
        "register_importers",
    )
    assert {hook: sorted(plugins.registered(hook)) for hook in hooks} == {
        "register_price_providers": ["yfinance.v1"],
        "register_sentiment_backends": ["transformers.v1"],
        "register_stance_backends": ["narrative-scorer.v1"],
        "register_importers": [".csv", ".jsonl", ".ndjson"],
    }
    assert sorted(
        caller.name for caller in plugins.pm.hook.__dict__.values() if hasattr(caller, "get_hookimpls")
    ) == sorted([*hooks, "register_commands", "register_narrative_folders"])


def test_plugins_unregistering_removes_the_provider(tmp_path):
    plugins.load_plugins()
    plugins.pm.register(FakePlugin(), name="undo")
    try:
        assert "fake.v1" in providers.available()
    finally:
        plugins.pm.unregister(name="undo")
    assert providers.available() == ["yfinance.v1"]
    with pytest.raises(InputError, match=r"unknown price provider 'fake.v1'. Available: yfinance.v1"):
        providers.get_provider("fake.v1")


def test_plugins_fake_provider_fetches_prices_into_the_store_through_the_cli(fake_plugin, tmp_path):
    FakeProvider.calls.clear()
    db = tmp_path / "prices.db"
    result = CliRunner().invoke(
        cli, ["prices", "fetch", "FAKE", "--provider", "fake.v1", "--start", "2025-09-01", "--db", str(db)]
    )
    assert result.exit_code == 0, result.output
    assert "2 new rows" in result.output
    assert FakeProvider.calls == [("FAKE", "2025-09-01", None)]
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT date, close, source FROM prices WHERE ticker = 'FAKE' ORDER BY date").fetchall()
    finally:
        conn.close()
    assert rows == [("2025-09-01", 10.5, "fake.v1"), ("2025-09-02", 11.5, "fake.v1")]


def test_plugins_a_name_registered_twice_names_both_plugins(fake_plugin):
    class Clash:
        __name__ = "Clash"

        @hookimpl
        def register_price_providers(self, register):
            register("yfinance.v1", FakeProvider)

    plugins.pm.register(Clash(), name="clash")
    try:
        with pytest.raises(ConfigError, match=r"'yfinance.v1' is registered by both .*(clash|providers)"):
            providers.available()
    finally:
        plugins.pm.unregister(name="clash")


def test_plugins_narrative_folder_plugin_adds_its_folder_after_the_shipped_one(fake_plugin):
    folders = plugins.narrative_dirs()
    assert folders[0] == (models_dir() / "narratives").resolve()
    assert folders[-1] == fake_plugin.resolve()
    assert [n.id for n in load_narratives(folders[-1])] == ["plugin-theme"]


def test_plugins_narratives_from_a_plugin_folder_are_loaded_scored_and_versioned(fake_plugin):
    loaded = {n.id: n for n in load_narratives()}
    assert {"china-ai", "ai-capex", "plugin-theme"} <= set(loaded)
    assert loaded["plugin-theme"].path == str(fake_plugin / "plugin_theme.yaml")
    assert len(loaded["plugin-theme"].version) == 12


def test_plugins_two_files_with_one_narrative_id_are_a_config_error_naming_both(fake_plugin, tmp_path, monkeypatch):
    home = tmp_path / "home"
    (home / "narratives").mkdir(parents=True)
    (home / "narratives" / "plugin_theme.yaml").write_text(
        yaml.safe_dump(NARRATIVE, allow_unicode=True), encoding="utf-8"
    )
    monkeypatch.setenv("NARRATIVE_HOME", str(home))
    with pytest.raises(
        ConfigError,
        match=r"plugin_theme.yaml: narrative id 'plugin-theme' is already defined by .*"
        r"home/narratives/plugin_theme.yaml",
    ):
        load_narratives()


def test_plugins_narrative_home_narratives_folder_is_registered_when_it_exists(tmp_path, monkeypatch):
    home = tmp_path / "user-home"
    monkeypatch.setenv("NARRATIVE_HOME", str(home))
    assert plugins.home_dir() == home
    assert (home / "narratives").resolve() not in plugins.narrative_dirs()
    (home / "narratives").mkdir(parents=True)
    assert plugins.narrative_dirs() == [(models_dir() / "narratives").resolve(), (home / "narratives").resolve()]


def test_plugins_home_dir_defaults_to_the_platform_user_data_dir(monkeypatch):
    from platformdirs import user_data_dir

    monkeypatch.delenv("NARRATIVE_HOME", raising=False)
    assert plugins.home_dir() == Path(user_data_dir("narrative", appauthor=False))


def test_plugins_importers_builtin_and_from_a_plugin(fake_plugin):
    assert {".csv", ".jsonl", ".ndjson", ".tsv"} <= set(plugins.registered("register_importers"))
    assert plugins.importer_for("a/b/News.JSONL").plugin == plugins.BUILTINS_NAME
    assert plugins.importer_for("x.tsv").plugin == "undo"
    with pytest.raises(
        InputError, match=r"x.xlsx: unsupported archive format '.xlsx'. Use a .csv, .jsonl, .ndjson, .tsv"
    ):
        plugins.importer_for("x.xlsx")


def test_plugins_import_archive_reads_through_a_plugin_importer(fake_plugin, tmp_path):
    from narrative.api.imports import import_archive

    archive = tmp_path / "empty.tsv"
    archive.write_text("anything the plugin reads\n", encoding="utf-8")
    summary = import_archive(str(archive), db_path=str(tmp_path / "n.db"), enrich=False)
    assert (summary.rows, summary.problems) == (0, [])  # before the wiring: "unsupported archive format"


def test_plugins_builtin_importer_reads_an_archive(tmp_path):
    archive = tmp_path / "a.csv"
    archive.write_text(
        "title,url,published\nAlibaba rises,https://example.test/a,2025-09-01T08:00:00Z\n", encoding="utf-8"
    )
    rows = list(plugins.importer_for(archive).value(archive))
    assert [(r.line, r.title, r.url) for r in rows] == [(2, "Alibaba rises", "https://example.test/a")]


def test_plugins_builtin_stance_backend_loads_the_shipped_scorer():
    scorer = plugins.stance_backend("narrative-scorer.v1")(None)
    assert scorer.version.startswith("nscore-")
    with pytest.raises(InputError, match=r"unknown stance backend 'x.v1'. Available: narrative-scorer.v1"):
        plugins.stance_backend("x.v1")
    with pytest.raises(InputError, match=r"unknown sentiment backend 'x.v1'. Available: transformers.v1"):
        plugins.sentiment_backend("x.v1")


class FakeSentiment:
    version = "fake-sentiment-1"

    def __init__(self, path, quantize):
        self.path, self.quantize = path, quantize


class FakeModels:
    __name__ = "FakeModels"

    @hookimpl
    def register_sentiment_backends(self, register):
        register("fake-sentiment.v1", lambda path, *, quantize: FakeSentiment(path, quantize))

    @hookimpl
    def register_stance_backends(self, register):
        register("fake-stance.v1", lambda folder: ("fake stance", folder))


def test_plugins_a_registered_backend_name_chooses_the_backend_anything_else_the_builtin():
    plugins.load_plugins()
    plugins.pm.register(FakeModels(), name="undo")
    try:
        model = plugins.load_sentiment_model("fake-sentiment.v1", quantize=True)
        assert (type(model), model.path, model.quantize) == (FakeSentiment, None, True)
        assert plugins.load_stance_model("fake-stance.v1") == ("fake stance", None)
        # a folder goes to the built-in loaders, which say what is wrong with it
        with pytest.raises(ConfigError, match=r"/no/such/model: not a model directory"):
            plugins.load_sentiment_model("/no/such/model")
        assert plugins.load_stance_model(None).version.startswith("nscore-")
    finally:
        plugins.pm.unregister(name="undo")
    assert sorted(plugins.registered("register_sentiment_backends")) == ["transformers.v1"]


def test_plugins_the_scoring_api_loads_models_through_the_backends(monkeypatch):
    import importlib

    score = importlib.import_module("narrative.api.score")  # the module; narrative.api.score is also a function
    monkeypatch.setattr(score, "_MODELS", {})
    monkeypatch.setattr(score, "_SCORERS", {})
    plugins.load_plugins()
    plugins.pm.register(FakeModels(), name="undo")
    try:
        assert type(score.sentiment_model("fake-sentiment.v1", quantize=False)) is FakeSentiment
        assert score.narrative_scorer("fake-stance.v1") == ("fake stance", None)
    finally:
        plugins.pm.unregister(name="undo")


def test_plugins_register_commands_adds_a_plugin_command(fake_plugin):
    group = click.Group("narrative")
    plugins.register_commands(group)
    result = CliRunner().invoke(group, ["hello-plugin"])
    assert result.exit_code == 0 and result.output == "hello from a plugin\n"


def test_plugins_cli_lists_third_party_plugins_and_with_all_the_builtins(fake_plugin):
    import json

    runner = CliRunner()
    listed = json.loads(runner.invoke(cli, ["plugins", "--format", "json"]).output)
    assert listed == [
        {
            "name": "undo",
            "hooks": [
                "register_commands",
                "register_importers",
                "register_narrative_folders",
                "register_price_providers",
            ],
            "version": None,
        }
    ]
    result = runner.invoke(cli, ["plugins", "--all", "--format", "csv"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == "name,hooks,version"
    assert lines[1].startswith("narrative.market.providers,register_price_providers,")
    assert any(
        line.startswith(
            'narrative.plugins.builtins,"register_importers, register_narrative_folders, '
            'register_sentiment_backends, register_stance_backends",'
        )
        for line in lines
    )


def test_plugins_entry_point_group_loads_an_installed_package(tmp_path, monkeypatch):
    """A package found through the ``narrative`` entry-point group, as pip would install it."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "narrative_fake_prices.py").write_text(
        "from narrative.hookspecs import hookimpl\n\n"
        "class Provider:\n    name = 'entry.v1'\n\n    def fetch(self, ticker, *, start=None, end=None):\n"
        "        return []\n\n\n@hookimpl\ndef register_price_providers(register):\n"
        "    register('entry.v1', Provider)\n",
        encoding="utf-8",
    )
    dist = site / "narrative_fake_prices-0.3.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: narrative-fake-prices\nVersion: 0.3\n", encoding="utf-8"
    )
    (dist / "entry_points.txt").write_text("[narrative]\nfake_prices = narrative_fake_prices\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(site))
    plugins.load_plugins()
    try:
        assert plugins.load_entrypoint_plugins() >= 1
        assert "entry.v1" in providers.available()
        listed = {row["name"]: row for row in plugins.list_plugins()}
        assert listed["fake_prices"] == {"name": "fake_prices", "hooks": ["register_price_providers"], "version": "0.3"}
    finally:
        plugins.pm.unregister(name="fake_prices")
        sys.modules.pop("narrative_fake_prices", None)
    assert "entry.v1" not in providers.available()


def test_plugins_entry_points_are_not_loaded_under_pytest():
    assert getattr(sys, "_called_from_test", False)
    plugins.load_plugins()
    assert [
        name
        for name, _ in plugins.pm.list_name_plugin()
        if name not in plugins.DEFAULT_PLUGINS and name != plugins.BUILTINS_NAME
    ] == []


def test_models_cli_path_names_the_models_folder_and_the_home(tmp_path, monkeypatch):
    runner = CliRunner()
    assert runner.invoke(cli, ["models", "path"]).output == f"{models_dir()}\n"
    assert (models_dir() / "entities.yaml").is_file()
    assert runner.invoke(cli, ["models", "path", "--home"]).output == f"{tmp_path / 'home'}\n"
    monkeypatch.setenv("NARRATIVE_MODELS", str(tmp_path / "elsewhere"))
    assert runner.invoke(cli, ["models", "path"]).output == f"{tmp_path / 'elsewhere'}\n"


def test_models_cli_list_shows_the_catalog_models_and_narrative_folders(fake_plugin):
    import json

    result = CliRunner().invoke(cli, ["models", "list", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {(row["what"], Path(row["path"]).name): row["files"] for row in json.loads(result.output)}
    assert rows[("catalog", "entities.yaml")] == 1
    assert rows[("model sentiment", "sentiment")] >= 3
    assert rows[("narratives", "narratives")] >= 3
    assert rows[("narratives", "plugin_narratives")] == 1


@pytest.mark.parametrize("module", [plugins, providers])
def test_plugins_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
