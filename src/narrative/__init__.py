"""narrative: track what financial news says about a theme, and whether it moved prices.

The Python API mirrors the CLI::

    from narrative import ingest, import_archive, list_feeds
    summary = ingest(feeds_path="feeds.yaml", db_path="narrative.db")
    print(summary.line())

Public names load their submodule on first use (PEP 562, see :mod:`narrative.lazy`), so ``import narrative``
and light commands such as ``narrative --help`` do not pay for pandas, scipy or spaCy.
"""

import logging

from .lazy import defer_sqlite_utils_extras as _defer_sqlite_utils_extras
from .lazy import lazy_package as _lazy_package

__version__ = "0.1.0"

_EXPORTS = {
    **{
        name: (".api", name)
        for name in (
            "enrich",
            "mentions",
            "figures",
            "entities",
            "ingest",
            "import_archive",
            "list_feeds",
            "open_store",
        )
    },
    **{name: (".config", name) for name in ("load_feeds", "FeedConfig", "Settings")},
    **{name: (".errors", name) for name in ("NarrativeError", "ConfigError", "InputError", "StoreError")},
}

__all__ = list(_EXPORTS)

_defer_sqlite_utils_extras()
_lazy_package(__name__, _EXPORTS)

logging.getLogger(__name__).addHandler(logging.NullHandler())
