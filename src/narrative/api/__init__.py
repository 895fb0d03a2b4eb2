"""The Python API: orchestration of ingest -> nlp -> store. The CLI is a thin layer over it.

Each public name loads its submodule on first use (PEP 562, :func:`narrative.lazy.lazy_package`): ``from
narrative.api import mentions`` imports the query module only, not pandas, scipy or the models.

>>> from narrative import api
>>> summary = api.ingest(feeds_path="examples/demo/feeds.yaml", db_path="demo.db")  # doctest: +SKIP
>>> api.mentions("Alibaba", db_path="demo.db").head()  # doctest: +SKIP
"""

from ..lazy import lazy_package as _lazy_package

_EXPORTS = {
    **{name: (".enrich", name) for name in ("EnrichSummary", "enrich")},
    **{name: (".ingest", name) for name in (
        "FeedOutcome", "ImportSummary", "IngestSummary", "import_archive", "ingest", "list_feeds", "open_store",
        "store_stats")},
    **{name: (".query", name) for name in ("entities", "figures", "mentions", "resolve_entity")},
    **{name: (".market", name) for name in ("claims", "fetch_prices", "import_prices", "report")},
    **{name: (".score", name) for name in ("ScoreSummary", "score", "score_texts")},
    "narrative_index": (".index", "narrative_index"),
    **{name: (".analysis", name) for name in ("event_study", "leadlag", "session_panel")},
    "analyze": (".analyze", "analyze"),
}

__all__ = [
    "ingest", "import_archive", "list_feeds", "open_store", "store_stats", "enrich", "mentions", "figures",
    "entities", "resolve_entity", "score", "score_texts", "narrative_index", "ScoreSummary", "import_prices",
    "fetch_prices", "claims", "report", "session_panel", "leadlag", "event_study", "analyze", "IngestSummary",
    "ImportSummary", "FeedOutcome", "EnrichSummary",
]

_lazy_package(__name__, _EXPORTS)
