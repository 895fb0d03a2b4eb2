"""`narrative report` and `narrative leadlag` on PostgreSQL (issue 14 item 2): the synthetic store of the report
tests (prices of four listings, 120 scored articles with sentences, themes and entity sentiment, some dated by day
only) is built in SQLite, copied into a PostgreSQL store (narrative.store.postgres_copy), and each command's output
on the copy must equal its output on the SQLite original: every number of report.json and every CSV table, the
lead-lag tests row for row."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner
from synthetic_store import build_report_store

from narrative import api
from narrative.api import market
from narrative.cli import cli
from narrative.store.postgres_copy import copy_store

LEADLAG_ARGS = ["--tickers", "BABA", "--benchmark", "QQQ", "--from", "2024-01-01", "--to", "2024-12-31"]


@pytest.fixture(scope="module")
def stores(tmp_path_factory, postgres_cluster):
    """(SQLite path, PostgreSQL URL) of the same synthetic store."""
    path = tmp_path_factory.mktemp("pg-report") / "r.db"
    build_report_store(path)
    url = postgres_cluster.migrated()
    counts = copy_store(path, url)
    assert counts["articles"] == 120 and counts["sentence_scores"] == 240 and counts["prices"] > 1000
    return str(path), url


def _report(db: str, out) -> tuple[dict, dict[str, pd.DataFrame]]:
    market.report(
        "china-ai", ["BABA", "9988.HK"], "QQQ", "2024-01-01", "2024-12-31", out, db_path=db, n_perm=199, seed=3
    )
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    tables = {p.name: pd.read_csv(p) for p in sorted(out.glob("*.csv"))}
    return data, tables


def _without_run_details(value):
    """report.json less what differs between any two runs (when, where, which store)."""
    if isinstance(value, dict):
        return {k: _without_run_details(v) for k, v in value.items() if k not in {"generated_at", "db", "store", "out"}}
    if isinstance(value, list):
        return [_without_run_details(v) for v in value]
    return value


def _assert_same(found, expected, where: str) -> None:
    """Equal structures; floats equal to 1e-9 (the two databases may sum in another order)."""
    if isinstance(expected, dict):
        assert isinstance(found, dict) and set(found) == set(expected), where
        for key, value in expected.items():
            _assert_same(found[key], value, f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(found, list) and len(found) == len(expected), where
        for i, (a, b) in enumerate(zip(found, expected)):
            _assert_same(a, b, f"{where}[{i}]")
    elif isinstance(expected, float) and not isinstance(found, bool):
        assert found == pytest.approx(expected, rel=1e-9, abs=1e-12, nan_ok=True), where
    else:
        assert found == expected, where


def test_issue_14_pg_report_equals_sqlite_report(stores, tmp_path):
    sqlite_path, url = stores
    sqlite_data, sqlite_tables = _report(sqlite_path, tmp_path / "sqlite")
    pg_data, pg_tables = _report(url, tmp_path / "pg")
    assert sqlite_tables and set(pg_tables) == set(sqlite_tables)
    for name, table in sqlite_tables.items():
        pd.testing.assert_frame_equal(pg_tables[name], table, check_exact=False, rtol=1e-9, obj=name)
    _assert_same(_without_run_details(pg_data), _without_run_details(sqlite_data), "report.json")
    assert any(len(table) for table in pg_tables.values())  # the report has rows to compare


def test_issue_14_pg_report_cli_writes_the_same_tables(stores, tmp_path):
    sqlite_path, url = stores
    outputs = {}
    for name, db in (("sqlite", sqlite_path), ("pg", url)):
        out = tmp_path / name
        args = ["report", "--narrative", "china-ai", "--tickers", "BABA", "--benchmark", "QQQ"]
        args += ["--from", "2024-01-01", "--to", "2024-12-31", "--out", str(out), "--n-perm", "99", "--db", db]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
        outputs[name] = {p.name: p.read_text(encoding="utf-8") for p in sorted(out.glob("*.csv"))}
    assert outputs["sqlite"] and outputs["pg"] == outputs["sqlite"]


def test_issue_14_pg_leadlag_api_equals_sqlite(stores):
    sqlite_path, url = stores
    tables = [
        api.leadlag(
            "china-ai",
            ["BABA", "9988.HK"],
            benchmark="QQQ",
            start="2024-01-01",
            end="2024-12-31",
            db_path=db,
            n_perm=199,
            seed=1,
        )
        for db in (sqlite_path, url)
    ]
    sqlite_table, pg_table = tables
    assert len(sqlite_table) > 10 and sqlite_table["news_sessions"].max() > 50
    pd.testing.assert_frame_equal(pg_table, sqlite_table, check_exact=False, rtol=1e-9)
    assert pg_table.attrs == sqlite_table.attrs


@pytest.mark.parametrize("fmt", ["json", "table"])
def test_issue_14_pg_leadlag_cli_prints_the_same(stores, fmt):
    sqlite_path, url = stores
    printed = []
    for db in (sqlite_path, url):
        args = ["leadlag", "--narrative", "china-ai", *LEADLAG_ARGS, "--n-perm", "99", "--format", fmt, "--db", db]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
        printed.append(result.output)
    assert printed[0].strip() and printed[1] == printed[0]
