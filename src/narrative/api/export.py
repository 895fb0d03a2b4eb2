"""A Parquet snapshot of the store for DuckDB, pandas or Spark (issue 14 item 3): ``narrative export``.

One file per table in ``--out``: ``articles``, ``mentions`` (with each mention's entity sentiment, m011, and its
entity's relevance to the article, m012), ``article_entities``, ``figures``, ``sentence_scores``, ``article_scores``
and ``narrative_index`` (the daily index as ``narrative index`` shows it), plus ``manifest.json`` (schema version,
row counts, versions, when). The store is opened read-only and read in one transaction, so the files are one
consistent snapshot even while ``ingest`` writes; rows stream through a ``ParquetWriter`` a chunk at a time, so a
store of millions of rows never sits in memory. Each file is written under a temporary name and renamed when
complete, and the manifest is written last: a folder with a manifest holds a whole export.

Reading it back (DuckDB is optional, not a dependency)::

    import duckdb
    duckdb.sql("SELECT entity_id, avg(polarity) FROM 'out/mentions.parquet' GROUP BY 1")
    import pandas as pd
    pd.read_parquet("out/articles.parquet", columns=["id", "published", "title"])

>>> export_parquet("export", db_path="narrative.db", since="2025-01-01")  # doctest: +SKIP
ExportSummary(out='export', rows={'articles': 1200, ...})
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlite_utils import Database

from ..clock import day_bound, utc_now_iso
from ..config import Settings
from ..errors import Errors, InputError
from ..store import reader
from ..store.db import published_window
from ..store.schema import migrations

if TYPE_CHECKING:
    import pyarrow as pa

CHUNK_ROWS = 50_000  # rows per fetch and per Parquet row group: bounded memory whatever the store's size
MANIFEST = "manifest.json"
FORMAT_VERSION = "export-1"  # the layout of the folder (files, extra columns); bump when it changes

# (alias, table) read per export, in the order written; the first is the table the rows come from.
_SOURCES: dict[str, tuple[str, str]] = {
    "articles": ("a", "articles"),
    "mentions": ("m", "mentions"),
    "article_entities": ("r", "article_entities"),
    "figures": ("f", "figures"),
    "sentence_scores": ("s", "sentence_scores"),
    "article_scores": ("s", "article_scores"),
}
_ORDER = {
    "articles": "a.id",
    "mentions": "m.id",
    "article_entities": "r.article_id, r.linked, r.entity_key",
    "figures": "f.id",
    "sentence_scores": "s.article_id, s.sentence_idx, s.narrative",
    "article_scores": "s.article_id, s.narrative",
}
# mentions gain their entity sentiment (m011) and their entity's relevance to the article (m012), when stored
_MENTION_SENTIMENT = {
    "label": "sentiment",
    "negative": "sentiment_negative",
    "neutral": "sentiment_neutral",
    "positive": "sentiment_positive",
    "polarity": "polarity",
    "method": "sentiment_method",
    "scorer_version": "sentiment_version",
}
_MENTION_RELEVANCE = {"relevance": "relevance", "version": "relevance_version"}
_RELEVANCE_JOIN = (
    " LEFT JOIN article_entities r ON r.article_id = m.article_id AND r.linked = (m.entity_id IS NOT NULL)"
    " AND r.entity_key = coalesce(m.entity_id, lower(m.name))"
)


@dataclasses.dataclass
class ExportSummary:
    """What :func:`export_parquet` wrote: the folder, each file's row count, the manifest."""

    out: str
    rows: dict[str, int]
    manifest: dict[str, Any]

    def line(self) -> str:
        counts = ", ".join(f"{table} {count}" for table, count in self.rows.items())
        return f"exported to {self.out}: {counts} rows (schema {self.manifest['schema_version']})"


def export_parquet(
    out: str | os.PathLike[str],
    *,
    db_path: str | None = None,
    since: str | None = None,
    until: str | None = None,
    chunk_rows: int = CHUNK_ROWS,
    progress: Callable[[str, int], None] | None = None,
) -> ExportSummary:
    """Write the store's articles published in ``[since, until]`` (days or ISO times; ``until`` a day includes
    it) and their mentions, figures, scores and daily index as Parquet files in ``out`` (created if missing),
    reading ``chunk_rows`` rows at a time from a read-only snapshot. ``progress(table, rows_so_far)`` is called
    after each chunk.

    >>> export_parquet("snapshot", db_path="narrative.db").rows["articles"]  # doctest: +SKIP
    1200
    """
    pq = _pyarrow_parquet()
    folder = _out_folder(out)
    settings = Settings.load(db=db_path)
    low, high = day_bound(since), day_bound(until, end=True)
    progress = progress or _quiet
    counts: dict[str, int] = {}
    versions: dict[str, dict[str, list[str]]] = {}
    with reader(settings) as db:
        db.execute("BEGIN")  # one read transaction: every file comes from the same state of the store
        try:
            tables = set(db.table_names())
            for name in _SOURCES:
                if _SOURCES[name][1] not in tables:
                    continue
                sql, params, schema = _select(db, name, tables, low, high)
                seen: dict[str, set[str]] = {}
                counts[name] = _write(
                    pq,
                    folder / f"{name}.parquet",
                    schema,
                    _chunks(db, sql, params, chunk_rows),
                    seen,
                    functools.partial(progress, name),
                )
                versions[name] = {column: sorted(values) for column, values in seen.items()}
            counts["narrative_index"] = _write_index(pq, db, folder / "narrative_index.parquet", since, until)
            progress("narrative_index", counts["narrative_index"])
            schema_version = _schema_version(db)
        finally:
            db.execute("ROLLBACK")
    manifest = _manifest(settings.db, schema_version, counts, versions, since=low, until=high)
    _replace(folder / MANIFEST, json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    return ExportSummary(out=str(folder), rows=counts, manifest=manifest)


def _quiet(table: str, rows: int) -> None:
    pass


def _pyarrow_parquet() -> Any:
    try:
        import pyarrow.parquet as pq  # optional extra (narrative[export]): imported only when exporting
    except ImportError:
        raise InputError(Errors.E106.format(what="narrative export")) from None
    return pq


def _out_folder(out: str | os.PathLike[str]) -> Path:
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise InputError(Errors.E105.format(path=folder, problem="is a file"))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(Errors.E105.format(path=folder, problem=exc.strerror or exc)) from None
    if not os.access(folder, os.W_OK):
        raise InputError(Errors.E105.format(path=folder, problem="folder not writable"))
    return folder


def _columns(db: Database, alias: str, table: str, rename: dict[str, str] | None = None) -> list[tuple[str, str, str]]:
    """(SQL expression, output name, declared type) of ``table``'s columns, or of those in ``rename`` renamed."""
    info = [(row[1], (row[2] or "").upper()) for row in db.execute(f"PRAGMA table_info([{table}])")]
    if rename is None:
        return [(f'{alias}."{name}"', name, kind) for name, kind in info]
    return [(f'{alias}."{name}"', rename[name], kind) for name, kind in info if name in rename]


def _select(
    db: Database, name: str, tables: set[str], low: str | None, high: str | None
) -> tuple[str, list[Any], pa.Schema]:
    """The query of one export (rows of articles in the window, in a stable order) and its Arrow schema."""
    alias, table = _SOURCES[name]
    columns = _columns(db, alias, table)
    joins = "" if table == "articles" else f" JOIN articles a ON a.id = {alias}.article_id"
    if name == "mentions":
        if "mention_sentiment" in tables:
            columns += _columns(db, "ms", "mention_sentiment", _MENTION_SENTIMENT)
            joins += " LEFT JOIN mention_sentiment ms ON ms.mention_id = m.id"
        if "article_entities" in tables:
            columns += _columns(db, "r", "article_entities", _MENTION_RELEVANCE)
            joins += _RELEVANCE_JOIN
    params: list[Any] = []
    window = published_window("a", low, high, params)
    select = ", ".join(f'{expr} AS "{out}"' for expr, out, _ in columns)
    sql = f"SELECT {select} FROM {table} {alias}{joins} WHERE 1 = 1{window} ORDER BY {_ORDER[name]}"
    return sql, params, _schema([(out, kind) for _, out, kind in columns])


def _schema(columns: list[tuple[str, str]]) -> pa.Schema:
    """Arrow types from SQLite's declared types (fixed up front: a chunk of NULLs must not decide a column's type)."""
    import pyarrow as pa

    def arrow_type(kind: str) -> pa.DataType:
        if "INT" in kind:
            return pa.int64()
        if any(word in kind for word in ("REAL", "FLOA", "DOUB")):
            return pa.float64()
        return pa.string()  # TEXT, and JSON kept as its text; times stay ISO-8601 strings as stored

    return pa.schema([pa.field(name, arrow_type(kind)) for name, kind in columns])


def _chunks(db: Database, sql: str, params: list[Any], size: int) -> Iterator[list[tuple]]:
    cursor = db.execute(sql, params)
    while rows := cursor.fetchmany(size):
        yield rows


def _write(
    pq: Any,
    path: Path,
    schema: pa.Schema,
    chunks: Iterator[list[tuple]],
    versions: dict[str, set[str]],
    progress: Callable[[int], None],
) -> int:
    """Stream ``chunks`` of rows into ``path`` (one row group each, renamed into place when complete); collects the
    distinct values of the version columns into ``versions``. The row count."""
    import pyarrow as pa

    version_columns = [i for i, name in enumerate(schema.names) if name.endswith("version")]
    partial = path.with_name(path.name + ".partial")
    total = 0
    with pq.ParquetWriter(partial, schema, compression="zstd") as writer:
        for rows in chunks:
            arrays = [pa.array([row[i] for row in rows], type=field.type) for i, field in enumerate(schema)]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            for i in version_columns:
                versions.setdefault(schema.names[i], set()).update(row[i] for row in rows if row[i] is not None)
            total += len(rows)
            progress(total)
    os.replace(partial, path)
    return total


def _write_index(pq: Any, db: Database, path: Path, since: str | None, until: str | None) -> int:
    """The daily narrative index of every scored narrative, for each stored precision filter (``all`` and
    ``exact``), as ``narrative index`` computes it from the per-day aggregates (days still dirty recomputed)."""
    import pandas as pd
    import pyarrow as pa

    from ..market.index import COLUMNS
    from .aggregates import STORED_PRECISIONS, index_from_days

    start = None if since is None else pd.Timestamp(since.strip()[:10])
    end = None if until is None else pd.Timestamp(until.strip()[:10])
    narratives = [
        row[0]
        for row in db.execute(
            "SELECT replace(narrative, '_', '-') FROM article_scores UNION SELECT narrative FROM narrative_days "
            "UNION SELECT narrative FROM aggregate_dirty WHERE kind = 'index' ORDER BY 1"
        )
    ]
    frames = []
    for narrative in narratives:
        for precision in STORED_PRECISIONS:
            frame = index_from_days(db, narrative, precision, start=start, end=end).reset_index()
            frame.insert(0, "precision", precision)
            frame.insert(0, "narrative", narrative)
            frames.append(frame)
    columns = ["narrative", "precision", "date", *COLUMNS]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    frame["date"] = pd.to_datetime(frame["date"]).dt.date  # a calendar day, not a time
    frame["first_published"] = pd.to_datetime(frame["first_published"], utc=True)
    table = pa.Table.from_pandas(frame[columns], schema=_index_schema(columns), preserve_index=False)
    partial = path.with_name(path.name + ".partial")
    pq.write_table(table, partial, compression="zstd")
    os.replace(partial, path)
    return table.num_rows


def _index_schema(columns: list[str]) -> pa.Schema:
    import pyarrow as pa

    types = {"narrative": pa.string(), "precision": pa.string(), "date": pa.date32()}
    types["first_published"] = pa.timestamp("us", tz="UTC")
    for name in ("stance", "stance_stories", "share_positive", "net"):
        types[name] = pa.float64()
    return pa.schema([pa.field(name, types.get(name, pa.int64())) for name in columns])


def _schema_version(db: Database) -> str:
    """The last migration applied to the store (its schema version)."""
    row = db.execute(
        f"SELECT name FROM [{migrations.migrations_table}] WHERE migration_set = ? ORDER BY rowid DESC LIMIT 1",
        [migrations.name],
    ).fetchone()
    return row[0] if row else ""


def _manifest(
    db: str,
    schema_version: str,
    counts: dict[str, int],
    versions: dict[str, dict[str, list[str]]],
    *,
    since: str | None,
    until: str | None,
) -> dict[str, Any]:
    from importlib.metadata import version

    return {
        "format": FORMAT_VERSION,
        "schema_version": schema_version,
        "exported_at": utc_now_iso(),
        "store": str(Path(db).resolve()),
        "published_since": since,
        "published_before": until,
        "rows": counts,
        "files": {table: f"{table}.parquet" for table in counts},
        "versions": {"narrative": version("narrative"), "pyarrow": version("pyarrow"), "stored": versions},
    }


def _replace(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
