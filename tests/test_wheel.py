"""Runs from a wheel (issue 13 item 1): build the wheel, install it in a fresh venv, run it elsewhere.

Offline by construction: ``pip wheel --no-deps --no-build-isolation`` with the project venv's
setuptools, then ``pip install --no-deps --no-index`` into a venv that sees the project venv's
site-packages through a ``.pth`` line (a path line, so the editable install's own ``.pth`` there is
not run: ``import narrative`` finds the wheel's copy). Every command runs from a temporary folder with
no checkout in sight. About two minutes, mostly loading the models; deselect locally
with ``-m "not wheel"``; ``.ci/run`` runs it.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from conftest import make_items, rss, static, write_feeds

pytestmark = [pytest.mark.wheel, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[1]
BUILD_INPUTS = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md")
ARCHIVE = (
    "title,url,published,text\n"
    '"Alibaba shares jumped 8% after its Qwen model topped benchmarks",https://example.test/a,2025-09-01T08:00:00Z,'
    '"Alibaba shares jumped 8% on Monday after its Qwen model topped open benchmarks, analysts said."\n'
    '"Nvidia barred from selling H20 chips to China",https://example.test/b,2025-09-02T09:30:00Z,'
    '"US officials told Nvidia it needs a licence to ship H20 chips to Chinese customers."\n'
)
PLUGIN_MODULE = """
from narrative.hookspecs import hookimpl


class ConstantProvider:
    name = "constant.v1"

    def fetch(self, ticker, *, start=None, end=None):
        return [{"date": "2025-09-01", "open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0, "adj_close": 1.0,
                 "volume": 0.0}]


@hookimpl
def register_price_providers(register):
    register("constant.v1", ConstantProvider)
"""
PLUGIN_PYPROJECT = """
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "narrative-constant-prices"
version = "0.2.0"

[project.entry-points.narrative]
constant_prices = "narrative_constant_prices"

[tool.setuptools]
py-modules = ["narrative_constant_prices"]
"""


class Installed:
    """The wheel, the venv it is installed in, and a way to run its commands from another folder."""

    def __init__(self, root: Path):
        self.root = root
        self.venv = root / "venv"
        self.python = self.venv / "bin" / "python"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("NARRATIVE_", "PYTHON"))}
        self.env.update(NARRATIVE_HOME=str(root / "home"), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
        self.wheel: Path | None = None
        self.purelib: Path | None = None

    def run(self, *args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [str(self.venv / "bin" / "narrative"), *args],
            cwd=cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if check:
            assert result.returncode == 0, f"narrative {' '.join(args)}: {result.returncode}\n{result.stderr}"
        return result


def _sh(*args, cwd: Path | None = None) -> str:
    result = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{args}: {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _build_wheel(source: Path, dist: Path) -> Path:
    _sh(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "--disable-pip-version-check",
        "-q",
        "-w",
        dist,
        source,
    )
    wheels = list(dist.glob("*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    root = tmp_path_factory.mktemp("wheel")
    inst = Installed(root)
    # Build from a copy of what the build reads: a stale build/ in the checkout cannot leak in.
    source = root / "source"
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    shutil.copytree(REPO / "src" / "narrative", source / "src" / "narrative", ignore=skip)
    shutil.copytree(REPO / "models", source / "models", ignore=skip)
    for name in BUILD_INPUTS:
        shutil.copy2(REPO / name, source / name)
    inst.wheel = _build_wheel(source, root / "dist")

    _sh(sys.executable, "-m", "venv", "--without-pip", inst.venv)
    inst.purelib = Path(_sh(inst.python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
    deps = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (inst.purelib / "_narrative_test_deps.pth").write_text("\n".join(deps) + "\n", encoding="utf-8")
    _sh(
        sys.executable,
        "-m",
        "pip",
        "--python",
        inst.python,
        "install",
        "--no-deps",
        "--no-index",
        "--disable-pip-version-check",
        "-q",
        inst.wheel,
    )
    return inst


@pytest.fixture
def elsewhere(tmp_path) -> Path:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    return folder


def test_issue_13_wheel_ships_the_models_and_the_template(installed):
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    shipped = {
        p.relative_to(REPO).as_posix()
        for p in (REPO / "models").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert {
        "models/entities.yaml",
        "models/sentiment/model.int8.onnx",
        "models/sentiment/tokenizer.json",
        "models/narrative_scorer/heads.json",
    } <= shipped
    assert {f"narrative/{name}" for name in shipped} <= names
    assert {"narrative/report/template.html", "narrative/py.typed", "narrative/hookspecs.py"} <= names


def test_issue_13_installed_package_reads_its_own_models_not_the_checkout(installed, elsewhere):
    out = _sh(
        installed.python,
        "-c",
        "import narrative, narrative.catalog as c; print(narrative.__file__); print(c.models_dir())",
        cwd=elsewhere,
    ).splitlines()
    assert Path(out[0]).is_relative_to(installed.purelib)
    assert Path(out[1]) == installed.purelib / "narrative" / "models"
    assert installed.run("models", "path", cwd=elsewhere).stdout.strip() == out[1]


def test_issue_13_every_command_loads_from_the_wheel(installed, elsewhere):
    script = (
        "from click.testing import CliRunner\nfrom narrative.cli import cli\n"
        "names = sorted(cli.load_all())\n"
        "for name in names:\n"
        "    result = CliRunner().invoke(cli, [name, '--help'])\n"
        "    assert result.exit_code == 0, (name, result.output)\n"
        "print(' '.join(names))\n"
    )
    names = _sh(installed.python, "-c", script, cwd=elsewhere).split()
    assert {"analyze", "enrich", "import", "ingest", "plugins", "models", "report", "validate"} <= set(names)


def test_issue_13_analyze_import_and_enrich_run_from_the_wheel(installed, elsewhere):
    # One process for the three commands that load the models (CliRunner, the same click entry point as the
    # console script, which the other tests run), so the models load once.
    (elsewhere / "archive.csv").write_text(ARCHIVE, encoding="utf-8")
    script = (
        "import json, sys\nfrom click.testing import CliRunner\nfrom narrative.cli import cli\n"
        "out = {}\n"
        "for key, args in [('analyze', ['analyze', sys.argv[1], '--format', 'jsonl']),\n"
        "                  ('import', ['import', 'archive.csv', '--no-enrich']), ('enrich', ['enrich'])]:\n"
        "    result = CliRunner().invoke(cli, args)\n"
        "    out[key] = [result.exit_code, result.output]\n"
        "print(json.dumps(out))\n"
    )
    result = subprocess.run(
        [str(installed.python), "-c", script, "Alibaba shares jumped 8% after its Qwen model topped benchmarks."],
        cwd=elsewhere,
        env=installed.env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.splitlines()[-1])
    assert [out[key][0] for key in ("analyze", "import", "enrich")] == [0, 0, 0], out

    row = json.loads(out["analyze"][1].splitlines()[0])
    assert row["narrative"] == "china-ai"
    assert {e["id"] for e in row["entities"]} >= {"alibaba", "qwen"}
    assert row["sentences"][0]["sentiment"]["label"] == "positive"
    assert row["relevance"] > 0.5

    assert "2 new articles" in out["import"][1]
    assert "enriched 2 articles" in out["enrich"][1] and "scored 2 articles" in out["enrich"][1]
    conn = sqlite3.connect(elsewhere / "narrative.db")
    try:
        entities = {r[0] for r in conn.execute("SELECT DISTINCT entity_id FROM mentions")}
        scores = conn.execute("SELECT narrative, model_version FROM article_scores ORDER BY article_id").fetchall()
    finally:
        conn.close()
    assert {"alibaba", "qwen", "nvidia"} <= entities
    assert [narrative for narrative, _ in scores] == ["china-ai", "china-ai"]
    assert all("sentiment@" in version for _, version in scores)


def test_issue_13_ingest_and_validate_run_from_the_wheel(installed, elsewhere, server):
    server.routes["/feed.xml"] = static(rss(make_items("wheel", 3)))
    write_feeds(elsewhere / "feeds.yaml", [{"name": "loopback", "url": server.url("/feed.xml")}])
    assert "3 new" in installed.run("ingest", "--no-enrich", cwd=elsewhere).stdout
    validated = installed.run("validate", cwd=elsewhere)
    assert str(installed.purelib / "narrative" / "models" / "entities.yaml") in validated.stdout


def test_issue_13_entry_point_plugin_installed_with_pip_is_loaded(installed, elsewhere, tmp_path):
    package = tmp_path / "plugin"
    package.mkdir()
    (package / "pyproject.toml").write_text(PLUGIN_PYPROJECT, encoding="utf-8")
    (package / "narrative_constant_prices.py").write_text(PLUGIN_MODULE, encoding="utf-8")
    plugin_wheel = _build_wheel(package, tmp_path / "dist")
    _sh(
        sys.executable,
        "-m",
        "pip",
        "--python",
        installed.python,
        "install",
        "--no-deps",
        "--no-index",
        "--disable-pip-version-check",
        "-q",
        plugin_wheel,
    )
    try:
        listed = json.loads(installed.run("plugins", "--format", "json", cwd=elsewhere).stdout)
        assert listed == [{"name": "constant_prices", "hooks": ["register_price_providers"], "version": "0.2.0"}]
        fetched = installed.run("prices", "fetch", "CONST", "--provider", "constant.v1", cwd=elsewhere)
        assert "1 new rows" in fetched.stdout
        missing = installed.run("prices", "fetch", "CONST", "--provider", "nope.v1", cwd=elsewhere, check=False)
        assert missing.returncode == 2
        assert "Available: constant.v1, yfinance.v1" in missing.stderr
    finally:
        _sh(
            sys.executable,
            "-m",
            "pip",
            "--python",
            installed.python,
            "uninstall",
            "-y",
            "-q",
            "narrative-constant-prices",
        )
