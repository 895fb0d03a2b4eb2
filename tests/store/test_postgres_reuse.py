"""The SQLite store tests that build their own store, run again on PostgreSQL (issue 14 item 2): for each run, the
test module's ``open_db`` opens a fresh migrated PostgreSQL database instead of the file or ``:memory:`` it names,
so the same assertions hold on both backends. Tests about SQLite files themselves (an older file migrated in place)
are left to SQLite."""

from __future__ import annotations

import inspect

import pytest

import store.test_aggregates as aggregates_tests
import store.test_aggregates_sessions as sessions_tests
import store.test_entity_relevance_store as entity_relevance_tests
import store.test_mention_sentiment as mention_sentiment_tests
import store.test_store_counts as store_counts_tests
from narrative.store import open_db
from narrative.store.db import is_postgres_url

MODULES = (mention_sentiment_tests, store_counts_tests, entity_relevance_tests, aggregates_tests, sessions_tests)
SQLITE_FILE_TESTS = {
    "test_issue_12_an_older_store_gets_its_counts_backfilled",
    "test_issue_12_migration_m009_backfills_an_older_store",
    "test_issue_10_migration_m012_on_a_store_enriched_before_it",
    "test_issue_14_an_older_store_gets_its_sessions_at_its_first_refresh",
}


def _cases():
    """(module, test name, its parametrize values) for every test of MODULES, one case per parameter set."""
    for module in MODULES:
        for name in sorted(vars(module)):
            if not name.startswith("test_") or name in SQLITE_FILE_TESTS:
                continue
            marks = [m for m in getattr(getattr(module, name), "pytestmark", []) if m.name == "parametrize"]
            if not marks:
                yield pytest.param(module, name, {}, id=name)
                continue
            (argument, values), *_ = [m.args for m in marks]
            for value in values:
                yield pytest.param(module, name, {argument: value}, id=f"{name}[{value}]")


@pytest.mark.parametrize(("module", "name", "parameters"), list(_cases()))
def test_issue_14_pg_store_test_passes_on_postgres(module, name, parameters, postgres_cluster, monkeypatch, request):
    opened = []
    databases: dict[str, str] = {}  # a file path the test names -> its PostgreSQL database (reopened as the same)

    def open_postgres(path=None, **options):
        if is_postgres_url(path):
            url = str(path)
        else:
            named = path not in (None, ":memory:")
            url = (databases.get(str(path)) if named else None) or postgres_cluster.migrated()
            if named:
                databases.setdefault(str(path), url)
        store = open_db(url, **options)
        opened.append(store)
        return store

    if module is not aggregates_tests:  # its store is a URL, which open_db opens as it is
        monkeypatch.setattr(module, "open_db", open_postgres)
    test = getattr(module, name)
    arguments = dict(parameters)
    for argument in inspect.signature(test).parameters:
        if argument in arguments:
            continue
        if argument == "db":  # the module's own fixture builds its store through open_db (now PostgreSQL's)
            arguments["db"] = module._store("unused")
        elif argument == "store":  # test_aggregates' fixture: a filled store, passed on as its --db
            filled = open_postgres()
            module._fill(filled)
            arguments["store"] = filled.url
        else:
            arguments[argument] = request.getfixturevalue(argument)
    try:
        test(**arguments)
    finally:
        for store in opened:
            store.close()
    assert opened and all(getattr(store, "dialect", "") == "postgresql" for store in opened)  # it ran on PostgreSQL
