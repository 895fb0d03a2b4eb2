"""Read-only summaries of the store."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database


def store_summary(db: Database) -> dict[str, Any]:
    """Counts of articles and sources, the date range, and breakdowns by source and language."""
    def rows(sql: str, columns: tuple[str, ...]) -> list[dict[str, Any]]:
        return [dict(zip(columns, r)) for r in db.execute(sql).fetchall()]

    articles, first, last = db.execute("SELECT count(*), min(published), max(published) FROM articles").fetchone()
    return {
        "articles": articles,
        "sources": db.execute("SELECT count(DISTINCT source) FROM article_sources").fetchone()[0],
        "first_published": first,
        "last_published": last,
        "by_source": rows("SELECT source, count(DISTINCT article_id) FROM article_sources "
                          "GROUP BY source ORDER BY 2 DESC, 1", ("source", "articles")),
        "by_language": rows("SELECT coalesce(language, '?'), count(*) FROM articles GROUP BY 1 ORDER BY 2 DESC, 1",
                            ("language", "articles")),
        "multi_source_articles": db.execute(
            "SELECT count(*) FROM (SELECT article_id FROM article_sources GROUP BY article_id "
            "HAVING count(DISTINCT source) > 1)").fetchone()[0],
    }
