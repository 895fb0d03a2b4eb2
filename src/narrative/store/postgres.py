"""PostgreSQL as the store (issue 14 item 2): ``--db postgresql://USER@HOST/DBNAME`` (psycopg 3).

:class:`PgDatabase` offers the part of sqlite-utils' ``Database`` that the store modules use (``execute``,
``conn.executemany``, ``atomic``, ``table_names``, ``db[table].columns_dict``, ``table(...).insert``), and runs each
statement through :mod:`.postgres_sql`, so every store module, and every migration of :mod:`.schema`, runs unchanged
on both backends. Migrations are recorded under the same names in ``schema_migrations`` (:data:`MIGRATIONS_TABLE`).

Concurrent writers are safe by PostgreSQL's own locking: every write transaction (``atomic()``) first takes one
transaction-scoped advisory lock, so the dedupe check and the insert of an article, and the replace-whole writes of
enrichment, never interleave with another process's, while the slow work (fetching, the NLP models) runs in
parallel. Readers are never blocked (MVCC) and run read-only (``default_transaction_read_only``).

Full-text search: ``articles.search_vector`` (``to_tsvector('simple', title || text)``: lower-cased words, no
stemming, as SQLite's FTS5 ``unicode61``) and ``articles.search_cjk`` (each run of Chinese characters as
overlapping bigrams, with positions, so a Chinese word is found as a phrase of its bigrams), each with a GIN index.

>>> shown_url("postgresql://me:secret@db.example/narrative")
'postgresql://me:***@db.example/narrative'
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from ..errors import Errors, InputError, LockError, StoreError
from .postgres_sql import translate, translate_trigger
from .schema_snapshot import migrated_schema

MIGRATIONS_TABLE = "schema_migrations"  # sqlite-utils' _sqlite_migrations: the same columns, rowid included
# Every write transaction holds this advisory lock (pg_advisory_xact_lock): the store's one writer at a time,
# per transaction rather than per process. The number is arbitrary and fixed ("narr" in ASCII).
WRITE_LOCK_KEY = 0x6E617272
# SQLite's own tables (its FTS5 index, sqlite-utils' migration log): PostgreSQL has its own instead.
SQLITE_ONLY = ("sqlite_", "_sqlite_", "articles_fts")
_FUNCTIONS = (
    # SQLite's date(value, modifier): the UTC date of an ISO time, shifted ('+1 day', '-1 day', '+0 days').
    "CREATE OR REPLACE FUNCTION narrative_date(value text, shift text DEFAULT '+0 days') RETURNS text "
    "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT to_char((((CASE WHEN length(value) = 10 THEN value "
    "|| 'T00:00:00+00:00' ELSE value END)::timestamptz AT TIME ZONE 'UTC')::date + shift::interval), "
    "'YYYY-MM-DD') $$",
    # The overlapping bigrams of every run of Chinese characters, as a tsvector literal with positions.
    "CREATE OR REPLACE FUNCTION narrative_cjk_bigrams(document text) RETURNS tsvector LANGUAGE sql IMMUTABLE "
    "PARALLEL SAFE AS $$ SELECT coalesce(string_agg(quote_literal(CASE WHEN length(run) = 1 THEN run "
    "ELSE substr(run, i, 2) END) || ':' || least(position, 16383), ' ' ORDER BY position), '')::tsvector "
    "FROM (SELECT run, i, row_number() OVER (ORDER BY ordinality, i) AS position FROM regexp_matches(document, "
    "'[\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff]+', 'g') WITH ORDINALITY AS m(run_array, ordinality), "
    "LATERAL (SELECT m.run_array[1] AS run) r, generate_series(1, greatest(length(r.run) - 1, 1)) AS i) bigrams $$",
)


def shown_url(url: str) -> str:
    """The URL as messages show it: without its password."""
    return re.sub(r"^(\w+:/+[^:/@]+):[^@]*@", r"\1:***@", url)


class PgTable:
    """``db[name]`` / ``db.table(name)``: the table calls the store makes."""

    def __init__(self, db: PgDatabase, name: str) -> None:
        self.db, self.name = db, name

    @property
    def columns_dict(self) -> dict[str, str]:
        return dict(self.db.columns(self.name))

    def exists(self) -> bool:
        return self.name in self.db.table_names()

    def insert(self, row: dict[str, Any]) -> None:
        columns = ", ".join(f'"{c}"' for c in row)
        self.db.execute(
            f"INSERT INTO {self.name} ({columns}) VALUES ({', '.join('?' for _ in row)})", list(row.values())
        )

    def enable_fts(self, columns: Sequence[str], **_ignored: Any) -> None:
        """Full-text search over ``columns`` (the migration's ``enable_fts``): two generated tsvector columns."""
        document = " || ' ' || ".join(f"coalesce({c}, '')" for c in columns)
        self.db.execute(
            f"ALTER TABLE {self.name} ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
            f"(to_tsvector('simple'::regconfig, {document})) STORED"
        )
        self.db.execute(
            f"ALTER TABLE {self.name} ADD COLUMN search_cjk tsvector GENERATED ALWAYS AS "
            f"(narrative_cjk_bigrams({document})) STORED"
        )
        for column in ("search_vector", "search_cjk"):
            self.db.execute(f"CREATE INDEX idx_{self.name}_{column} ON {self.name} USING gin ({column})")


class PgResult:
    """What ``execute`` returns: the cursor's rows, ``description`` and ``lastrowid`` (an INSERT's new id)."""

    def __init__(
        self, cursor: Any, lastrowid: int | None = None, rows: list[Any] | None = None, description: Any = None
    ) -> None:
        self.cursor, self.lastrowid, self.rows = cursor, lastrowid, rows
        self.description = description if cursor is None else cursor.description
        self.rowcount = len(rows or []) if cursor is None else cursor.rowcount

    def fetchone(self) -> Any:
        if self.rows is not None:
            return self.rows.pop(0) if self.rows else None
        return self.cursor.fetchone()

    def fetchmany(self, size: int) -> list[Any]:
        if self.rows is not None:
            taken, self.rows = self.rows[:size], self.rows[size:]
            return taken
        return self.cursor.fetchmany(size) if self.description else []

    def fetchall(self) -> list[Any]:
        if self.rows is not None:
            return self.fetchmany(len(self.rows))
        return self.cursor.fetchall() if self.description else []

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


class PgConnection:
    """``db.conn``: ``execute``/``executemany``, and ``with db.conn:`` as a transaction (as sqlite3's)."""

    def __init__(self, db: PgDatabase) -> None:
        self.db = db

    def execute(self, sql: str, params: Sequence[Any] = ()) -> PgResult:
        return self.db.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.db.executemany(sql, rows)

    def commit(self) -> None:
        """Nothing to do: outside ``atomic()`` every statement commits on its own (autocommit)."""

    def __enter__(self) -> PgConnection:
        self._transaction = self.db.atomic()
        self._transaction.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._transaction.__exit__(*exc)


class PgDatabase:
    """A narrative store in PostgreSQL, used where the store modules use sqlite-utils' ``Database``."""

    dialect = "postgresql"

    def __init__(self, raw: Any, url: str, *, lock_timeout: float = 30.0) -> None:
        self.raw, self.url, self.lock_timeout = raw, url, lock_timeout
        self.conn = PgConnection(self)

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> PgResult:
        pragma = re.fullmatch(r"\s*PRAGMA table_info\(\[?(\w+)\]?\)\s*", sql)
        if pragma:  # the columns as the migrations declare them (SQLite's types), without PostgreSQL's search columns
            info = [list(row) for row in _sqlite_table_info().get(pragma.group(1), [])]
            names = ("cid", "name", "type", "notnull", "dflt_value", "pk")
            return PgResult(None, rows=info, description=[(name,) for name in names])
        if sql.strip().upper() == "BEGIN":  # a reader's one consistent snapshot, as an SQLite read transaction is
            sql = "BEGIN ISOLATION LEVEL REPEATABLE READ"
        if sql.lstrip().upper().startswith("CREATE TRIGGER"):
            for statement in translate_trigger(sql, primary_keys()):
                self.raw.execute(statement)
            return PgResult(self.raw.cursor())
        statement = translate(sql, primary_keys())
        identity = re.match(r"INSERT INTO (\w+) ", statement)
        returning = bool(identity and identity.group(1) in identity_tables() and "RETURNING" not in statement)
        cursor = self.raw.execute(statement + (" RETURNING id" if returning else ""), list(params or ()))
        if returning:
            row = cursor.fetchone()
            return PgResult(cursor, lastrowid=row[0] if row else None)
        return PgResult(cursor)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = [list(row) for row in rows]
        if rows:
            with self.raw.cursor() as cursor:
                cursor.executemany(translate(sql, primary_keys()), rows)

    @contextlib.contextmanager
    def atomic(self) -> Iterator[PgDatabase]:
        """One transaction (a savepoint when nested) that holds the store's write lock until it ends."""
        outermost = self.raw.info.transaction_status == 0  # idle: not already inside a transaction
        with self.raw.transaction():
            if outermost and not self.readonly:
                self.raw.execute(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")
            yield self

    @property
    def readonly(self) -> bool:
        return self.raw.execute("SHOW default_transaction_read_only").fetchone()[0] == "on"

    def table_names(self) -> list[str]:
        return [
            row[0]
            for row in self.raw.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                "AND table_type = 'BASE TABLE' ORDER BY table_name"
            )
        ]

    def columns(self, table: str) -> list[tuple[str, str]]:
        return [
            (row[0], row[1])
            for row in self.raw.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND table_name = $1 ORDER BY ordinal_position",
                [table],
            )
        ]

    def table(self, name: str) -> PgTable:
        return PgTable(self, name)

    def __getitem__(self, name: str) -> PgTable:
        return PgTable(self, name)

    def close(self) -> None:
        self.raw.close()


def connect(url: str, *, readonly: bool = False, lock_timeout: float = 30.0) -> PgDatabase:
    """Connect to ``url``; a missing psycopg or an unreachable server is one line (E160, E161), exit code 2."""
    try:
        import psycopg
    except ImportError:
        raise InputError(Errors.E160.format(url=shown_url(url))) from None
    # The session's settings go in the connection's start-up packet (no round trip each), after any the URL sets.
    settings = {"TimeZone": "UTC", "lock_timeout": f"{int(lock_timeout * 1000)}ms"}
    if readonly:
        settings["default_transaction_read_only"] = "on"
    try:
        given = psycopg.conninfo.conninfo_to_dict(url).get("options") or ""
        options = " ".join([str(given), *(f"-c {name}={value}" for name, value in settings.items())]).strip()
        raw = psycopg.connect(
            url, autocommit=True, cursor_factory=psycopg.RawCursor, connect_timeout=10, options=options
        )
    except psycopg.Error as exc:
        problem = " ".join(str(exc).split()) or type(exc).__name__
        raise InputError(Errors.E161.format(url=shown_url(url), problem=problem)) from None
    _load_numbers_as_python(raw)
    return PgDatabase(raw, url, lock_timeout=lock_timeout)


def open_postgres(url: str, *, readonly: bool = False, migrate: bool = True, lock_timeout: float = 30.0) -> PgDatabase:
    """Open the store at ``url``: check its schema (E012-E016 as for a file), then apply pending migrations."""
    db = connect(url, readonly=readonly, lock_timeout=lock_timeout)
    try:
        _check_schema(db, readonly=readonly)
        if migrate and not readonly:
            apply_migrations(db)
    except BaseException:
        db.close()
        raise
    return db


def apply_migrations(db: PgDatabase) -> list[str]:
    """Apply every migration of :mod:`.schema` not yet recorded, each in its own transaction under the write lock
    (two processes opening a new store at once apply each migration once). Returns the names applied."""
    import psycopg

    from .schema import migrations  # sqlite-utils' registry: imported by writers only

    done = []
    try:
        with db.atomic():
            for statement in _FUNCTIONS:
                db.raw.execute(statement)
            db.raw.execute(
                f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (rowid BIGINT GENERATED ALWAYS AS IDENTITY, "
                "migration_set TEXT NOT NULL, name TEXT NOT NULL, applied_at TEXT NOT NULL, "
                "PRIMARY KEY (migration_set, name))"
            )
        for migration in migrations._migrations:  # noqa: SLF001 (sqlite-utils keeps the registry private)
            with db.atomic():
                if migration.name in applied(db):
                    continue
                migration.fn(db)  # type: ignore[arg-type]  # PgDatabase offers what the migrations call
                db.raw.execute(
                    f"INSERT INTO {MIGRATIONS_TABLE} (migration_set, name, applied_at) VALUES ($1, $2, $3)",
                    [migrations.name, migration.name, datetime.now(UTC).isoformat()],
                )
                done.append(migration.name)
    except psycopg.errors.LockNotAvailable:
        raise LockError(Errors.E010.format(path=shown_url(db.url), timeout=db.lock_timeout)) from None
    return done


def applied(db: PgDatabase, tables: Iterable[str] | None = None) -> list[str]:
    """The migrations recorded in the store, in the order they were applied (``tables``: the store's, if known)."""
    if MIGRATIONS_TABLE not in (db.table_names() if tables is None else tables):
        return []
    return [
        row[0]
        for row in db.raw.execute(
            f"SELECT name FROM {MIGRATIONS_TABLE} WHERE migration_set = $1 ORDER BY rowid",
            [migrated_schema()["migration_set"]],
        )
    ]


def _check_schema(db: PgDatabase, *, readonly: bool) -> None:
    from .db import check_migrations
    from .schema_snapshot import expected_columns

    path = shown_url(db.url)
    stored: dict[str, set[str]] = {}
    for table, column in db.raw.execute(  # every table and its columns in one round trip (a reader's start-up)
        "SELECT c.relname, a.attname FROM pg_class c LEFT JOIN pg_attribute a ON a.attrelid = c.oid "
        "AND a.attnum > 0 AND NOT a.attisdropped "
        "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')"
    ):
        stored.setdefault(table, set()).update([column] if column else [])
    done = applied(db, stored)
    if not done:
        if readonly:
            raise InputError(Errors.E014.format(path=path))
        others = sorted(t for t in stored if t != MIGRATIONS_TABLE)
        if others:
            shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
            raise InputError(
                Errors.E012.format(
                    path=path,
                    problem=f"a database with tables {shown} but no narrative "
                    "schema; give narrative its own database or schema",
                )
            )
        return
    check_migrations(path, done, readonly=readonly)
    if readonly:
        for table, columns in expected_columns().items():
            if table.startswith(SQLITE_ONLY):
                continue
            found = stored.get(table, set())
            missing = [c for c in columns if c not in found] if found else None
            if missing is None or missing:
                problem = (
                    f"table {table!r} is missing" if missing is None else f"table {table!r} has no column {missing}"
                )
                raise StoreError(Errors.E017.format(path=path, problem=problem))


@functools.lru_cache(maxsize=1)
def primary_keys() -> dict[str, tuple[str, ...]]:
    """Each table's primary key, from the migrations run on an in-memory SQLite store (for INSERT OR REPLACE)."""
    found = {}
    for table, info in _sqlite_table_info().items():
        key = sorted((row[5], row[1]) for row in info if row[5])
        found[table] = tuple(name for _, name in key)
    return found


@functools.lru_cache(maxsize=1)
def identity_tables() -> frozenset[str]:
    """Tables whose ``id INTEGER PRIMARY KEY`` is an identity column in PostgreSQL: an INSERT returns the new id."""
    return frozenset(
        table
        for table, info in _sqlite_table_info().items()
        if [row[1] for row in info if row[5]] == ["id"] and any(r[1] == "id" and r[2] == "INTEGER" for r in info)
    )


def _sqlite_table_info() -> dict[str, list[list[Any]]]:
    from .schema_snapshot import migrated_table_info

    return {table: info for table, info in migrated_table_info().items() if not table.startswith(SQLITE_ONLY)}


def _load_numbers_as_python(raw: Any) -> None:
    """numeric (what sum() of integers and round() give) as int when whole, else float, as SQLite returns them."""
    from psycopg.adapt import Loader

    class NumericLoader(Loader):
        def load(self, data: Any) -> int | float:
            text = bytes(data).decode()
            return int(text) if re.fullmatch(r"-?\d+", text) else float(text)

    raw.adapters.register_loader("numeric", NumericLoader)
