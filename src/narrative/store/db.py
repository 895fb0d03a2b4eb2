"""Opening the database (WAL, migrations) and the single-writer lock."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path
from typing import Any, Iterable, Iterator

import filelock
from sqlite_utils import Database

from ..errors import Errors, LockError, StoreError
from .schema import migrations


def open_db(path: str | os.PathLike[str], *, readonly: bool = False, migrate: bool = True) -> Database:
    """Open (creating if needed) the store at ``path`` with WAL and pending migrations applied.

    ``":memory:"`` gives an in-memory store, handy in tests.

    >>> db = open_db(":memory:")
    >>> "articles" in db.table_names()
    True
    """
    try:
        if str(path) == ":memory:":
            db = Database(memory=True)
        elif readonly:
            uri = Path(path).resolve().as_uri() + "?mode=ro"
            db = Database(sqlite3.connect(uri, uri=True, check_same_thread=False))
        else:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            db = Database(path)
        db.execute("PRAGMA busy_timeout = 30000")
        if not readonly:
            db.execute("PRAGMA foreign_keys = ON")
            if str(path) != ":memory:":
                db.enable_wal()
                db.execute("PRAGMA synchronous = NORMAL")
            if migrate:
                migrations.apply(db)
    except sqlite3.DatabaseError as exc:
        raise StoreError(Errors.E011.format(path=path, problem=exc)) from exc
    return db


def rows(db: Database, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
    """Run a parameterised query; each row as a dict keyed by column name."""
    cursor = db.execute(sql, list(params))
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def published_window(alias: str, since: str | None, until: str | None, params: list[Any], *,
                     column: str = "published") -> str:
    """SQL conditions on ``<alias>.<column>`` (default ``published``) for an ISO window (``until`` exclusive); the
    bounds are appended to ``params``."""
    sql = ""
    if since:
        sql += f" AND {alias}.{column} >= ?"
        params.append(since)
    if until:
        sql += f" AND {alias}.{column} < ?"
        params.append(until)
    return sql


def placeholders(values: list) -> str:
    """ "?, ?, ?" for an ``IN (...)`` clause over ``values`` (which go in as parameters)."""
    return ", ".join("?" for _ in values)


@contextlib.contextmanager
def write_lock(db_path: str | os.PathLike[str], *, timeout: float) -> Iterator[None]:
    """Hold the store's writer lock (``<db>.lock``); a second writer waits up to ``timeout`` s.

    The lock is an OS file lock, so a killed process releases it.
    """
    if str(db_path) == ":memory:":
        yield
        return
    lock = filelock.FileLock(f"{db_path}.lock", timeout=timeout)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise LockError(Errors.E010.format(path=db_path, timeout=timeout)) from None
    try:
        yield
    finally:
        lock.release()
