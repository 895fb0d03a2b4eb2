"""Per-day aggregates that keep the query commands fast as the store grows (issue 12 item 3).

Triggers (migration ``m009``) mark the days a write touches in ``aggregate_dirty``; :func:`refresh_entity_days`
recomputes those days of ``entity_days`` (mentions per entity per UTC day) and the totals of the entities they
name from the rows themselves, so re-enrichment replaces a day's figures instead of adding to them. The narrative
index's days (``narrative_days``) are computed by :mod:`narrative.api.aggregates` (the index is ``market/``'s
computation); this module only stores and reads them.

An entity is keyed by ``(linked, entity_key)``: ``linked`` is 1 for a catalog entity, whose key is its id, and 0 for
an unlinked name, whose key is the lowercased name.

>>> from narrative.store import open_db
>>> db = open_db(":memory:")
>>> refresh_entity_days(db)
0
>>> top_entities(db, limit=5)
[]
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from .db import published_window, rows

if TYPE_CHECKING:  # type hints only: a read command does not import sqlite-utils (issue 12)
    from sqlite_utils import Database

# agg-2: relevance-weighted article counts (m012, issue 10 item 5).
AGGREGATOR_VERSION = "agg-2"

# The daily index's columns as narrative_days stores them: narrative.market.index.COLUMNS, which computes them
# (store cannot import market; tests/test_issue_14_scale.py holds the two equal).
NARRATIVE_DAY_COLUMNS = [
    "attention",
    "stories",
    "mentions",
    "stance",
    "stance_stories",
    "share_positive",
    "net",
    "n_exact",
    "n_date_only",
    "n_fetched",
    "n_relative",
    "first_published",
]
# Past this many dirty days the totals are rebuilt from every day in one statement rather than key by key.
REBUILD_TOTALS_AFTER_DAYS = 40

_ENTITY_COLUMNS = (
    "m.entity_id IS NOT NULL AS linked, coalesce(m.entity_id, lower(m.name)) AS entity_key, "
    "m.entity_id, m.name, m.label, count(*) AS mentions, count(DISTINCT m.article_id) AS articles, "
    "min(a.published) AS first_seen, max(a.published) AS last_seen"
)
# Relevance-weighted article count per entity (issue 10 item 5): an article counts its entity's relevance / 100, so
# the subject of a story counts about 1 and a passing mention about 0.2 (store.entity_relevance, m012).
_WEIGHTED = (
    "SELECT r.linked, r.entity_key, sum(r.relevance) / 100.0 AS weighted FROM articles a "
    "JOIN article_entities r ON r.article_id = a.id WHERE a.published >= ? AND a.published < ? GROUP BY 1, 2"
)
_RANKED = (
    "SELECT {src}.entity_id, coalesce(e.name, {src}.name) AS entity, coalesce(e.type, lower({src}.label)) "
    "AS type, {src}.mentions, {src}.articles, round({src}.weighted_articles, 2) AS weighted_articles, "
    "{src}.first_seen, {src}.last_seen FROM ({inner}) {src} "
    "LEFT JOIN entities e ON e.id = {src}.entity_id ORDER BY {src}.mentions DESC, {src}.articles DESC, entity "
    "LIMIT ? OFFSET ?"
)


def dirty_days(db: Database, kind: str, narrative: str = "") -> list[str]:
    """The days of ``kind`` (``entities`` or ``index``) whose aggregates are out of date, oldest first."""
    return [
        row[0]
        for row in db.execute(
            "SELECT day FROM aggregate_dirty WHERE kind = ? AND narrative = ? ORDER BY day", [kind, narrative]
        )
    ]


def dirty_narratives(db: Database) -> list[str]:
    """Narratives with at least one index day out of date."""
    return [row[0] for row in db.execute("SELECT DISTINCT narrative FROM aggregate_dirty WHERE kind = 'index'")]


def clear_dirty(db: Database, kind: str, narrative: str, days: Iterable[str]) -> None:
    db.conn.executemany(
        "DELETE FROM aggregate_dirty WHERE kind = ? AND narrative = ? AND day = ?",
        [(kind, narrative, day) for day in days],
    )


def refresh_entity_days(db: Database) -> int:
    """Recompute every dirty day of ``entity_days`` and the totals of the entities those days name (call with the
    writer lock held; runs in its own transaction). Returns the number of days recomputed."""
    days = dirty_days(db, "entities")
    if not days:
        return 0
    with db.atomic():
        db.execute(
            "CREATE TEMP TABLE IF NOT EXISTS touched_keys (linked INTEGER, entity_key TEXT, "
            "PRIMARY KEY (linked, entity_key))"
        )
        db.execute("DELETE FROM touched_keys")
        for day in days:
            db.execute(
                "INSERT OR IGNORE INTO touched_keys SELECT linked, entity_key FROM entity_days WHERE day = ?", [day]
            )
            db.execute("DELETE FROM entity_days WHERE day = ?", [day])
            next_day = _next_day(db, day)
            db.execute(
                f"INSERT INTO entity_days (day, linked, entity_key, entity_id, name, label, mentions, articles, "
                f"first_seen, last_seen, weighted_articles, aggregator_version) SELECT ?, c.*, "
                f"coalesce(w.weighted, 0), ? FROM (SELECT {_ENTITY_COLUMNS} "
                f"FROM articles a JOIN mentions m ON m.article_id = a.id "
                f"WHERE a.published >= ? AND a.published < ? GROUP BY 1, 2) c LEFT JOIN ({_WEIGHTED}) w "
                f"ON w.linked = c.linked AND w.entity_key = c.entity_key",
                [day, AGGREGATOR_VERSION, day, next_day, day, next_day],
            )
            db.execute(
                "INSERT OR IGNORE INTO touched_keys SELECT linked, entity_key FROM entity_days WHERE day = ?", [day]
            )
        totals = (
            "INSERT INTO entity_totals (linked, entity_key, entity_id, name, label, mentions, articles, "
            "first_seen, last_seen, weighted_articles, aggregator_version) SELECT d.linked, d.entity_key, "
            "d.entity_id, d.name, d.label, sum(d.mentions), sum(d.articles), min(d.first_seen), "
            "max(d.last_seen), sum(d.weighted_articles), ? "
            "FROM entity_days d {where} GROUP BY d.linked, d.entity_key"
        )
        if len(days) > REBUILD_TOTALS_AFTER_DAYS:
            db.execute("DELETE FROM entity_totals")
            db.execute(totals.format(where=""), [AGGREGATOR_VERSION])
        else:
            db.execute(
                "DELETE FROM entity_totals WHERE (linked, entity_key) IN (SELECT linked, entity_key FROM touched_keys)"
            )
            db.execute(
                totals.format(where="JOIN touched_keys t ON t.linked = d.linked AND t.entity_key = d.entity_key"),
                [AGGREGATOR_VERSION],
            )
        refresh_entity_months(db, sorted({day[:7] for day in days}))
        clear_dirty(db, "entities", "", days)
    return len(days)


def top_entities(
    db: Database,
    *,
    since_day: str | None = None,
    until_day: str | None = None,
    limit: int = 20,
    offset: int = 0,
    linked_only: bool = False,
) -> list[dict[str, Any]] | None:
    """Entities by mentions (then distinct articles, then name) in the days ``since_day`` to ``until_day``
    (exclusive), from the aggregates; None while a day is dirty (the caller then asks :func:`top_entities_direct`).

    >>> from narrative.store import open_db
    >>> top_entities(open_db(":memory:"), since_day="2025-03-01", until_day="2025-03-08")
    []
    """
    if db.execute("SELECT 1 FROM aggregate_dirty WHERE kind = 'entities' LIMIT 1").fetchone():
        return None
    linked = " AND linked = 1" if linked_only else ""
    if since_day is None and until_day is None:
        inner = f"SELECT * FROM entity_totals WHERE 1 = 1{linked}"
        return rows(db, _RANKED.format(src="t", inner=inner), [limit, offset])
    return _top_entities_in_window(db, since_day, until_day, limit=limit, offset=offset, linked=linked)


def top_entities_direct(
    db: Database,
    *,
    since: str | None = None,
    until: str | None = None,
    limit: int = 20,
    offset: int = 0,
    linked_only: bool = False,
    min_relevance: int = 0,
) -> list[dict[str, Any]]:
    """:func:`top_entities` recomputed from ``mentions`` (any ISO window, ``until`` exclusive): the reference the
    aggregates are tested against, and the answer while they are being refreshed. ``min_relevance`` (0-100) counts
    only the articles where the entity's relevance reaches it (``article_entities``, issue 10 item 5).

    >>> from narrative.store import open_db
    >>> top_entities_direct(open_db(":memory:"), min_relevance=50)
    []
    """
    params: list[Any] = []
    relevant = ""
    if min_relevance:
        relevant = (
            " JOIN article_entities r ON r.article_id = m.article_id AND r.linked = (m.entity_id IS NOT NULL) "
            "AND r.entity_key = coalesce(m.entity_id, lower(m.name)) AND r.relevance >= ?"
        )
        params.append(min_relevance)
    window = published_window("a", since, until, params)
    linked = " AND m.entity_id IS NOT NULL" if linked_only else ""
    params.append(min_relevance)
    weighted_window = published_window("a", since, until, params)
    inner = (
        f"SELECT c.*, coalesce(w.weighted, 0) AS weighted_articles FROM (SELECT {_ENTITY_COLUMNS} "
        f"FROM mentions m JOIN articles a ON a.id = m.article_id{relevant} WHERE 1 = 1{linked}{window} "
        f"GROUP BY 1, 2) c LEFT JOIN (SELECT r.linked, r.entity_key, sum(r.relevance) / 100.0 AS weighted "
        f"FROM articles a JOIN article_entities r ON r.article_id = a.id WHERE r.relevance >= ?{weighted_window} "
        f"GROUP BY 1, 2) w ON w.linked = c.linked AND w.entity_key = c.entity_key"
    )
    return rows(db, _RANKED.format(src="t", inner=inner), [*params, limit, offset])


def create_entity_months(db: Database) -> None:
    """``entity_months`` (migration ``m013``): each entity's counts per calendar month, the sums of its
    ``entity_days``, filled from the stored days (a day still dirty is recomputed, with its month, by the next
    refresh). A window of days then costs its whole months' rows plus at most half a month of days at each end
    instead of every day's rows (issue 12: ``entities --since``)."""
    db.execute(
        "CREATE TABLE entity_months (month TEXT NOT NULL, linked INTEGER NOT NULL, entity_key TEXT NOT NULL, "
        "mentions INTEGER NOT NULL, articles INTEGER NOT NULL, weighted_articles REAL NOT NULL, "
        "aggregator_version TEXT NOT NULL, PRIMARY KEY (month, linked, entity_key)) WITHOUT ROWID"
    )
    db.execute(_MONTH_SUMS.format(where=""), [AGGREGATOR_VERSION])


_MONTH_SUMS = (
    "INSERT INTO entity_months (month, linked, entity_key, mentions, articles, weighted_articles, "
    "aggregator_version) SELECT substr(d.day, 1, 7), d.linked, d.entity_key, sum(d.mentions), sum(d.articles), "
    "sum(d.weighted_articles), ? FROM entity_days d{where} GROUP BY substr(d.day, 1, 7), d.linked, d.entity_key"
)


def refresh_entity_months(db: Database, months: list[str]) -> None:
    """Recompute ``entity_months`` for ``months`` (``YYYY-MM``) from ``entity_days`` (inside the refresh's
    transaction)."""
    for month in months:
        db.execute("DELETE FROM entity_months WHERE month = ?", [month])
        db.execute(
            _MONTH_SUMS.format(where=" WHERE d.day >= ? AND d.day < ?"),
            [AGGREGATOR_VERSION, f"{month}-01", _month_after(month) + "-01"],
        )


def _top_entities_in_window(
    db: Database, since_day: str | None, until_day: str | None, *, limit: int, offset: int, linked: str
) -> list[dict[str, Any]]:
    """:func:`top_entities` over whole days ``since_day`` to ``until_day`` (exclusive): each entity's sums from
    the months inside the window and the days of the months it cuts (a cut month's own days, or its month minus
    the days outside, whichever are fewer), ranked; first and last seen read for the page's rows only."""
    parts, params = [], []
    columns = "linked, entity_key, {sign}mentions, {sign}articles, {sign}weighted_articles"
    for table, column, low, high, sign in _window_pieces(db, since_day, until_day):
        # unary +: read by the day (month) range, not by every linked entity's rows
        plus = linked.replace("linked", "+linked")
        parts.append(f"SELECT {columns.format(sign=sign)} FROM {table} WHERE {column} >= ? AND {column} < ?{plus}")
        params += [low, high]
    if not parts:
        return []
    sums = (
        "SELECT linked, entity_key, sum(mentions) AS mentions, sum(articles) AS articles, "
        f"sum(weighted_articles) AS weighted_articles FROM ({' UNION ALL '.join(parts)}) p "
        "GROUP BY linked, entity_key HAVING sum(mentions) > 0"
    )
    inner = (
        "SELECT s.linked, s.entity_key, t.entity_id, t.name, t.label, s.mentions, s.articles, s.weighted_articles, "
        f"NULL AS first_seen, NULL AS last_seen FROM ({sums}) s JOIN entity_totals t "
        "ON t.linked = s.linked AND t.entity_key = s.entity_key"
    )
    ranked = _RANKED.format(src="r", inner=inner).replace(
        "SELECT r.entity_id,", "SELECT r.linked, r.entity_key, e.id IS NOT NULL AS in_catalog, r.entity_id,", 1
    )
    found = rows(db, ranked, [*params, limit, offset])
    low, high = since_day or "", until_day or "9999-12-31"
    seen = (
        "SELECT {columns} FROM entity_days WHERE linked = ? AND entity_key = ? AND day >= ? AND day < ? "
        "ORDER BY day{order} LIMIT 1"
    )
    for row in found:
        key = [row.pop("linked"), row.pop("entity_key"), low, high]
        row["first_seen"] = db.execute(seen.format(columns="first_seen", order=""), key).fetchone()[0]
        name, label, row["last_seen"] = db.execute(
            seen.format(columns="name, label, last_seen", order=" DESC"), key
        ).fetchone()
        if not row.pop("in_catalog"):  # a name spelled (or labelled) differently on other days: its latest day's
            row["entity"], row["type"] = name, label.lower()
    return found


def _window_pieces(db: Database, since_day: str | None, until_day: str | None) -> list[tuple[str, str, str, str, str]]:
    """(table, column, from, to exclusive, sign) of the day and month rows whose signed sum is the window."""
    # two statements: min() and max() in one would read the whole key index
    bounds = [db.execute(f"SELECT {pick}(day) FROM entity_days").fetchone()[0] for pick in ("min", "max")]
    if bounds[0] is None:
        return []
    low = max(since_day or bounds[0], bounds[0])
    high = min(until_day or _next_iso_day(bounds[1]), _next_iso_day(bounds[1]))
    if low >= high:
        return []
    pieces = []
    month = low[:7]
    while f"{month}-01" < high:
        start, end = f"{month}-01", _month_after(month) + "-01"
        inside = (max(start, low), min(end, high))
        if inside == (start, end):
            pieces.append(("entity_months", "month", month, _month_after(month), ""))
        elif _days_between(*inside) <= _days_between(start, end) - _days_between(*inside):
            pieces.append(("entity_days", "day", inside[0], inside[1], ""))
        else:  # most of the month: the month, less the days outside the window
            pieces.append(("entity_months", "month", month, _month_after(month), ""))
            if start < inside[0]:
                pieces.append(("entity_days", "day", start, inside[0], "-"))
            if inside[1] < end:
                pieces.append(("entity_days", "day", inside[1], end, "-"))
        month = _month_after(month)
    return pieces


def _month_after(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"


def _next_iso_day(day: str) -> str:
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


def _days_between(first: str, end: str) -> int:
    return (date.fromisoformat(end) - date.fromisoformat(first)).days


def entity_day_rows(db: Database) -> list[dict[str, Any]]:
    """Every stored entity day (for tests and the bench), ordered."""
    return rows(
        db,
        "SELECT day, linked, entity_key, mentions, articles, weighted_articles, first_seen, last_seen "
        "FROM entity_days "
        "ORDER BY day, linked, entity_key",
    )


def narrative_day_rows(
    db: Database, narrative: str, precision: str, *, first_day: str | None = None, last_day: str | None = None
) -> list[dict[str, Any]]:
    """Stored index days of ``narrative`` for ``precision`` (``all`` or ``exact``), ``first_day`` to ``last_day``
    inclusive, oldest first."""
    params: list[Any] = [narrative, precision]
    window = published_window("narrative_days", first_day, last_day, params, column="day", until_inclusive=True)
    return rows(db, f"SELECT * FROM narrative_days WHERE narrative = ? AND precision = ?{window} ORDER BY day", params)


def save_narrative_days(
    db: Database, narrative: str, precision: str, days: list[str], computed: list[dict[str, Any]]
) -> None:
    """Replace the stored index of ``narrative``/``precision`` on ``days`` by ``computed`` (rows with a ``day`` and
    the index columns; quiet days are simply absent). Call inside ``db.atomic()``."""
    db.conn.executemany(
        "DELETE FROM narrative_days WHERE narrative = ? AND precision = ? AND day = ?",
        [(narrative, precision, day) for day in days],
    )
    columns = NARRATIVE_DAY_COLUMNS
    db.conn.executemany(
        f"INSERT INTO narrative_days (narrative, precision, day, {', '.join(columns)}, aggregator_version) "
        f"VALUES (?, ?, ?, {', '.join('?' for _ in columns)}, ?)",
        [(narrative, precision, row["day"], *(row[c] for c in columns), AGGREGATOR_VERSION) for row in computed],
    )


def index_inputs(
    db: Database, narrative: str, *, since: str | None = None, until: str | None = None, min_relevance: float = 0.0
) -> list[dict[str, Any]]:
    """What the narrative index reads of each scored article with ``relevance >= min_relevance`` (the only ones it
    counts): ``article_id, published, precision, source_tz, relevance, stance, story_id, sources``, oldest first.
    A narrow read of :func:`narrative.store.scores.scored_articles`, without titles, URLs or evidence."""
    params: list[Any] = [narrative, narrative.replace("-", "_"), min_relevance]
    window = published_window("a", since, until, params)
    # A window is read by publication time (CROSS JOIN keeps articles outermost), not by every score of the narrative.
    source = (
        "articles a CROSS JOIN article_scores s ON s.article_id = a.id"
        if window
        else "article_scores s JOIN articles a ON a.id = s.article_id"
    )
    return rows(
        db,
        "SELECT s.article_id, a.published, a.published_precision AS precision, a.source_tz, s.relevance, "
        "s.stance, COALESCE(a.story_id, a.id) AS story_id, (SELECT count(*) FROM article_sources x "
        f"WHERE x.article_id = a.id) AS sources FROM {source} "
        f"WHERE s.narrative IN (?, ?) AND s.relevance >= ?{window} ORDER BY a.published",
        params,
    )


def has_scores(db: Database, narrative: str) -> bool:
    """Whether any article is scored for ``narrative`` (either spelling)."""
    return (
        db.execute(
            "SELECT 1 FROM article_scores WHERE narrative IN (?, ?) LIMIT 1", [narrative, narrative.replace("-", "_")]
        ).fetchone()
        is not None
    )


def _next_day(db: Database, day: str) -> str:
    return db.execute("SELECT date(?, '+1 day')", [day]).fetchone()[0]
