"""The Python API: orchestration of ingest -> nlp -> store. The CLI is a thin layer over it.

Each public name loads its submodule on first use (PEP 562, :func:`narrative.lazy.lazy_package`): ``from
narrative.api import mentions`` imports the query module only, not pandas, scipy or the models.

>>> from narrative import api
>>> summary = api.ingest(feeds_path="examples/demo/feeds.yaml", db_path="demo.db")  # doctest: +SKIP
>>> api.mentions("Alibaba", db_path="demo.db").head()  # doctest: +SKIP
"""

from typing import TYPE_CHECKING

from ..lazy import lazy_package as _lazy_package

if TYPE_CHECKING:  # the lazy names, spelled out for type checkers; never imported at run time
    from .analysis import event_study, leadlag, session_panel
    from .analyze import analyze
    from .enrich import EnrichSummary, enrich
    from .index import narrative_index
    from .ingest import (
        FeedOutcome,
        ImportSummary,
        IngestSummary,
        import_archive,
        ingest,
        open_store,
    )
    from .market import claims, fetch_prices, import_prices, report
    from .query import entities, figures, mentions, resolve_entity
    from .score import ScoreSummary, score, score_texts
    from .stats import list_feeds, store_stats

_EXPORTS = {
    **{name: (".enrich", name) for name in ("EnrichSummary", "enrich")},
    **{
        name: (".ingest", name)
        for name in (
            "FeedOutcome",
            "ImportSummary",
            "IngestSummary",
            "import_archive",
            "ingest",
            "open_store",
        )
    },
    **{name: (".stats", name) for name in ("list_feeds", "store_stats")},
    **{name: (".query", name) for name in ("entities", "figures", "mentions", "resolve_entity")},
    **{name: (".market", name) for name in ("claims", "fetch_prices", "import_prices", "report")},
    **{name: (".score", name) for name in ("ScoreSummary", "score", "score_texts")},
    "narrative_index": (".index", "narrative_index"),
    **{name: (".analysis", name) for name in ("event_study", "leadlag", "session_panel")},
    "analyze": (".analyze", "analyze"),
}

__all__ = [
    "EnrichSummary",
    "FeedOutcome",
    "ImportSummary",
    "IngestSummary",
    "ScoreSummary",
    "analyze",
    "claims",
    "enrich",
    "entities",
    "event_study",
    "fetch_prices",
    "figures",
    "import_archive",
    "import_prices",
    "ingest",
    "leadlag",
    "list_feeds",
    "mentions",
    "narrative_index",
    "open_store",
    "report",
    "resolve_entity",
    "score",
    "score_texts",
    "session_panel",
    "store_stats",
]

_lazy_package(__name__, _EXPORTS)
