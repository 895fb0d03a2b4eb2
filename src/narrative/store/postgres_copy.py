"""An SQLite store's rows copied into a PostgreSQL store (issue 14): ``COPY ... FROM STDIN``, streamed in batches.

Used to put the 2M-article bench store on PostgreSQL (``scripts/scale_postgres.py``) and by the tests that compare
a command's output on both backends for the same contents. The target has narrative's schema (``open_db(url)``
migrated it); every table the two share is copied with the columns the SQLite store has (PostgreSQL computes its
generated full-text columns itself). The store's own triggers are off during the copy: what they wrote in SQLite
(dirty days, running counts) is copied with the rest, so the copy is the store as its writer left it. Identity
sequences are then set past the copied ids, so the next write does not collide.

>>> copy_order(["prices", "mentions", "articles", "feeds", "fetches"])
['feeds', 'articles', 'fetches', 'mentions', 'prices']
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

BATCH_ROWS = 50_000
# Referenced by other tables' foreign keys: copied first, so a target that keeps its foreign keys accepts the rows.
PARENTS = ("feeds", "articles")
# SQLite's own tables (FTS5 index, sqlite-utils' migration log): PostgreSQL has its own.
SKIPPED_PREFIXES = ("sqlite_", "_sqlite_", "articles_fts")


def copy_order(tables: Iterable[str]) -> list[str]:
    """``tables`` with the referenced ones first, the rest in name order."""
    names = sorted(set(tables))
    return [t for t in PARENTS if t in names] + [t for t in names if t not in PARENTS]


def sqlite_tables(source: sqlite3.Connection) -> list[str]:
    """The store tables of an SQLite store (its FTS5 and migration-log tables left out)."""
    rows = source.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return copy_order(name for (name,) in rows if not name.startswith(SKIPPED_PREFIXES))


def copy_table(
    source: sqlite3.Connection, target: Any, table: str, *, truncate: bool = False, batch: int = BATCH_ROWS
) -> int:
    """Every row of ``table`` from ``source`` into ``target`` (a psycopg connection in autocommit) by one ``COPY``,
    in one transaction with the table's triggers off. ``truncate`` empties the table first in the same transaction
    (a rerun starts the table again; the rows are stored frozen, so no VACUUM has to visit them for index-only
    scans, and with ``wal_level=minimal`` they skip the WAL). Returns the rows."""
    columns = [row[1] for row in source.execute(f"PRAGMA table_info([{table}])")]
    quoted = ", ".join(f'"{c}"' for c in columns)
    cursor = source.execute(f"SELECT {quoted} FROM [{table}]")
    count = 0
    with target.transaction():
        if truncate:
            target.execute(f'TRUNCATE "{table}"')
        target.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
        freeze = " WITH (FREEZE)" if truncate else ""  # emptied in this transaction: rows stored all-visible
        with target.cursor().copy(f'COPY "{table}" ({quoted}) FROM STDIN{freeze}') as copy:
            while rows := cursor.fetchmany(batch):
                for row in rows:
                    copy.write_row(row)
                count += len(rows)
        target.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER USER')
    return count


def reset_identities(target: Any) -> None:
    """Each identity column's sequence set to the column's largest value, so the writer's next id follows."""
    identities = target.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND is_identity = 'YES'"
    ).fetchall()
    for table, column in identities:
        target.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), "
            f'coalesce((SELECT max("{column}") FROM "{table}"), 0) + 1, false)'
        )


def copy_store(
    sqlite_path: str | Path, url: str, *, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Copy the SQLite store at ``sqlite_path`` into the migrated PostgreSQL store at ``url``, replacing its rows,
    in one transaction; the rows copied per table. ``progress(table, rows)`` is called after each table.

    Example: ``copy_store("narrative.db", "postgresql://me@db/narrative")``.
    """
    import psycopg

    source = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    counts: dict[str, int] = {}
    try:
        with psycopg.connect(url, autocommit=True) as target, target.transaction():
            target.execute("SET LOCAL TimeZone = 'UTC'")
            tables = [t for t in sqlite_tables(source) if t in set(_pg_tables(target))]
            # What the migrations wrote (e.g. reference rows) is replaced by the source's rows.
            target.execute(f"TRUNCATE {', '.join(f'{chr(34)}{t}{chr(34)}' for t in tables)} CASCADE")
            for table in tables:
                counts[table] = copy_table(source, target, table)
                if progress:
                    progress(table, counts[table])
            reset_identities(target)
    finally:
        source.close()
    return counts


def _pg_tables(target: Any) -> list[str]:
    rows = target.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
        "AND table_type = 'BASE TABLE'"
    ).fetchall()
    return [name for (name,) in rows]
