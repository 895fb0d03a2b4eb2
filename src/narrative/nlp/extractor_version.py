"""The version stamped on every row extraction writes, computed without spaCy, so that a process that extracts
nothing (the Ray driver) can stamp and check its workers' rows.

>>> from narrative.catalog import load_catalog, load_narratives
>>> extractor_version(load_catalog(), load_narratives()).startswith(EXTRACTOR_VERSION + "+")
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from ..catalog import Catalog, Narrative, models_dir

# extract-2 (issue 10): every NER name kept (typed, unlinked when the catalog lacks it), legal suffixes in the
# span, line breaks start sentences, the index-scale catalog.
# extract-3 (issue 10): ALL-CAPS lines true-cased for the NER, country/nationality, table-row and initials rules
# (nlp/ner_rules.py, models/ner/gazetteer.tsv).
EXTRACTOR_VERSION = "extract-3"


def extractor_version(catalog: Catalog, narratives: Iterable[Narrative]) -> str:
    """Code version plus a hash of the catalog, the narratives and the currency table (editing any of them changes
    what extraction stores)."""
    currencies = (models_dir() / "currencies.csv").read_text(encoding="utf-8")
    data = catalog.fingerprint() + "".join(n.model_dump_json() for n in narratives) + currencies
    return f"{EXTRACTOR_VERSION}+{catalog.version}+{hashlib.sha1(data.encode()).hexdigest()[:8]}"
