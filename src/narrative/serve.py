"""``narrative serve``: the store in Datasette, read-only, with canned queries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .config import Settings
from .errors import InputError

_ENTITY_MATCH = """(
    m.entity_id = lower(:entity)
    OR (m.entity_id IS NULL AND m.name = :entity COLLATE NOCASE)
    OR m.entity_id IN (SELECT id FROM entities WHERE name = :entity COLLATE NOCASE
                       OR aliases LIKE '%"' || :entity || '"%' OR zh LIKE '%"' || :entity || '"%'
                       OR tickers LIKE '%"' || :entity || '"%'))"""

CANNED_QUERIES: dict[str, dict[str, Any]] = {
    "mentions": {
        "title": "Mentions of an entity",
        "description": "Every sentence naming an entity: its id, name, an alias, a Chinese name or a ticker.",
        "sql": f"""SELECT a.published, m.name AS entity, m.surface, s.text AS sentence, a.title, a.url
FROM mentions m JOIN articles a ON a.id = m.article_id
JOIN sentences s ON s.article_id = m.article_id AND s.idx = m.sentence_idx
WHERE {_ENTITY_MATCH.strip()}
ORDER BY a.published DESC LIMIT 1000""",
    },
    "figures": {
        "title": "Figures about an entity",
        "description": "Stated figures (value, unit, kind, direction, period) whose subject is the entity.",
        "sql": f"""SELECT a.published, f.subject, f.value, f.unit, f.kind, f.direction, f.period, f.surface,
       s.text AS sentence, a.url
FROM figures f JOIN articles a ON a.id = f.article_id
JOIN sentences s ON s.article_id = f.article_id AND s.idx = f.sentence_idx
WHERE {_ENTITY_MATCH.replace("m.entity_id", "f.subject_entity_id").replace("m.name", "f.subject")}
ORDER BY a.published DESC LIMIT 1000""",
    },
    "top_entities": {
        "title": "Top entities since a date",
        "description": "Entities by number of mentions in articles published on or after :since (YYYY-MM-DD).",
        "sql": """SELECT coalesce(e.name, m.name) AS entity, coalesce(e.type, lower(m.label)) AS type,
       count(*) AS mentions, count(DISTINCT m.article_id) AS articles
FROM mentions m JOIN articles a ON a.id = m.article_id LEFT JOIN entities e ON e.id = m.entity_id
WHERE a.published >= :since
GROUP BY coalesce(m.entity_id, lower(m.name)) ORDER BY mentions DESC LIMIT 100""",
    },
}


def datasette_app(db_path: str | None = None):
    """A :class:`datasette.app.Datasette` over the store, read-only, with the canned queries."""
    from datasette.app import Datasette

    settings = Settings.load(db=db_path)
    path = Path(settings.db)
    if not path.exists():
        raise InputError(f"{path}: no such database. Run `narrative ingest` first or pass --db PATH.")
    name = path.stem
    metadata = {
        "title": "narrative",
        "description": "Articles, mentions, figures and narrative phrases stored by narrative.",
        "databases": {name: {
            "queries": CANNED_QUERIES,
            "tables": {"articles": {"fts_table": "articles_fts", "fts_pk": "id", "sort_desc": "published"}},
        }},
    }
    return Datasette(files=[str(path)], metadata=metadata, settings={"default_page_size": 50})


def serve(*, db_path: str | None = None, host: str = "127.0.0.1", port: int = 8001) -> None:
    """Run Datasette until interrupted."""
    import uvicorn

    app = datasette_app(db_path)
    uvicorn.run(app.app(), host=host, port=port, log_level="warning")
