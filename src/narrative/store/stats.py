"""Read-only summaries of the store, and the running counts that keep them fast.

``narrative stats`` used to count articles per source and per language by scanning every row (4.7 s at 1M
articles, issue 12). Migration m010 adds three small tables that triggers keep exact inside each writer's
transaction, so the summary reads a few rows whatever the size of the store.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from .db import rows

if TYPE_CHECKING:  # type hints only: a read command does not import sqlite-utils (issue 12)
    from sqlite_utils import Database

_SOURCE_PAIR = "SELECT 1 FROM article_sources WHERE article_id = {row}.article_id AND source = {row}.source"
_SOURCES_OF = "(SELECT count(DISTINCT source) FROM article_sources WHERE article_id = {row}.article_id)"


def create_store_counts(db: Database) -> None:
    """Tables ``source_counts``, ``language_counts`` and ``store_counts``, their triggers, and the backfill."""
    db.execute("CREATE TABLE source_counts (source TEXT PRIMARY KEY, articles INTEGER NOT NULL) WITHOUT ROWID")
    db.execute("CREATE TABLE language_counts (language TEXT PRIMARY KEY, articles INTEGER NOT NULL) WITHOUT ROWID")
    db.execute("CREATE TABLE store_counts (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID")
    # A source counts an article once, however many rows (GUIDs) it gave for it; an article is multi-source
    # from its second distinct source on.
    db.execute(f"""CREATE TRIGGER store_counts_source_insert AFTER INSERT ON article_sources
        WHEN NOT EXISTS ({_SOURCE_PAIR.format(row="NEW")} AND id <> NEW.id) BEGIN
            INSERT INTO source_counts (source, articles) VALUES (NEW.source, 1)
                ON CONFLICT (source) DO UPDATE SET articles = articles + 1;
            UPDATE store_counts SET value = value + 1
                WHERE name = 'multi_source_articles' AND {_SOURCES_OF.format(row="NEW")} = 2;
        END""")
    db.execute(f"""CREATE TRIGGER store_counts_source_delete AFTER DELETE ON article_sources
        WHEN NOT EXISTS ({_SOURCE_PAIR.format(row="OLD")}) BEGIN
            UPDATE source_counts SET articles = articles - 1 WHERE source = OLD.source;
            DELETE FROM source_counts WHERE source = OLD.source AND articles <= 0;
            UPDATE store_counts SET value = value - 1
                WHERE name = 'multi_source_articles' AND {_SOURCES_OF.format(row="OLD")} = 1;
        END""")
    db.execute("""CREATE TRIGGER store_counts_source_update AFTER UPDATE OF article_id, source ON article_sources
        BEGIN SELECT RAISE(ABORT, 'article_sources.article_id and .source are never updated; delete and insert');
        END""")
    language = "coalesce({row}.language, '?')"
    add = (
        "INSERT INTO language_counts (language, articles) VALUES (" + language + ", 1) "
        "ON CONFLICT (language) DO UPDATE SET articles = articles + 1;"
    )
    remove = (
        "UPDATE language_counts SET articles = articles - 1 WHERE language = " + language + "; "
        "DELETE FROM language_counts WHERE language = " + language + " AND articles <= 0;"
    )
    db.execute(f"CREATE TRIGGER store_counts_article_insert AFTER INSERT ON articles BEGIN {add.format(row='NEW')} END")
    db.execute(
        f"CREATE TRIGGER store_counts_article_delete AFTER DELETE ON articles BEGIN {remove.format(row='OLD')} END"
    )
    db.execute(
        f"CREATE TRIGGER store_counts_article_language AFTER UPDATE OF language ON articles "
        f"WHEN OLD.language IS NOT NEW.language BEGIN {remove.format(row='OLD')} {add.format(row='NEW')} END"
    )
    rebuild_store_counts(db)


def rebuild_store_counts(db: Database | sqlite3.Connection) -> None:
    """Recount the three tables from the rows (the migration's backfill; bulk loads that set triggers aside)."""
    for table in ("source_counts", "language_counts", "store_counts"):
        db.execute(f"DELETE FROM {table}")
    db.execute("INSERT INTO source_counts SELECT source, count(DISTINCT article_id) FROM article_sources GROUP BY 1")
    db.execute("INSERT INTO language_counts SELECT coalesce(language, '?'), count(*) FROM articles GROUP BY 1")
    db.execute(
        "INSERT INTO store_counts VALUES ('multi_source_articles', (SELECT count(*) FROM (SELECT article_id "
        "FROM article_sources GROUP BY article_id HAVING count(DISTINCT source) > 1)))"
    )


def store_summary(db: Database) -> dict[str, Any]:
    """Counts of articles and sources, the date range, and breakdowns by source and language.

    >>> from narrative.store import open_db
    >>> store_summary(open_db(":memory:"))["articles"]
    0
    """
    by_language = rows(db, "SELECT language, articles FROM language_counts ORDER BY 2 DESC, 1")
    by_source = rows(db, "SELECT source, articles FROM source_counts ORDER BY 2 DESC, 1")
    # min() and max() alone each read one end of idx_articles_published (together they would scan).
    first = db.execute("SELECT min(published) FROM articles").fetchone()[0]
    last = db.execute("SELECT max(published) FROM articles").fetchone()[0]
    return {
        "articles": sum(row["articles"] for row in by_language),
        "sources": len(by_source),
        "first_published": first,
        "last_published": last,
        "by_source": by_source,
        "by_language": by_language,
        "multi_source_articles": db.execute(
            "SELECT value FROM store_counts WHERE name = 'multi_source_articles'"
        ).fetchone()[0],
    }
