"""Imports on first use, so light commands (``--help``, ``feeds``, ``stats``, ``mentions``) start fast (issue 12).

Two pieces:

* :func:`lazy_package` turns a package's public names into PEP 562 lazy attributes: ``from narrative import
  mentions`` still works, ``__all__`` and ``dir()`` still list every name, but the submodule behind a name is
  imported only when the name is first read.
* :func:`defer_sqlite_utils_extras`: sqlite-utils imports pandas and numpy at import time (~1 s) only to add
  their scalar types to its column-type map. We import it with both hidden and add those types the moment
  pandas or numpy is imported for real, so the map is the same whenever such a value can exist.

>>> import narrative
>>> "mentions" in dir(narrative)
True
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


def lazy_package(name: str, exports: dict[str, tuple[str, str]]) -> None:
    """Make package ``name`` load each of ``exports`` (public name -> (submodule, attribute)) on first access.

    Unknown names fall back to importing the submodule of that name, as eager imports used to leave them
    (``narrative.api.query``). When the import system binds a submodule whose name is also a public name
    (``narrative.api.score`` the module vs ``score`` the function), the public object wins, as before.

    >>> from narrative import api
    >>> callable(api.score)
    True
    """
    package = sys.modules[name]

    def module_getattr(attr: str) -> Any:
        if attr in exports:
            submodule, target = exports[attr]
            value = getattr(importlib.import_module(submodule, name), target)
            object.__setattr__(package, attr, value)
            return value
        if not attr.startswith("__") and importlib.util.find_spec(f"{name}.{attr}") is not None:
            return importlib.import_module(f"{name}.{attr}")
        raise AttributeError(f"module {name!r} has no attribute {attr!r}")

    def module_dir() -> list[str]:
        return sorted(set(vars(package)) | set(exports))

    # PEP 562 looks both up in the module's namespace, where attribute assignment on the module object would
    # also put them; through vars() the type checker sees a plain dict write, not a method being replaced.
    vars(package)["__getattr__"] = module_getattr
    vars(package)["__dir__"] = module_dir
    package.__class__ = _make_module_class(name, exports)


def _make_module_class(name: str, exports: dict[str, tuple[str, str]]) -> type:
    class LazyPackage(types.ModuleType):
        def __setattr__(self, attr: str, value: Any) -> None:
            if attr in exports and isinstance(value, types.ModuleType) and attr not in vars(self):
                submodule, target = exports[attr]
                if value.__name__ == importlib.util.resolve_name(submodule, name):
                    value = getattr(value, target)  # the submodule just finished loading: bind its public object
                else:
                    return  # a subpackage sharing a public name (narrative.ingest): the public object wins
            super().__setattr__(attr, value)

    return LazyPackage


_HIDDEN = ("pandas", "numpy")


class _SqliteUtilsExtras:  # a sys.meta_path finder (importlib.abc costs 15 ms of start-up to subclass)
    """Hides pandas/numpy while ``sqlite_utils.db`` executes; completes its type map when they load later."""

    def __init__(self) -> None:
        self.pending = {"sqlite_utils.db", *_HIDDEN}

    def find_spec(self, fullname, path, target=None):
        if fullname not in self.pending:
            return None
        self.pending.discard(fullname)  # find the real spec without coming back here
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        loader_exec = spec.loader.exec_module

        def exec_module(module: types.ModuleType) -> None:
            if fullname == "sqlite_utils.db":
                hidden = [n for n in _HIDDEN if n not in sys.modules]
                # None in sys.modules makes `import pandas` raise ImportError (typeshed types the values as
                # modules only, hence the cast).
                cast("dict[str, types.ModuleType | None]", sys.modules).update(dict.fromkeys(hidden))
                try:
                    loader_exec(module)
                finally:
                    for n in hidden:
                        if sys.modules.get(n, 0) is None:
                            del sys.modules[n]
                for n in _HIDDEN:
                    if n in sys.modules:
                        _add_column_types(n, sys.modules[n])
            else:
                loader_exec(module)
                if "sqlite_utils.db" in sys.modules:
                    _add_column_types(fullname, module)

        spec.loader.exec_module = exec_module
        return spec


def _add_column_types(library: str, module: types.ModuleType) -> None:
    """What sqlite_utils.db does at import when ``library`` is installed (its lines 408-432 in 4.x)."""
    db = sys.modules["sqlite_utils.db"]
    if library == "numpy" and getattr(db, "np", None) is None:
        vars(db)["np"] = module
        db.COLUMN_TYPE_MAPPING.update(
            {
                getattr(module, t): "INTEGER"
                for t in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
            }
        )
        db.COLUMN_TYPE_MAPPING.update({getattr(module, t): "REAL" for t in ("float16", "float32", "float64")})
    elif library == "pandas" and getattr(db, "pd", None) is None:
        vars(db)["pd"] = module
        db.COLUMN_TYPE_MAPPING[module.Timestamp] = "TEXT"


def defer_sqlite_utils_extras() -> None:
    """Install the finder, unless sqlite-utils or both of pandas and numpy are already imported.

    >>> defer_sqlite_utils_extras()  # idempotent
    """
    if "sqlite_utils.db" in sys.modules or all(n in sys.modules for n in _HIDDEN):
        return
    if not any(isinstance(f, _SqliteUtilsExtras) for f in sys.meta_path):
        sys.meta_path.insert(0, _SqliteUtilsExtras())


# -- results of slow loaders, kept while their files are unchanged ---------------------------------------------------

_CACHE_ENTRIES = 8  # keys remembered per cache name (catalog paths, NARRATIVE_MODELS folders ...)


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
    import hashlib  # here, not at the top: `import narrative` loads this module and needs none of them
    import json
    import os
    import tempfile

    from .plugins import home_dir

    folder = home_dir() / "cache"
    key = json.dumps(key)
    path = folder / f"{name}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
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
    import os

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
    import os

    stamps: dict[str, list[int] | None] = {}
    for name in files:
        try:
            info = os.stat(name)
            stamps[name] = [info.st_mtime_ns, info.st_size, info.st_ino]
        except OSError:
            stamps[name] = None
    return stamps
