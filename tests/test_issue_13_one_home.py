"""Issue 13 item 3: one home for each idea. Each test fails on the duplication it guards against."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import narrative
from narrative import clock
from narrative.errors import InputError
from narrative.store import queries

SRC = Path(narrative.__file__).parent
PIPELINE = ("ingest", "nlp", "store", "market", "report")
# What each pipeline package may import besides itself: the modules low in the stack, and the store.
LOW = {"errors", "config", "catalog", "clock", "lazy", "hookspecs", "plugins"}
ALLOWED = {
    "store": {"errors", "config", "clock"},
    **{p: LOW | {"store"} for p in ("ingest", "nlp", "market", "report")},
}


def narrative_imports(path: Path) -> set[str]:
    """The top-level ``narrative`` packages/modules that ``path`` imports (absolute or relative)."""
    relative = path.relative_to(SRC)
    package = ["narrative", *relative.parent.parts]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            name = ".".join([*base, node.module] if node.module else base) if node.level else node.module or ""
            names = [name] if node.module else [f"{name}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found |= {n.split(".")[1] for n in names if n.startswith("narrative.") and n.count(".") >= 1}
    return found


@pytest.mark.parametrize("package", PIPELINE)
def test_issue_13_pipeline_packages_import_one_way(package):
    wrong = {}
    for path in sorted((SRC / package).rglob("*.py")):
        bad = narrative_imports(path) - ALLOWED[package] - {package}
        if bad:
            wrong[str(path.relative_to(SRC))] = sorted(bad)
    assert wrong == {}


def test_issue_13_item_lives_in_ingest_and_the_store_takes_its_shape():
    from narrative.ingest.item import Item, make_item
    from narrative.store import articles

    assert not hasattr(articles, "Item")
    item = make_item(
        title="Alibaba rises on cloud growth",
        summary="Shares rose 5% in Hong Kong.",
        text=None,
        url="https://a.test/1",
        guid=None,
        published="2025-01-02T00:00:00+00:00",
        published_source="date_only",
        language="en",
        author=None,
        canonical="https://a.test/1",
    )
    assert isinstance(item, Item) and item.published_precision == "date_only"
    assert isinstance(item, articles.IncomingArticle)  # runtime check of the attribute names the store reads


def test_issue_13_serve_canned_queries_share_the_cli_sql():
    from narrative import serve
    from narrative.store import recent

    assert serve.CANNED_QUERIES is queries.CANNED_QUERIES
    for kind in ("MENTION", "FIGURE"):
        columns, tables, order = (getattr(queries, f"{kind}_{part}") for part in ("COLUMNS", "TABLES", "ORDER"))
        canned = queries.CANNED_QUERIES[f"{kind.lower()}s"]["sql"]
        assert f"SELECT {columns} FROM {tables}" in canned and f"ORDER BY {order}" in canned
    # The page readers hold no SELECT list of their own: the only copy is in store/queries.py.
    source = Path(recent.__file__).read_text(encoding="utf-8")
    assert "m.surface" not in source and "f.value_high" not in source
    assert "m.surface" not in Path(serve.__file__).read_text(encoding="utf-8")


def test_issue_13_canned_queries_answer_as_the_cli_does(tmp_path):
    from narrative.ingest.item import make_item
    from narrative.store import open_db
    from narrative.store.articles import save_items
    from narrative.store.recent import mention_page

    db = open_db(tmp_path / "store.db")
    item = make_item(
        title="Alibaba rises",
        summary="Alibaba rose.",
        text=None,
        url="https://a.test/1",
        guid=None,
        published="2025-01-02T00:00:00+00:00",
        published_source="archive",
        language="en",
        author=None,
        canonical="https://a.test/1",
    )
    save_items(db, source="wire", source_kind="import", items=[item], window_hours=48, now="2025-01-03T00:00:00+00:00")
    db.execute(
        "INSERT INTO entities (id, name, type, aliases, zh, tickers, catalog_version) "
        "VALUES ('alibaba', 'Alibaba Group', 'org', '[\"Alibaba\"]', '[]', '[\"BABA\"]', 'v')"
    )
    db.execute(
        'INSERT INTO sentences (article_id, idx, start, "end", text, extractor_version) '
        "VALUES (1, 0, 0, 13, 'Alibaba rose.', 't')"
    )
    db.execute(
        'INSERT INTO mentions (article_id, sentence_idx, entity_id, name, label, surface, start, "end", method, '
        "extractor_version) VALUES (1, 0, 'alibaba', 'Alibaba Group', 'ORG', 'Alibaba', 0, 7, 'catalog', 't')"
    )
    canned = [
        dict(zip([c[0] for c in cursor.description], row))
        for cursor in [db.execute(queries.CANNED_QUERIES["mentions"]["sql"], {"entity": "BABA"})]
        for row in cursor.fetchall()
    ]
    assert canned == mention_page(db, entity_id="alibaba", limit=10) == queries.mention_rows(db, entity_id="alibaba")


def test_issue_13_one_date_parser():
    assert clock.day_bound("2025-03-01", end=True) == "2025-03-02T00:00:00+00:00"
    with pytest.raises(InputError, match="--from 'soon' is not a valid date"):
        clock.date_window("soon", None)
    # api.market.check_window is the clock's parser under its old name, not a second one.
    from narrative.api import market

    assert "fromisoformat" not in Path(market.__file__).read_text(encoding="utf-8")


def test_issue_13_fetch_limits_default_to_the_settings():
    """FetchLimits holds no second copy of the settings' defaults: change a default and both follow."""
    from narrative.config import Settings
    from narrative.ingest.fetch import FetchLimits

    assert FetchLimits() == FetchLimits.from_settings(Settings())
    source = Path(sys.modules[FetchLimits.__module__].__file__).read_text(encoding="utf-8")
    assert "10_000_000" not in source and "= 20.0" not in source


def test_issue_13_one_clock():
    """api/ takes the time from narrative.clock, not from ingest.normalize."""
    offenders = []
    for path in (SRC / "api").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("ingest.normalize"):
                offenders += [f"{path.name}: {a.name}" for a in node.names if a.name in ("utc_now_iso", "to_utc_iso")]
    assert offenders == []


def test_issue_13_one_owner_of_transactions():
    """api/ opens the store only through store.writer/store.reader: no lock -> open -> try/finally copies.
    (``api.open_store`` is the public way to get an open Database one closes oneself, and stays.)"""
    offenders = []
    for path in (SRC / "api").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        allowed = {
            id(n)
            for f in ast.walk(tree)
            if isinstance(f, ast.FunctionDef) and f.name == "open_store"
            for n in ast.walk(f)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and id(node) not in allowed:
                name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
                if name in ("write_lock", "open_db", "open_existing_store"):
                    offenders.append(f"{path.name}:{node.lineno} {name}")
    assert offenders == []


def test_issue_13_yaml_errors_render_once(tmp_path):
    """feeds.yaml and the catalog report a YAML syntax error through one helper (errors.yaml_error): same code."""
    from narrative.catalog import load_catalog
    from narrative.config import load_feeds
    from narrative.errors import ConfigError

    bad = tmp_path / "bad.yaml"
    bad.write_text("feeds:\n  - name: x\n   url: y\n", encoding="utf-8")
    with pytest.raises(ConfigError) as feeds:
        load_feeds(bad)
    with pytest.raises(ConfigError) as catalog:
        load_catalog(bad)
    assert feeds.value.code == catalog.value.code == "E002"
    assert str(feeds.value).split(" (")[0] == str(catalog.value).split(" (")[0] == f"{bad}: line 3: not valid YAML"
