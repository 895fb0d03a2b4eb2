"""What an enrichment run wrote, as comparable data: every row of the tables ``narrative enrich`` fills (less the
times they were written), and per table a row count and a content hash. Two stores enriched from the same articles
by two engines (in-process, Ray; killed and resumed or not) must give equal results (issue 14 items 1 and 4).

>>> import sqlite3
>>> fingerprint(sqlite3.connect(":memory:"))["mentions"]
(0, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
"""

from __future__ import annotations

import hashlib
import sqlite3

# Every table the enrichment writes (extraction, entity relevance, scores, mention sentiment, stories).
ENRICHMENT_TABLES = (
    "enrichments",
    "sentences",
    "mentions",
    "people",
    "figures",
    "phrase_hits",
    "article_entities",
    "sentence_scores",
    "entity_sentiment",
    "article_scores",
    "mention_sentiment",
    "stories",
)
# When a row was written: differs between any two runs, so left out of the comparison.
WRITE_TIMES = frozenset({"enriched_at", "scored_at", "updated_at"})
# The articles' own columns that story assignment writes.
ARTICLE_STORY_COLUMNS = ("id", "story_id", "novelty", "story_version")


def enrichment_rows(conn: sqlite3.Connection) -> dict[str, list[tuple]]:
    """Per enrichment table (and ``articles``, its story columns), every row less its write times, sorted; a table
    the store lacks gives no rows.

    >>> enrichment_rows(sqlite3.connect(":memory:"))["figures"]
    []
    """
    out: dict[str, list[tuple]] = {}
    for table in ENRICHMENT_TABLES:
        columns = [row[1] for row in conn.execute(f"PRAGMA table_info([{table}])") if row[1] not in WRITE_TIMES]
        if not columns:
            out[table] = []
            continue
        listed = ", ".join(f'"{column}"' for column in columns)
        out[table] = conn.execute(f"SELECT {listed} FROM [{table}] ORDER BY {listed}").fetchall()
    known = {row[1] for row in conn.execute("PRAGMA table_info(articles)")}
    story = [column for column in ARTICLE_STORY_COLUMNS if column in known]
    listed = ", ".join(story)
    out["articles"] = conn.execute(f"SELECT {listed} FROM articles ORDER BY id").fetchall() if story else []
    return out


def fingerprint(conn: sqlite3.Connection) -> dict[str, tuple[int, str]]:
    """Per table of :func:`enrichment_rows`: ``(row count, SHA-256 of the sorted rows)``. Equal fingerprints: no
    row lost, none duplicated, none changed.

    >>> fingerprint(sqlite3.connect(":memory:"))["articles"][0]
    0
    """
    result = {}
    for table, rows in enrichment_rows(conn).items():
        digest = hashlib.sha256()
        for row in rows:
            digest.update(repr(row).encode("utf-8"))
            digest.update(b"\n")
        result[table] = (len(rows), digest.hexdigest())
    return result
