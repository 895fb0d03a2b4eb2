"""Imports on first use, so light commands (``--help``, ``feeds``, ``stats``, ``mentions``) start fast (issue 12).

Three pieces:

* :func:`lazy_package` turns a package's public names into PEP 562 lazy attributes: ``from narrative import
  mentions`` still works, ``__all__`` and ``dir()`` still list every name, but the submodule behind a name is
  imported only when the name is first read.
* :func:`defer_sqlite_utils_extras`: sqlite-utils imports pandas and numpy at import time (~1 s) only to add
  their scalar types to its column-type map. We import it with both hidden and add those types the moment
  pandas or numpy is imported for real, so the map is the same whenever such a value can exist.
* :func:`freeze_at_exit`: a process that ends after reading and printing skips the interpreter's final garbage
  collections, which only walk every object its imports made (issue 14).

>>> import narrative
>>> "mentions" in dir(narrative)
True
"""

from __future__ import annotations

import atexit
import gc
import importlib
import importlib.util
import sys
import types
from typing import Any, cast


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


def freeze_at_exit() -> None:
    """When this process exits, move every object out of reach of the interpreter's final garbage collections.

    Those collections walk every object the imports made: ~10 ms of CPU for a read command, ~30 ms once psycopg
    is loaded (issue 14: about a tenth of a PostgreSQL query command). The objects are still freed with the
    process; only objects in reference cycles lose their finalizers, so call this where none matters (a read
    command: its store closed and its output written before the exit, which runs atexit callbacks and flushes
    stdout as usual). Registered once per process.

    >>> freeze_at_exit()  # idempotent
    """
    if gc.freeze not in _AT_EXIT:
        atexit.register(gc.freeze)
        _AT_EXIT.append(gc.freeze)


_AT_EXIT: list[Any] = []  # what freeze_at_exit registered in this process
