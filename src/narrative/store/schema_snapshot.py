"""This version's schema as its migrations create it, without running them in every process (issue 12).

A read command checks the store against the schema (E015-E017) and the PostgreSQL translator needs each table's keys;
running the migrations on an in-memory store for that costs ~25 ms of every command, and importing sqlite-utils to
run them ~50 ms more. The result is kept between processes by :data:`schema_cache` (the CLI sets it to
:func:`narrative.file_cache.cached_by_files`), rebuilt whenever a file the migrations come from changes.

>>> "published" in expected_columns()["articles"]
True
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["expected_columns", "migrated_schema", "migrated_table_info", "schema_cache"]


@functools.lru_cache(maxsize=1)
def expected_columns() -> dict[str, tuple[str, ...]]:
    """Each table's columns as this version's migrations create them.

    >>> "published" in expected_columns()["articles"]
    True
    """
    return {table: tuple(row[1] for row in info) for table, info in migrated_table_info().items()}


def migrated_table_info() -> dict[str, list[list[Any]]]:
    """``PRAGMA table_info`` of each table this version's migrations create (:func:`migrated_schema`): the
    reader's column check (both backends) and the PostgreSQL translator's keys share it.

    >>> migrated_table_info()["articles"][0][:3]
    [0, 'id', 'INTEGER']
    """
    return migrated_schema()["tables"]


# Where migrated_schema() keeps its result between processes: ``(name, key, build)`` -> value, as
# narrative.file_cache.cached_by_files (the CLI sets it: the store does not reach the user's data folder itself).
# None: computed once per process.
schema_cache: Callable[[str, Any, Callable[[], tuple[Any, list[Path] | None]]], Any] | None = None
_SCHEMA_CACHE_VERSION = 1


@functools.lru_cache(maxsize=1)
def migrated_schema() -> dict[str, Any]:
    """This version's schema as its migrations create it (:func:`load_schema`), once per process, from
    :data:`schema_cache` when one is set.

    >>> migrated_schema()["migrations"][0]
    'm001_ingest_tables'
    """
    return load_schema(schema_cache)


def load_schema(cache: Callable[[str, Any, Callable[[], tuple[Any, list[Path] | None]]], Any] | None) -> dict[str, Any]:
    """``migrations`` (their names, in order), ``migration_set`` and ``migrations_table`` (where a store records
    them) and ``tables`` (each table's ``PRAGMA table_info``), from running the migrations on an in-memory store, or
    from ``cache`` (``(name, key, build) -> value``) while no file the migrations come from has changed (issue 12:
    running them costs a read command ~25 ms, and importing sqlite-utils for them ~50 ms).

    >>> load_schema(None)["migration_set"]
    'narrative'
    """
    if cache is None:
        return _build_schema()[0]
    import sqlite3

    key = [_SCHEMA_CACHE_VERSION, str(Path(__file__).parent), sqlite3.sqlite_version]
    return cache("migrated_schema", key, _build_schema)


def _build_schema() -> tuple[dict[str, Any], list[Path]]:
    import importlib.util

    from sqlite_utils import Database

    from .schema import migrations

    db = Database(memory=True, execute_plugins=False)
    migrations.apply(db)
    tables = {
        table: [list(row) for row in db.execute(f"PRAGMA table_info([{table}])")]
        for table in db.table_names()
        if not table.startswith("sqlite_")
    }
    schema = {
        "migrations": [m.name for m in migrations._migrations],  # noqa: SLF001 (sqlite-utils keeps it private)
        "migration_set": migrations.name,
        "migrations_table": migrations.migrations_table,
        "tables": tables,
    }
    # The migrations' code: every module of this package (a migration may call any of them) and sqlite-utils'.
    spec = importlib.util.find_spec("sqlite_utils")
    library = [Path(p) for p in (spec.submodule_search_locations or [])] if spec else []
    sources = [*Path(__file__).parent.glob("*.py"), *(f for folder in library for f in folder.glob("*.py"))]
    return schema, sorted(sources)
