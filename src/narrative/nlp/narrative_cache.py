"""Prepared narratives kept on disk, so a process does not refit them (issue 12: start-up cost).

Preparing a narrative (:func:`narrative.nlp.narrative_model.prepare_narrative`) encodes its texts, runs
the sentiment model on its examples and fits its stance classifier and example heads: about a quarter of
scoring 100 headlines. The result depends only on

- the narrative file's content (its version, the sha256 of its bytes),
- the shipped heads and encoder (the scorer's version) and the sentiment model (the polarity's version),
- the code that prepares it (:data:`PREPARED_FORMAT`) and the libraries whose objects are kept
  (numpy, scipy, scikit-learn, OpenCC),

so it is stored under a file name that hashes all of them (:func:`cache_key`). Any change gives another
name, and the old file is never read again. A file that is missing or cannot be read (another format,
cut short, written by a different Python) is simply prepared again and rewritten; a folder that cannot
be written means no cache. Files are written whole (a temporary file, then a rename), so a reader never
sees half of one. The folder is the user's own (``narrative_cache`` setting): its files are pickles,
to be trusted as much as the code.

>>> len(cache_key("china-ai", "abc", "nscore-1", "sentiment@1"))
24
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import TypeVar

# Bump when what prepare_narrative computes, or the classes it returns, change shape.
PREPARED_FORMAT = "prepared-2"  # 2: n-gram vocabularies and the stance classifier as arrays
_LIBRARIES = ("numpy", "scipy", "scikit-learn", "opencc")

T = TypeVar("T")


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries whose objects a prepared narrative holds.

    >>> sorted(library_versions())
    ['numpy', 'opencc', 'scikit-learn', 'scipy']
    """
    versions = {}
    for name in _LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


def cache_key(narrative_id: str, narrative_version: str, scorer_version: str, polarity_version: str) -> str:
    """24 hex naming one prepared narrative: everything that decides its content.

    >>> cache_key("a", "1", "s", "p") == cache_key("a", "2", "s", "p")
    False
    """
    parts = {
        "format": PREPARED_FORMAT,
        "narrative": [narrative_id, narrative_version],
        "scorer": scorer_version,
        "polarity": polarity_version,
        "libraries": library_versions(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:24]


def cached(folder: Path | None, name: str, build: Callable[[], T]) -> T:
    """``build()``, kept in ``folder/<name>.pkl`` and read from there while that file exists and loads;
    with no ``folder``, just ``build()``.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> cached(folder, "x", lambda: [1, 2]), cached(folder, "x", lambda: "not built")
    ([1, 2], [1, 2])
    """
    if folder is None:
        return build()
    path = folder / f"{name}.pkl"
    try:
        with path.open("rb") as handle:
            return pickle.load(handle)
    except Exception:  # noqa: BLE001 - missing, truncated, another format or Python: built again below
        pass
    value = build()
    temporary = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle_no, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
        with os.fdopen(handle_no, "wb") as out:
            pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)  # whole or not at all
        temporary = None
    except (OSError, pickle.PicklingError):
        pass  # a read-only or full disk: no cache, same scores
    finally:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
    return value
