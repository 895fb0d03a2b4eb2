"""Issue 14 item 3: `narrative export --format parquet` writes a read-only, chunked snapshot of the store."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from conftest import copy_store, imported_store, query

from narrative import api
from narrative.api.export import export_parquet
from narrative.cli import cli

ARTICLES = [
    {
        "url": "https://x.example.test/1",
        "title": "Alibaba extends rally as AI spending plan grows",
        "published": "2025-09-19T22:00:00+00:00",
        "text": "Alibaba Group Holding Limited (BABA) rose 8% on Friday and is up 95% year-to-date. "
        "Tencent said its cloud revenue grew 20% as China adds AI computing power.",
    },
    {
        "url": "https://x.example.test/2",
        "title": "Baidu slips as chip export controls tighten",
        "published": "2025-04-16T01:00:00+00:00",
        "text": "Baidu fell 6% in the past week after new export controls on Nvidia's H20 chips.",
    },
    {
        "url": "https://x.example.test/3",
        "title": "阿里巴巴股价大涨",
        "published": "2025-09-20T01:00:00+00:00",
        "text": "阿里巴巴集团股价年初至今上涨95%，过去一个月上涨36%。",
    },
]
TABLES = ["articles", "mentions", "article_entities", "figures", "sentence_scores", "article_scores"]


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return imported_store(tmp_path_factory.mktemp("export_store"), ARTICLES)


@pytest.fixture
def store(template, tmp_path) -> str:
    return copy_store(template, tmp_path)


def _digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_issue_14_export_counts_equal_the_store_and_read_back(store, tmp_path):
    before = _digest(store)
    out = tmp_path / "snapshot"
    summary = export_parquet(out, db_path=store, chunk_rows=2)  # small chunks: several row groups per file
    assert _digest(store) == before  # read-only: the store file is untouched
    for table in TABLES:
        stored = query(store, f"SELECT count(*) FROM {table}")[0][0]
        assert stored > 0, table  # the store is rich enough that every table is exercised
        parquet = pq.ParquetFile(out / f"{table}.parquet")
        assert parquet.metadata.num_rows == stored == summary.rows[table], table
        assert parquet.metadata.num_row_groups == -(-stored // 2), table  # streamed one chunk at a time
    mentions = pd.read_parquet(out / "mentions.parquet")
    assert mentions["id"].tolist() == [r[0] for r in query(store, "SELECT id FROM mentions ORDER BY id")]
    sentiment = dict(query(store, "SELECT mention_id, polarity FROM mention_sentiment"))
    assert sentiment  # m011 rows exist, and each one arrives on its mention
    for mention_id, polarity in zip(mentions["id"], mentions["polarity"]):
        assert (polarity if pd.notna(polarity) else None) == sentiment.get(mention_id)
    relevance = {
        (a, k): r for a, k, r in query(store, "SELECT article_id, entity_key, relevance FROM article_entities")
    }
    keys = [
        (a, e if e is not None else n.lower())
        for a, e, n in zip(mentions.article_id, mentions.entity_id, mentions.name)
    ]
    assert mentions["relevance"].tolist() == [relevance[key] for key in keys]
    articles = pq.read_table(out / "articles.parquet")
    assert (
        articles.schema.field("id").type == "int64" and articles.column("title").to_pylist()[0] == ARTICLES[0]["title"]
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["rows"] == summary.rows
    assert manifest["schema_version"] == query(store, "SELECT name FROM _sqlite_migrations ORDER BY rowid DESC")[0][0]
    assert manifest["versions"]["stored"]["mentions"]["extractor_version"] == [
        r[0] for r in query(store, "SELECT DISTINCT extractor_version FROM mentions")
    ]
    assert not list(out.glob("*.partial"))


def test_issue_14_export_index_equals_the_index_command(store, tmp_path):
    export_parquet(tmp_path / "out", db_path=store)
    index = pd.read_parquet(tmp_path / "out" / "narrative_index.parquet")
    narratives = sorted(index["narrative"].unique())
    assert narratives  # import_archive scored the default narrative
    for narrative in narratives:
        exported = index[(index["narrative"] == narrative) & (index["precision"] == "all")].set_index("date")
        expected = api.narrative_index(narrative, db_path=store)
        assert [d.isoformat() for d in exported.index] == [d.date().isoformat() for d in expected.index]
        assert exported["attention"].tolist() == expected["attention"].tolist()
        assert exported["net"].tolist() == pytest.approx(expected["net"].tolist())


def test_issue_14_export_window_keeps_articles_published_in_it(store, tmp_path):
    summary = export_parquet(tmp_path / "sept", db_path=store, since="2025-09-01", until="2025-09-20")
    ids = [r[0] for r in query(store, "SELECT id FROM articles WHERE published >= '2025-09-01' ORDER BY id")]
    assert len(ids) == 2 and summary.rows["articles"] == 2
    assert pd.read_parquet(tmp_path / "sept" / "articles.parquet")["id"].tolist() == ids
    in_window = query(store, f"SELECT count(*) FROM mentions WHERE article_id IN ({', '.join(map(str, ids))})")[0][0]
    assert summary.rows["mentions"] == in_window < query(store, "SELECT count(*) FROM mentions")[0][0]
    assert set(pd.read_parquet(tmp_path / "sept" / "figures.parquet")["article_id"]) <= set(ids)


def test_issue_14_export_cli_and_bad_input(store, tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["export", "--format", "parquet", "--out", str(tmp_path / "o"), "--db", store])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"exported to {tmp_path / 'o'}: articles 3")
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    for args, needle in (
        (["--out", str(a_file)], "file.txt"),
        (["--out", str(tmp_path / "o2"), "--since", "last week"], "last week"),
        (["--out", str(tmp_path / "o3"), "--db", str(tmp_path / "missing.db")], "missing.db"),
    ):
        result = runner.invoke(cli, ["export", *args] + ([] if "--db" in args else ["--db", store]))
        assert result.exit_code == 2, (args, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and needle in lines[0], result.output
