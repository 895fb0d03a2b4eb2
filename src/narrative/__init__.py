"""narrative: track what financial news says about a theme, and whether it moved prices.

The Python API mirrors the CLI::

    from narrative import ingest, import_archive, list_feeds
    summary = ingest(feeds_path="feeds.yaml", db_path="narrative.db")
    print(summary.line())
"""

import logging

from .api import enrich, entities, figures, import_archive, ingest, list_feeds, mentions, open_store
from .config import FeedConfig, Settings, load_feeds
from .errors import ConfigError, InputError, NarrativeError, StoreError

__version__ = "0.1.0"

__all__ = [
    "enrich",
    "mentions",
    "figures",
    "entities",
    "ingest",
    "import_archive",
    "list_feeds",
    "open_store",
    "load_feeds",
    "FeedConfig",
    "Settings",
    "NarrativeError",
    "ConfigError",
    "InputError",
    "StoreError",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())
