"""narrative: track what financial news says about a theme, and whether it moved prices.

The Python API mirrors the CLI::

    from narrative import ingest, import_archive, list_feeds
    summary = ingest(feeds_path="feeds.yaml", db_path="narrative.db")
    print(summary.line())

Public names load their submodule on first use (PEP 562, see :mod:`narrative.lazy`), so ``import narrative``
and light commands such as ``narrative --help`` do not pay for pandas, scipy or spaCy.
"""

import logging
from typing import TYPE_CHECKING

from .lazy import defer_sqlite_utils_extras as _defer_sqlite_utils_extras
from .lazy import lazy_package as _lazy_package

if TYPE_CHECKING:  # the lazy names, spelled out for type checkers; never imported at run time
    # `X as X`: an explicit re-export (PEP 484), as __all__ is built from _EXPORTS below
    from .api import enrich as enrich
    from .api import entities as entities
    from .api import figures as figures
    from .api import import_archive as import_archive
    from .api import ingest as ingest
    from .api import list_feeds as list_feeds
    from .api import mentions as mentions
    from .api import open_store as open_store
    from .config import FeedConfig as FeedConfig
    from .config import Settings as Settings
    from .config import load_feeds as load_feeds
    from .errors import ConfigError as ConfigError
    from .errors import InputError as InputError
    from .errors import NarrativeError as NarrativeError
    from .errors import StoreError as StoreError

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
