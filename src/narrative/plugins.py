"""The plugin manager: the packages that fill narrative's hooks (:mod:`narrative.hookspecs`).

Built-in features are default plugins, registered the same way as third-party ones (datasette's
``DEFAULT_PLUGINS``); packages that declare the ``narrative`` entry-point group are loaded once,
lazily, on the first lookup, except under pytest, where tests register what they need (as llm and
sqlite-utils do). Lookups read the hooks on every call, so registering or unregistering a plugin
takes effect at once.

Example::

    >>> from narrative import plugins
    >>> sorted(plugins.registered("register_price_providers"))
    ['yfinance.v1']
    >>> plugins.importer_for("archive.jsonl").plugin
    'narrative.plugins.builtins'
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pluggy

from . import hookspecs
from .errors import ConfigError, Errors, InputError

LOGGER = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "narrative"
DEFAULT_PLUGINS = ("narrative.market.providers",)  # modules with @hookimpl functions
BUILTINS_NAME = "narrative.plugins.builtins"  # the class below: hooks whose built-ins live in modules PKG does not own

pm = pluggy.PluginManager("narrative")
pm.add_hookspecs(hookspecs)
_loaded = False


@dataclasses.dataclass(frozen=True)
class Registration:
    """One thing a plugin registered: its ``name``, the ``value`` (a factory, loader or reader)
    and the ``plugin`` that registered it."""

    name: str
    value: Any
    plugin: str


def load_plugins() -> None:
    """Register the default plugins and, outside pytest, the ``narrative`` entry points (once).

    >>> load_plugins(); pm.has_plugin("narrative.market.providers")
    True
    """
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module_name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)
    pm.register(_Builtins(), name=BUILTINS_NAME)
    if not hasattr(sys, "_called_from_test"):
        load_entrypoint_plugins()


def load_entrypoint_plugins() -> int:
    """Load the installed packages that declare the ``narrative`` entry-point group; returns how many.

    A plugin that fails to import is logged as one error line naming the fix, and the commands
    that do not need it keep working (a broken add-on must not take the whole CLI down).

    >>> load_entrypoint_plugins() >= 0
    True
    """
    try:
        return pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    except Exception as exc:  # noqa: BLE001 (third-party code can raise anything; one line, no traceback)
        LOGGER.error(
            "a narrative plugin failed to load (%s: %s); later plugins were skipped. Reinstall or "
            "uninstall the package that provides it (pip list shows what is installed).",
            type(exc).__name__,
            exc,
        )
        return len(pm.list_plugin_distinfo())


def registered(hook: str) -> dict[str, Registration]:
    """Everything registered through ``hook`` (a ``register_*(register)`` spec taking a name), by name.

    In pluggy's call order (the last registered plugin first); a name registered twice is a
    :class:`ConfigError` naming both plugins.

    >>> registered("register_importers")[".csv"].plugin
    'narrative.plugins.builtins'
    """
    load_plugins()
    found: dict[str, Registration] = {}
    for impl in reversed(getattr(pm.hook, hook).get_hookimpls()):  # get_hookimpls() lists them in reverse call order

        def register(name: str, value: Any, _plugin: str = impl.plugin_name) -> None:
            if name in found:
                raise ConfigError(Errors.E100.format(hook=hook, name=name, first=found[name].plugin, second=_plugin))
            found[name] = Registration(name, value, _plugin)

        impl.function(*(register for _ in impl.argnames))
    return found


def lookup(hook: str, name: str, *, what: str) -> Registration:
    """The registration ``name`` of ``hook``; an :class:`InputError` listing the available names otherwise.

    >>> lookup("register_price_providers", "yfinance.v1", what="price provider").plugin
    'narrative.market.providers'
    """
    found = registered(hook)
    if name not in found:
        raise InputError(Errors.E101.format(what=what, name=name, available=", ".join(sorted(found)) or "none"))
    return found[name]


def sentiment_backend(name: str) -> Callable[..., Any]:
    """The loader registered as sentiment backend ``name``: ``loader(path, *, quantize)``.

    >>> callable(sentiment_backend("transformers.v1"))
    True
    """
    return lookup("register_sentiment_backends", name, what="sentiment backend").value


def stance_backend(name: str) -> Callable[..., Any]:
    """The loader registered as stance backend ``name``: ``loader(folder)``.

    >>> callable(stance_backend("narrative-scorer.v1"))
    True
    """
    return lookup("register_stance_backends", name, what="stance backend").value


def load_sentiment_model(name_or_path: str | None = None, *, quantize: bool = False) -> Any:
    """The sentiment model the ``sentiment_model`` setting names: a registered backend's name loads that
    backend's default model; anything else (a model folder, a hub id, or ``None`` for the shipped
    model) goes to the built-in ``transformers.v1`` loader.

    >>> load_sentiment_model("/no/such/model")
    Traceback (most recent call last):
    ...
    narrative.errors.ConfigError: /no/such/model: not a model directory. ...
    """
    found = registered("register_sentiment_backends")
    if name_or_path in found:
        return found[name_or_path].value(None, quantize=quantize)
    return found["transformers.v1"].value(name_or_path, quantize=quantize)


def load_stance_model(name_or_folder: str | None = None) -> Any:
    """The relevance/stance scorer: a registered backend's name loads that backend's default heads;
    a folder (or ``None``, the shipped ``models/narrative_scorer``) goes to ``narrative-scorer.v1``.

    >>> load_stance_model().version.startswith("nscore-")
    True
    """
    found = registered("register_stance_backends")
    if name_or_folder in found:
        return found[name_or_folder].value(None)
    return found["narrative-scorer.v1"].value(name_or_folder)


def importer_for(path: str | os.PathLike[str]) -> Registration:
    """The archive reader registered for ``path``'s suffix (case-insensitive).

    >>> importer_for("news.CSV").name
    '.csv'
    """
    readers = registered("register_importers")
    suffix = Path(path).suffix.lower()
    if suffix not in readers:
        raise InputError(Errors.E020.format(path=path, suffix=suffix, available=", ".join(sorted(readers))))
    return readers[suffix]


def narrative_dirs() -> list[Path]:
    """The folders of narrative YAML files that exist, the shipped one first, each once.

    >>> narrative_dirs()[0].name
    'narratives'
    """
    load_plugins()
    folders: list[Path] = []
    for impl in reversed(pm.hook.register_narrative_folders.get_hookimpls()):
        impl.function(*(lambda path: folders.append(Path(path).expanduser()) for _ in impl.argnames))
    unique = dict.fromkeys(folder.resolve() for folder in folders if folder.is_dir())
    return list(unique)


def register_commands(cli: Any) -> None:
    """Let plugins add commands to the ``narrative`` click group."""
    load_plugins()
    pm.hook.register_commands(cli=cli)


def home_dir() -> Path:
    """narrative's user data folder: ``NARRATIVE_HOME``, else the platform's user data directory
    (``~/.local/share/narrative`` on Linux). Its ``narratives/`` folder holds the user's own
    narrative files, loaded beside the shipped ones.

    >>> home_dir().is_absolute()
    True
    """
    env = os.environ.get("NARRATIVE_HOME")
    if env:
        return Path(env).expanduser()
    if _plain_linux_home():
        # platformdirs' answer here in every version (XDG's default), without importing it: every command that
        # opens a store reads its cache under this folder, and platformdirs brings tempfile (~5 ms of start-up)
        return Path(os.path.expanduser("~/.local/share"), "narrative")
    from platformdirs import user_data_dir

    return Path(user_data_dir("narrative", appauthor=False))


def _plain_linux_home() -> bool:
    """Linux (not Android), no ``XDG_DATA_HOME`` and an absolute ``HOME``: the case where the user data directory
    is ``~/.local/share/APP``. Anything else (another platform, an XDG or Android setting, an odd ``HOME``) asks
    platformdirs, which knows those rules.

    >>> isinstance(_plain_linux_home(), bool)
    True
    """
    android = hasattr(sys, "getandroidapilevel") or "ANDROID_DATA" in os.environ
    home = os.environ.get("HOME", "")
    return sys.platform == "linux" and not android and not os.environ.get("XDG_DATA_HOME") and os.path.isabs(home)


def list_plugins(*, include_builtins: bool = False) -> list[dict[str, Any]]:
    """The loaded plugins: ``name``, the ``hooks`` they implement and the package ``version``.

    >>> [p["name"] for p in list_plugins(include_builtins=True)][:1]
    ['narrative.market.providers']
    """
    load_plugins()
    versions = {id(plugin): dist.version for plugin, dist in pm.list_plugin_distinfo()}
    own_version = _own_version()
    rows = []
    for name, plugin in pm.list_name_plugin():
        builtin = name in DEFAULT_PLUGINS or name == BUILTINS_NAME
        if builtin and not include_builtins:
            continue
        hooks = sorted(caller.name for caller in pm.get_hookcallers(plugin) or ())
        rows.append({"name": name, "hooks": hooks, "version": own_version if builtin else versions.get(id(plugin))})
    return rows


def _own_version() -> str:
    from importlib import metadata  # ~30 ms (email parsing): only `narrative plugins` needs it

    try:
        return metadata.version("narrative")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


class _Builtins:
    """The built-in sentiment and stance models, archive readers and narrative folders, registered
    through the public hooks. Imports happen inside the hooks' values, so listing plugins stays cheap."""

    @hookspecs.hookimpl
    def register_sentiment_backends(self, register):
        def load_transformers(path: str | None = None, *, quantize: bool = False):
            from .nlp.sentiment import SentimentModel

            return SentimentModel.load(path, quantize=quantize)

        register("transformers.v1", load_transformers)

    @hookspecs.hookimpl
    def register_stance_backends(self, register):
        def load_narrative_scorer(folder: str | None = None):
            from .nlp.narrative_model import NarrativeScorer

            return NarrativeScorer.load(folder)

        register("narrative-scorer.v1", load_narrative_scorer)

    @hookspecs.hookimpl
    def register_importers(self, register):
        def read(path, **options):
            from .ingest.archive import read_archive

            return read_archive(path, **options)

        for suffix in (".csv", ".jsonl", ".ndjson"):
            register(suffix, read)

    @hookspecs.hookimpl(tryfirst=True)
    def register_narrative_folders(self, register):
        from .catalog import models_dir

        register(models_dir() / "narratives")
        register(home_dir() / "narratives")
