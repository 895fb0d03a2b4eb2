"""Results of slow loaders kept on disk while the files they read are unchanged (issue 12): the query commands
need a few names from files whose full validation (pydantic) costs more than the query itself.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

_CACHE_ENTRIES = 8  # keys remembered per cache name (catalog paths, NARRATIVE_MODELS folders ...)
# Cache files already parsed by this process, by path: (the file's stamp when parsed, its entry). A long-lived caller
# (a notebook, a service calling the API) then parses the ~0.5 MB catalog names once, not on every query (~18 ms).
_PARSED: dict[Path, tuple[list[int] | None, dict[str, Any]]] = {}


def cached_by_files(name: str, key: Any, build: Callable[[], tuple[Any, list[Path] | None]]) -> Any:
    """The JSON-able value ``build()`` returns, kept in ``<NARRATIVE_HOME>/cache/<name>-<hash of key>.json`` with
    the size, time and inode of each file ``build`` says it read (None: do not keep it), and returned from there
    while none of them changed, appeared or disappeared. Issue 12: the query commands need a few names from files
    whose full validation (pydantic) costs more than the query; a file that no longer validates still fails, as
    ``build`` runs again once it changed. A home folder that cannot be written just means no cache. One file per
    key, so a lookup parses its own entry only (the catalog's names are ~0.5 MB: three keys in one file cost a
    query ~40 ms); the newest :data:`_CACHE_ENTRIES` of a name are kept.

    >>> cached_by_files("example", "k", lambda: (42, None))
    42
    """
    from .plugins import home_dir  # pluggy: imported by the commands that cache, not by every import

    folder = home_dir() / "cache"
    key = json.dumps(key)
    path = folder / f"{name}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"
    try:
        stamp = _stamps([str(path)])[str(path)]
        parsed = _PARSED.get(path)
        if stamp is None or parsed is None or parsed[0] != stamp:  # not parsed yet, or rewritten since
            parsed = (stamp, json.loads(path.read_text(encoding="utf-8")))
            _PARSED[path] = parsed
        entry = parsed[1]
        if entry["key"] == key and _stamps(entry["files"]) == entry["files"]:
            return entry["value"]
    except (OSError, ValueError, KeyError, TypeError):
        pass  # no cache yet, or unreadable: built below
    value, files = build()
    if files is None:
        return value
    try:
        folder.mkdir(parents=True, exist_ok=True)
        entry = {"key": key, "files": _stamps([str(f) for f in files]), "value": value}
        import tempfile  # ~5 ms (shutil, random): only when an entry is written, never on a lookup

        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(entry, out, ensure_ascii=False)
        os.replace(temporary, path)  # whole or not at all: a concurrent reader never sees half a file
        _prune(folder, name)
    except OSError:
        pass
    return value


def _prune(folder: Path, name: str) -> None:
    """Keep the newest :data:`_CACHE_ENTRIES` cache files of ``name``; drop the one-file cache of before (<name>.json,
    every key in one document)."""

    def written(path: Path) -> int:
        try:
            return os.stat(path).st_mtime_ns
        except OSError:  # removed meanwhile by another process
            return 0

    kept = sorted(folder.glob(f"{name}-{'[0-9a-f]' * 16}.json"), key=written, reverse=True)
    for old in [*kept[_CACHE_ENTRIES:], folder / f"{name}.json"]:
        old.unlink(missing_ok=True)  # another error (a read-only folder) ends the pruning: the caller ignores it


def file_stamps(files: list[Path]) -> dict[str, list[int] | None]:
    """Size, modification time and inode of each file (None for a missing one), as :func:`cached_by_files` keeps
    them.

    >>> from pathlib import Path
    >>> file_stamps([Path("/nonexistent")])
    {'/nonexistent': None}
    """
    return _stamps([str(f) for f in files])


def _stamps(files: Any) -> dict[str, list[int] | None]:
    stamps: dict[str, list[int] | None] = {}
    for name in files:
        try:
            info = os.stat(name)
            stamps[name] = [info.st_mtime_ns, info.st_size, info.st_ino]
        except OSError:
            stamps[name] = None
    return stamps
