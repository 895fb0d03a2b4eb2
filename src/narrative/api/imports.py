"""``narrative import``: backfilling CSV/JSONL archives through the same normalisation and dedup as feeds."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable
from pathlib import Path

from .. import plugins
from ..clock import utc_now_iso
from ..config import Settings
from ..errors import Errors, InputError
from ..ingest.archive import COLUMN_ALIASES, ArchiveRow, RowProblem, parse_archive_date
from ..ingest.item import Item, make_item
from ..ingest.normalize import canonical_url, detect_language, time_zone
from ..store import writer
from ..store.articles import save_items
from .enrich import EnrichSummary, enrich_pending, on_engine

IMPORT_BATCH = 1000


@dataclasses.dataclass
class ImportSummary:
    path: str
    rows: int = 0
    new: int = 0
    duplicates: int = 0
    seen: int = 0
    problems: list[RowProblem] = dataclasses.field(default_factory=list)
    seconds: float = 0.0
    enrichment: EnrichSummary | None = None

    def line(self) -> str:
        line = (
            f"{self.path}: {self.rows} rows read; {self.new} new articles, {self.duplicates} duplicates, "
            f"{self.seen} already imported; {len(self.problems)} rows skipped; {self.seconds:.1f}s"
        )
        if self.enrichment is not None and self.enrichment.articles:
            line += f"\n{self.enrichment.line()}"
        return line


def import_archive(
    path: str,
    *,
    db_path: str | None = None,
    settings: Settings | None = None,
    source: str | None = None,
    encoding: str | None = None,
    column_map: dict[str, str] | None = None,
    as_of: str | None = None,
    language: str | None = None,
    enrich: bool = True,
    timezone: str | None = None,
    workers: int | None = None,
    engine: str = "inprocess",
    address: str | None = None,
    num_workers: int | None = None,
) -> ImportSummary:
    """Backfill a CSV/JSONL archive through the same normalisation and dedup as feeds.

    Bad rows are skipped and returned in ``problems`` with their line numbers. ``timezone`` (an IANA name) is
    the source's zone: a date-only row means that date there, a time without an offset that time there.
    ``workers``: processes that extract and score the new articles (default: the ``workers`` setting; see
    :mod:`.parallel`). ``engine="ray"`` (``address``, ``num_workers``) stores the archive first, then extracts and
    scores every pending article on a Ray actor pool, as ``narrative enrich --engine ray`` does (issue 14).

    >>> import_archive("archive.csv", db_path="narrative.db", workers=2).line()  # doctest: +SKIP
    """
    settings = settings or Settings.load(db=db_path)
    if workers is not None:
        settings = dataclasses.replace(settings, workers=workers)
    elsewhere = on_engine(engine, address, num_workers)
    if elsewhere:  # the engine options are checked before anything is read or written
        from .ray_engine import check_engine_options

        check_engine_options(engine, address=address, num_workers=num_workers)
    zone = None
    if timezone:
        try:
            zone = time_zone(timezone)
        except ValueError as exc:
            raise InputError(Errors.E026.format(problem=exc)) from None
    anchor = None
    if as_of:
        parsed = parse_archive_date(as_of, zone=zone)
        if isinstance(parsed, str):
            raise InputError(Errors.E030.format(value=as_of))
        anchor = parsed[0]
    for field, column in (column_map or {}).items():
        if field not in COLUMN_ALIASES:  # checked before anything is read or written
            raise InputError(Errors.E060.format(field=field, column=column, allowed=", ".join(COLUMN_ALIASES)))
    default_source = source or f"import:{Path(path).name}"
    summary = ImportSummary(path=str(path))
    started = time.monotonic()
    rows = plugins.importer_for(path).value(path, encoding=encoding, column_map=column_map, as_of=anchor, zone=zone)
    new_ids: list[int] = []
    with writer(settings) as db:
        for batch in _batches(rows, IMPORT_BATCH):
            with db.atomic():
                for source_name, items in _group_by_source(batch, default_source, language, summary):
                    stats = save_items(
                        db,
                        source=source_name,
                        source_kind="import",
                        items=items,
                        window_hours=settings.dedup_window_hours,
                        now=utc_now_iso(),
                    )
                    summary.new += stats.new
                    summary.duplicates += stats.duplicates
                    summary.seen += stats.seen
                    new_ids += stats.new_ids
        if enrich and not elsewhere:  # this import's articles and any an earlier run left unenriched (issue 11)
            summary.enrichment = enrich_pending(db, new_ids=new_ids, settings=settings)
    if enrich and elsewhere:  # after the writer is released: the engine's driver is the store's writer now
        from .ray_engine import enrich_on_engine

        summary.enrichment = enrich_on_engine(engine, settings, address=address, num_workers=num_workers)
    summary.seconds = time.monotonic() - started
    return summary


def _group_by_source(
    batch: list[ArchiveRow | RowProblem], default_source: str, language: str | None, summary: ImportSummary
) -> list[tuple[str, list[Item]]]:
    groups: dict[str, list[Item]] = {}
    for row in batch:
        if isinstance(row, RowProblem):
            summary.problems.append(row)
            continue
        summary.rows += 1
        item = make_item(
            title=row.title,
            summary=row.summary,
            text=row.text,
            url=row.url,
            guid=None,
            published=row.published,
            published_source=row.published_source,
            language=language or detect_language(f"{row.title}\n{row.text}"),
            author=None,
            canonical=canonical_url(row.url),
            title_derived=row.title_derived,
            source_tz=row.source_tz,
        )
        groups.setdefault(row.source or default_source, []).append(item)
    return list(groups.items())


def _batches(rows: Iterable, size: int) -> Iterable[list]:
    batch: list = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
