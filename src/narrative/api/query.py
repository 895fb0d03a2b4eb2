"""Questions users ask of the store, answered as pandas DataFrames."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..clock import day_bound
from ..config import Settings
from ..errors import Errors, InputError
from ..store import reader
from ..store.aggregates import top_entities, top_entities_direct
from ..store.entity_relevance import attach_relevance
from ..store.mention_sentiment import attach_mention_sentiment
from ..store.queries import known_names
from ..store.recent import figure_page, first_unlinked_name, mention_page


def as_frame(rows, columns):
    import pandas as pd  # imported on use: the CLI's other commands start faster without it

    return pd.DataFrame(rows, columns=columns)


def resolve_entity(name: str, *, db=None, catalog_path: str | None = None) -> tuple[str | None, str]:
    """``(entity_id, canonical name)`` for any alias, Chinese name or ticker of a catalog entity;
    ``(None, name)`` for the name of an unlinked person or organisation found in the store.

    Raises :class:`InputError` (exit 2) naming close matches otherwise.
    """
    index = catalog_names(catalog_path)
    wanted = name.strip().casefold()
    if wanted in index["first"]:
        entity_id, canonical = index["first"][wanted]
        return entity_id, canonical
    if db is not None:
        found = first_unlinked_name(db, name.strip())
        if found:
            return None, found
    candidates = list(index["names"]) + (known_names(db) if db is not None else [])
    import difflib  # only to word the error

    close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.6)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise InputError(Errors.E065.format(name=name, hint=hint))


# Issue 12: validating the ~2,000-entity catalog (pydantic) costs a query command more than its query. The names it
# resolves are kept in the user data folder (narrative.file_cache.cached_by_files), keyed by the catalog files' size and
# time, and rebuilt from the validated catalog whenever one of them changes, so a bad catalog still fails as before.
_NAMES_VERSION = 1


def catalog_names(catalog_path: str | None = None) -> dict[str, Any]:
    """What :func:`resolve_entity` needs of the catalog: ``first`` (each casefolded name, alias, Chinese name and
    ticker, and each id, -> ``[id, canonical name]`` of the first entity with it, in catalog order) and ``names``
    (every name, for close-match hints), from the cache while the catalog files are unchanged.

    >>> catalog_names()["first"]["baba"]  # doctest: +SKIP
    ['alibaba', 'Alibaba Group']
    """
    from ..file_cache import cached_by_files

    key = [_NAMES_VERSION, catalog_path or "", os.environ.get("NARRATIVE_MODELS", ""), str(Path(__file__).parent)]
    return cached_by_files("catalog_names", key, lambda: _build_names(catalog_path))


def _build_names(catalog_path: str | None) -> tuple[dict[str, Any], list[Path] | None]:
    from ..catalog import _shipped_models, load_catalog, models_dir
    from ..file_cache import file_stamps

    path = Path(catalog_path) if catalog_path else models_dir() / "entities.yaml"
    before = file_stamps([path])
    catalog = load_catalog(catalog_path)
    first: dict[str, list[str]] = {}
    for entity in catalog.entities:
        for key in (*{n.casefold() for n in entity.names()}, entity.id):
            first.setdefault(key, [entity.id, entity.name])
    names = {"first": first, "names": [n for e in catalog.entities for n in e.names()]}
    # Every file an include could come from (beside the catalog, or the shipped copy), found or not.
    sources = [path, *(p / name for name in catalog.includes for p in (path.parent, _shipped_models()))]
    return names, (sources if file_stamps([path]) == before else None)  # edited while read: not kept


parse_day = day_bound  # the name api/ used before narrative.clock held the one date parser


def mentions(
    name: str,
    *,
    db_path: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    catalog_path: str | None = None,
    min_relevance: int = 0,
):
    """Every mention of ``name`` (any alias or ticker, or an unlinked name), newest first; ``limit`` rows from
    ``offset`` pages through them. ``relevance`` is the entity's relevance (0-100) to the mention's article
    (issue 10 item 5); ``min_relevance`` keeps the mentions in articles where it reaches that.

    >>> mentions("BABA", since="2025-03-01", limit=50, offset=50, min_relevance=50)  # doctest: +SKIP
    """
    return as_frame(
        mention_rows(
            name,
            db_path=db_path,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
            catalog_path=catalog_path,
            min_relevance=min_relevance,
        ),
        _MENTION_COLUMNS,
    )


def mention_rows(
    name: str,
    *,
    db_path: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    catalog_path: str | None = None,
    min_relevance: int = 0,
) -> list[dict]:
    """:func:`mentions` as a list of dicts, without pandas, so the CLI's table starts light (issue 12).

    >>> mention_rows("BABA", limit=5)[0]["sentence"]  # doctest: +SKIP
    """
    if not 0 <= min_relevance <= 100:
        raise InputError(Errors.E069.format(value=min_relevance))
    since_iso, until_iso = day_bound(since), day_bound(until, end=True)
    with reader(Settings.load(db=db_path)) as db:
        entity_id, canonical = resolve_entity(name, db=db, catalog_path=catalog_path)
        # A relevance floor filters before paging: the page is cut from the mentions that pass it.
        floor = bool(min_relevance)
        rows = mention_page(
            db,
            entity_id=entity_id,
            name=None if entity_id else canonical,
            since=since_iso,
            until=until_iso,
            limit=None if floor else limit,
            offset=0 if floor else offset,
        )
        attach_relevance(db, rows)  # issue 10 item 5: the entity's relevance to each mention's article
        if floor:
            rows = [row for row in rows if (row["relevance"] or 0) >= min_relevance]
            rows = rows[offset : offset + limit if limit else None]
        attach_mention_sentiment(db, rows)  # issue 10 item 4: the sentiment toward the entity in each mention
    return rows


def figures(
    name: str | None = None,
    *,
    db_path: str | None = None,
    since: str | None = None,
    until: str | None = None,
    kind: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    catalog_path: str | None = None,
):
    """Figures stated in the news, optionally only those about ``name``, newest first; ``limit`` rows from
    ``offset`` pages through them.

    >>> figures("Alibaba", kind="change", limit=20)  # doctest: +SKIP
    """
    return as_frame(
        figure_rows(
            name,
            db_path=db_path,
            since=since,
            until=until,
            kind=kind,
            limit=limit,
            offset=offset,
            catalog_path=catalog_path,
        ),
        _FIGURE_COLUMNS,
    )


def figure_rows(
    name: str | None = None,
    *,
    db_path: str | None = None,
    since: str | None = None,
    until: str | None = None,
    kind: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    catalog_path: str | None = None,
) -> list[dict]:
    """:func:`figures` as a list of dicts, without pandas, so the CLI's table starts light (issue 12).

    >>> figure_rows("Alibaba", limit=5)[0]["value"]  # doctest: +SKIP
    """
    since_iso, until_iso = day_bound(since), day_bound(until, end=True)
    with reader(Settings.load(db=db_path)) as db:
        entity_id = canonical = None
        if name:
            entity_id, canonical = resolve_entity(name, db=db, catalog_path=catalog_path)
        rows = figure_page(
            db,
            entity_id=entity_id,
            name=canonical if name and not entity_id else None,
            since=since_iso,
            until=until_iso,
            kind=kind,
            limit=limit,
            offset=offset,
        )
    return rows


def entities(
    *,
    db_path: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 20,
    offset: int = 0,
    linked_only: bool = False,
    min_relevance: int = 0,
):
    """Top entities by mentions in the window (``offset`` pages on), from the per-day aggregates when the window
    is whole days (issue 12), else from the mentions themselves; a catalog entity and an unlinked name are
    separate rows. ``weighted_articles`` sums the entity's relevance / 100 over its articles (issue 10 item 5: a
    story about it counts about 1, a passing mention about 0.2); ``min_relevance`` (0-100) counts only the
    articles where its relevance reaches that.

    >>> entities(db_path="demo.db", since="2025-03-01", limit=10, offset=10, min_relevance=50)  # doctest: +SKIP
    """
    rows = entity_rows(
        db_path=db_path,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
        linked_only=linked_only,
        min_relevance=min_relevance,
    )
    return as_frame(rows, _ENTITY_COLUMNS)


def entity_rows(
    *,
    db_path: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 20,
    offset: int = 0,
    linked_only: bool = False,
    min_relevance: int = 0,
) -> list[dict]:
    """:func:`entities` as a list of dicts, without pandas, so the CLI's table starts light (issue 12).

    >>> entity_rows(limit=3)[0]["entity"]  # doctest: +SKIP
    """
    if not 0 <= min_relevance <= 100:
        raise InputError(Errors.E069.format(value=min_relevance))
    low, high = day_bound(since), day_bound(until, end=True)
    with reader(Settings.load(db=db_path)) as db:
        rows = None
        if _whole_day(low) and _whole_day(high) and not min_relevance:
            rows = top_entities(
                db,
                since_day=low and low[:10],
                until_day=high and high[:10],
                limit=limit,
                offset=offset,
                linked_only=linked_only,
            )
        if rows is None:  # a window inside a day, a relevance floor, or aggregates being refreshed
            rows = top_entities_direct(
                db,
                since=low,
                until=high,
                limit=limit,
                offset=offset,
                linked_only=linked_only,
                min_relevance=min_relevance,
            )
    return rows


def _whole_day(bound: str | None) -> bool:
    return bound is None or bound.endswith("T00:00:00+00:00")


_ENTITY_COLUMNS = [
    "entity_id",
    "entity",
    "type",
    "mentions",
    "articles",
    "weighted_articles",
    "first_seen",
    "last_seen",
]
_MENTION_COLUMNS = [
    "entity_id",
    "entity",
    "surface",
    "label",
    "article_id",
    "url",
    "published",
    "title",
    "sentence",
    "sentence_idx",
    "start",
    "end",
    "method",
    "extractor_version",
    "relevance",
    "sentiment",
    "polarity",
    "sentiment_method",
]
_FIGURE_COLUMNS = [
    "subject_entity_id",
    "subject",
    "value",
    "value_high",
    "unit",
    "kind",
    "direction",
    "period",
    "period_text",
    "qualifier",
    "negated",
    "noun",
    "surface",
    "sentence",
    "published",
    "url",
    "article_id",
    "sentence_idx",
    "start",
    "end",
    "subject_method",
    "extractor_version",
]
