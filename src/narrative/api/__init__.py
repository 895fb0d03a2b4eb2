"""The Python API: orchestration of ingest -> nlp -> store. The CLI is a thin layer over it.

>>> from narrative import api
>>> summary = api.ingest(feeds_path="examples/demo/feeds.yaml", db_path="demo.db")  # doctest: +SKIP
>>> api.mentions("Alibaba", db_path="demo.db").head()  # doctest: +SKIP
"""

from .enrich import EnrichSummary, enrich
from .ingest import (FeedOutcome, ImportSummary, IngestSummary, import_archive, ingest, list_feeds, open_store,
                     store_stats)
from .query import entities, figures, mentions, resolve_entity
from .market import claims, fetch_prices, import_prices, report
from .score import ScoreSummary, score, score_texts
from .index import narrative_index
from .analysis import event_study, leadlag, session_panel
from .analyze import analyze

__all__ = [
    "ingest", "import_archive", "list_feeds", "open_store", "store_stats", "enrich", "mentions", "figures",
    "entities", "resolve_entity", "score", "score_texts", "narrative_index", "ScoreSummary", "import_prices",
    "fetch_prices", "claims", "report", "session_panel", "leadlag", "event_study", "analyze", "IngestSummary",
    "ImportSummary", "FeedOutcome", "EnrichSummary",
]
