"""Opening the database (WAL, migrations, read-only) and the single-writer lock.

Issue 11: every file handed to ``--db`` is checked before narrative reads or writes it. A file that is not
SQLite, an SQLite file of another program, an empty file opened for reading, a store written by a newer
narrative, and a store whose tables lost a column each end as one catalogued line, never as a traceback.
Read commands open the store read-only (``mode=ro``), and ``immutable`` when its folder cannot hold the
``-shm``/``-wal`` files, so a store on read-only media or in someone else's folder can still be read.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from ..errors import Errors, InputError, LockError, StoreError
from .schema_snapshot import expected_columns as expected_columns  # the reader checks; imported from here too
from .schema_snapshot import migrated_schema
from .schema_snapshot import migrated_table_info as migrated_table_info

if TYPE_CHECKING:  # sqlite-utils (~50 ms to import) loads when a store is written, never for a read command
    from sqlite_utils import Database

_SQLITE_HEADER = b"SQLite format 3\x00"
# Every Database is opened with execute_plugins=False: narrative's SQL uses no sqlite-utils plugin, and loading
# them scans every installed package's entry points (~50 ms of each command's start-up).
# The schemes of a PostgreSQL --db: tested here, as a plain prefix, so that opening a SQLite store never imports the
# PostgreSQL module (~15 ms of every command's start-up).
_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(value: object) -> bool:
    """Whether ``--db`` names a PostgreSQL database (``postgresql://`` or ``postgres://``) rather than a file.

    >>> is_postgres_url("postgresql://me@db.example/narrative"), is_postgres_url("narrative.db")
    (True, False)
    """
    return str(value).startswith(_POSTGRES_SCHEMES)


def open_db(
    path: str | os.PathLike[str], *, readonly: bool = False, migrate: bool = True, lock_timeout: float = 30.0
) -> Database:
    """Open (creating if needed) the store at ``path`` with WAL and pending migrations applied.

    ``readonly=True`` opens an existing store without writing anything, not even a lock or journal file.
    ``":memory:"`` gives an in-memory store, handy in tests. A ``postgresql://`` URL opens a PostgreSQL store
    (:mod:`narrative.store.postgres`), which the store modules use as they use this ``Database``.

    >>> db = open_db(":memory:")
    >>> "articles" in db.table_names()
    True
    """
    if is_postgres_url(path):
        from .postgres import open_postgres

        return open_postgres(str(path), readonly=readonly, migrate=migrate, lock_timeout=lock_timeout)  # type: ignore[return-value]  # PgDatabase: the Database calls the store makes
    if re.match(r"postgres(ql)?:/[^/]", str(path)):  # a URL turned into a path (pathlib keeps one slash)
        from .postgres import shown_url

        raise InputError(Errors.E162.format(url=shown_url(str(path))))
    if readonly and str(path) != ":memory:":
        return _open_reader(Path(path))
    from sqlite_utils import Database

    from .schema import migrations

    if str(path) == ":memory:":
        db = Database(memory=True, execute_plugins=False)
        db.execute("PRAGMA foreign_keys = ON")
        if migrate:
            migrations.apply(db)
        return db
    path = Path(path)
    size = _checked_size(path)
    with _store_errors(path):
        _check_writable(path, exists=size is not None)
        db = Database(path, execute_plugins=False)
        with _closed_on_error(db):
            db.execute("PRAGMA busy_timeout = 30000")
            db.execute("PRAGMA foreign_keys = ON")
            _check_schema(db, path, readonly=False)  # refuse a foreign or newer store before writing a byte to it
            db.enable_wal()
            db.execute("PRAGMA synchronous = NORMAL")
            if migrate:
                migrations.apply(db)
                _check_columns(db, path)
    return db


def _open_reader(path: Path) -> Database:
    size = _checked_size(path)
    if size is None:
        raise InputError(Errors.E013.format(path=path))
    if size == 0:
        raise InputError(Errors.E014.format(path=path))
    with _store_errors(path):
        db = cast("Database", SqliteReader(sqlite3.connect(readonly_uri(path), uri=True, check_same_thread=False)))
        with _closed_on_error(db):
            db.execute("PRAGMA busy_timeout = 30000")
            _check_schema(db, path, readonly=True)
    return db


class SqliteReader:
    """A store opened read-only, offering what the read modules call on sqlite-utils' ``Database`` (``execute``,
    ``conn``, ``table_names``, ``query``, ``close``) over the plain ``sqlite3`` connection, so a query command does
    not import sqlite-utils (~50 ms of its start-up, issue 12). Any other attribute is a ``Database`` on the same
    connection, made on first use.

    >>> import sqlite3
    >>> SqliteReader(sqlite3.connect(":memory:")).execute("SELECT ?", [1]).fetchone()
    (1,)
    """

    dialect = "sqlite"  # what store.search asks (PostgreSQL's PgDatabase says "postgresql"); never falls through

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, parameters: Any = None) -> sqlite3.Cursor:
        return self.conn.execute(sql) if parameters is None else self.conn.execute(sql, parameters)

    def query(self, sql: str, params: Any = None) -> Iterator[dict[str, Any]]:
        cursor = self.execute(sql, params)
        columns = [c[0] for c in cursor.description]
        for row in cursor:
            yield dict(zip(columns, row))

    def table_names(self) -> list[str]:
        return [row[0] for row in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]

    def close(self) -> None:
        self.conn.close()

    @functools.cached_property
    def database(self) -> Database:
        """sqlite-utils' ``Database`` on this connection (the first call imports sqlite-utils)."""
        from sqlite_utils import Database

        return Database(self.conn, execute_plugins=False)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.database, name)

    def __getitem__(self, name: str) -> Any:
        return self.database[name]


@contextlib.contextmanager
def _store_errors(path: Path) -> Iterator[None]:
    """SQLite's errors while opening a store file, as the catalogued line each is (issue 11)."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        problem = str(exc)
        if "readonly" in problem or "read-only" in problem:
            raise StoreError(Errors.E018.format(path=path, folder=path.parent, problem=problem)) from None
        if "malformed" in problem or "not a database" in problem:
            raise StoreError(Errors.E008.format(path=path, problem=problem)) from None
        raise StoreError(Errors.E011.format(path=path, problem=problem)) from None


@contextlib.contextmanager
def _closed_on_error(db: Database) -> Iterator[None]:
    try:
        yield
    except BaseException:
        db.close()
        raise


def readonly_uri(path: str | os.PathLike[str]) -> str:
    """The SQLite URI that reads ``path`` without writing: ``mode=ro``, plus ``immutable=1`` when the folder
    cannot hold the ``-shm`` file a WAL reader needs (and none is there already).

    >>> readonly_uri("/tmp/x.db").startswith("file:///tmp/x.db?mode=ro")
    True
    """
    path = Path(path).resolve()
    uri = path.as_uri() + "?mode=ro"
    if needs_immutable(path):
        uri += "&immutable=1"
    return uri


def needs_immutable(path: str | os.PathLike[str]) -> bool:
    """True when ``path``'s folder is not writable and the WAL side files are absent: SQLite (3.22+) can read a
    WAL store read-only only if ``-shm`` and ``-wal`` exist or can be created; otherwise only as immutable.

    >>> needs_immutable("/tmp/x.db")
    False
    """
    path = Path(path)
    side_files = all(Path(f"{path}{suffix}").exists() for suffix in ("-wal", "-shm"))
    return not side_files and not os.access(path.parent, os.W_OK)


def _checked_size(path: Path) -> int | None:
    """The file's size (None when absent), after checking that it is an SQLite file at all."""
    try:
        if not path.exists():
            return None
        if path.is_dir():
            raise InputError(Errors.E012.format(path=path, problem="it is a folder"))
        with path.open("rb") as handle:
            header = handle.read(len(_SQLITE_HEADER))
        size = path.stat().st_size
    except OSError as exc:
        raise StoreError(Errors.E011.format(path=path, problem=exc.strerror or exc)) from None
    if size and header != _SQLITE_HEADER:
        raise InputError(Errors.E012.format(path=path, problem="not an SQLite file"))
    return size


def _check_writable(path: Path, *, exists: bool) -> None:
    if exists and not os.access(path, os.W_OK):
        raise StoreError(Errors.E019.format(path=path))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(Errors.E018.format(path=path, folder=path.parent, problem=exc.strerror or exc)) from None
    if not os.access(path.parent, os.W_OK):
        raise StoreError(Errors.E018.format(path=path, folder=path.parent, problem="folder not writable"))


def _check_schema(db: Database, path: Path, *, readonly: bool) -> None:
    """Refuse a store narrative cannot use as it is: another program's, a newer narrative's, an empty one read."""
    tables = [t for t in db.table_names() if not t.startswith("sqlite_")]
    applied = _applied(db) if migrated_schema()["migrations_table"] in tables else []
    if not applied:
        if tables:
            shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
            raise InputError(
                Errors.E012.format(path=path, problem=f"an SQLite file with tables {shown} but no narrative schema")
            )
        if readonly:
            raise InputError(Errors.E014.format(path=path))
        return
    check_migrations(path, applied, readonly=readonly)
    if readonly:
        _check_columns(db, path)


def check_migrations(path: object, applied: list[str], *, readonly: bool) -> None:
    """Refuse a store migrated by a newer narrative (E015), and, for a reader, one this narrative has not migrated
    yet (E016); either backend's schema check calls this with the migrations its store recorded.

    >>> check_migrations("narrative.db", migrated_schema()["migrations"], readonly=True)  # up to date
    """
    known = migrated_schema()["migrations"]
    unknown = [name for name in applied if name not in known]
    if unknown:
        raise StoreError(Errors.E015.format(path=path, unknown=", ".join(unknown), newest=known[-1]))
    if readonly and [name for name in known if name not in applied]:
        raise StoreError(Errors.E016.format(path=path, applied=applied[-1], newest=known[-1]))


def _applied(db: Database) -> list[str]:
    schema = migrated_schema()
    return [
        row[0]
        for row in db.execute(
            f"SELECT name FROM [{schema['migrations_table']}] WHERE migration_set = ? ORDER BY rowid",
            [schema["migration_set"]],
        )
    ]


def _check_columns(db: Database, path: Path) -> None:
    """Every table and column the migrations create must be there (a rename outside narrative breaks queries)."""
    for table, columns in expected_columns().items():
        found = {row[1] for row in db.execute(f"PRAGMA table_info([{table}])")}
        if not found:
            raise StoreError(Errors.E017.format(path=path, problem=f"table {table!r} is missing"))
        missing = [c for c in columns if c not in found]
        if missing:
            names = ", ".join(repr(c) for c in missing)
            raise StoreError(Errors.E017.format(path=path, problem=f"table {table!r} has no column {names}"))


def rows(db: Database, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
    """Run a parameterised query; each row as a dict keyed by column name."""
    cursor = db.execute(sql, list(params))
    columns = [c[0] for c in cursor.description]
    return [dict(zip(columns, row)) for row in cursor.fetchall()]


def published_window(
    alias: str,
    since: str | None,
    until: str | None,
    params: list[Any],
    *,
    column: str = "published",
    until_inclusive: bool = False,
) -> str:
    """SQL conditions on ``<alias>.<column>`` (default ``published``; ``alias`` "" for the bare column) for an ISO
    window (``until`` exclusive, or inclusive for whole-day bounds with ``until_inclusive``); the bounds are appended
    to ``params``.

    >>> params = []
    >>> published_window("", "2024-01-01", "2024-02-01", params, column="day"), params
    (' AND day >= ? AND day < ?', ['2024-01-01', '2024-02-01'])
    """
    target = f"{alias}.{column}" if alias else column
    sql = ""
    if since:
        sql += f" AND {target} >= ?"
        params.append(since)
    if until:
        sql += f" AND {target} {'<=' if until_inclusive else '<'} ?"
        params.append(until)
    return sql


def placeholders(values: list) -> str:
    """ "?, ?, ?" for an ``IN (...)`` clause over ``values`` (which go in as parameters)."""
    return ", ".join("?" for _ in values)


@contextlib.contextmanager
def write_lock(db_path: str | os.PathLike[str], *, timeout: float) -> Iterator[None]:
    """Hold the store's writer lock (``<db>.lock``); a second writer waits up to ``timeout`` s.

    The lock is an OS file lock, so a killed process releases it. A folder the user cannot write in is
    reported as one line (issue 11), not as a PermissionError on the lock file.
    """
    if str(db_path) == ":memory:":
        yield
        return
    import filelock  # ~45 ms (socket, secrets): only writers pay it, never a read command

    lock = filelock.FileLock(f"{db_path}.lock", timeout=timeout)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise LockError(Errors.E010.format(path=db_path, timeout=timeout)) from None
    except OSError as exc:
        folder = Path(db_path).parent
        raise StoreError(Errors.E018.format(path=db_path, folder=folder, problem=exc.strerror or exc)) from None
    try:
        yield
    finally:
        lock.release()


class StoreSettings(Protocol):
    """What :func:`writer` and :func:`reader` need of the settings (:class:`narrative.config.Settings` has it)."""

    @property
    def db(self) -> str: ...

    @property
    def lock_timeout(self) -> float: ...


@contextlib.contextmanager
def writer(settings: StoreSettings) -> Iterator[Database]:
    """The one way to write the store: hold the writer lock, open (migrating), yield the database, close.

    Nothing else in narrative takes the lock or opens the store for writing, so every write happens under it.

    >>> from types import SimpleNamespace
    >>> with writer(SimpleNamespace(db=":memory:", lock_timeout=1)) as db:
    ...     "articles" in db.table_names()
    True
    """
    # PostgreSQL needs no lock file: each write transaction takes the database's own lock (store.postgres).
    lock = (
        contextlib.nullcontext()
        if is_postgres_url(settings.db)
        else write_lock(settings.db, timeout=settings.lock_timeout)
    )
    with lock:
        db = open_db(settings.db, lock_timeout=settings.lock_timeout)
        try:
            yield db
        finally:
            db.close()


@contextlib.contextmanager
def reader(settings: StoreSettings | str | os.PathLike[str]) -> Iterator[Database]:
    """The one way to read the store: open an existing store read-only (no lock, nothing written), yield, close.

    A missing, empty, foreign or newer store is one catalogued line (E012-E017), before anything is read.

    >>> with reader("missing.db") as db:  # doctest: +IGNORE_EXCEPTION_DETAIL
    ...     pass
    Traceback (most recent call last):
    narrative.errors.InputError: missing.db: no such database...
    """
    path = settings if isinstance(settings, (str, os.PathLike)) else settings.db
    db = open_db(path, readonly=True)
    try:
        yield db
    finally:
        db.close()
