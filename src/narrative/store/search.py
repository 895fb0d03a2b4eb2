"""Full-text search of articles on either backend: SQLite's FTS5 index (``articles_fts``) or PostgreSQL's tsvector
columns (``articles.search_vector`` and, for Chinese, ``articles.search_cjk``: :mod:`narrative.store.postgres`).

A query is words and "quoted phrases"; an article matches when it holds every one, case-insensitively, in its title
or text. A Chinese word (no spaces to split on) matches where its characters appear in that order: on PostgreSQL as
a phrase of its overlapping bigrams (indexed), on SQLite as a substring (FTS5's ``unicode61`` keeps a whole run of
Chinese characters as one token, so the index cannot find a word inside it).

>>> from narrative.store import open_db
>>> search_articles(open_db(":memory:"), 'cloud "chip exports" 阿里巴巴')
[]
>>> terms('cloud "chip exports" 阿里巴巴')
['cloud', 'chip exports', '阿里巴巴']
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .db import rows

if TYPE_CHECKING:  # type hints only: a read command does not import sqlite-utils (issue 12)
    from sqlite_utils import Database

_CHINESE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_COLUMNS = "a.id, a.published, a.title, a.url, a.language"


def terms(query: str) -> list[str]:
    """The words and "quoted phrases" of ``query``, in order."""
    return [phrase or word for phrase, word in re.findall(r'"([^"]+)"|(\S+)', query) if (phrase or word).strip()]


def search_articles(db: Database, query: str, *, limit: int = 20, offset: int = 0) -> list[dict[str, Any]]:
    """Articles holding every term of ``query`` (:func:`terms`), newest first: ``id, published, title, url,
    language``. A query without terms finds nothing."""
    conditions: list[str] = []
    params: list[Any] = []
    postgres = getattr(db, "dialect", "sqlite") == "postgresql"
    for term in terms(query):
        words = _CHINESE.sub(" ", term).strip()
        if words and postgres:
            conditions.append("a.search_vector @@ phraseto_tsquery('simple', ?)")
            params.append(words)
        elif words:
            conditions.append("a.id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)")
            params.append('"' + words.replace('"', '""') + '"')
        for run in _CHINESE.findall(term):
            if postgres and len(run) > 1:
                bigrams = [run[i : i + 2] for i in range(len(run) - 1)]
                conditions.append("a.search_cjk @@ ?::tsquery")
                params.append(" <-> ".join(f"'{bigram}'" for bigram in bigrams))
            else:  # one character (PostgreSQL), or SQLite: a substring of the title or text
                conditions.append(f"{'strpos' if postgres else 'instr'}(a.title || ' ' || a.text, ?) > 0")
                params.append(run)
    if not conditions:
        return []
    sql = f"SELECT {_COLUMNS} FROM articles a WHERE {' AND '.join(conditions)} ORDER BY a.published DESC, a.id"
    return rows(db, sql + " LIMIT ? OFFSET ?", [*params, limit, offset])
