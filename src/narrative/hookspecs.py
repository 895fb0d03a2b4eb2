"""The plugin hooks: every extension point of narrative as a documented function signature.

A plugin is a module (or object) whose functions carry ``@hookimpl`` and are named after these
specs; a package makes it known through the ``narrative`` entry-point group. Each ``register_*``
hook receives a ``register`` callback, as llm's ``register_models(register)`` does; narrative's
own features register through the same hooks (:data:`narrative.plugins.DEFAULT_PLUGINS`).

Example plugin module::

    from narrative.hookspecs import hookimpl

    class StooqProvider:
        name = "stooq.v1"

        def fetch(self, ticker, *, start=None, end=None):
            return [{"date": "2025-09-01", "open": 1.0, "high": 1.0, "low": 1.0, "close": 1.0,
                     "adj_close": 1.0, "volume": 0.0}]

    @hookimpl
    def register_price_providers(register):
        register("stooq.v1", StooqProvider)
"""

from __future__ import annotations

from pluggy import HookimplMarker, HookspecMarker

hookspec = HookspecMarker("narrative")
hookimpl = HookimplMarker("narrative")


@hookspec
def register_price_providers(register):
    """Register price sources: ``register(name, factory)``.

    ``name`` is versioned (``"stooq.v1"``); ``factory()`` returns an object with a ``name`` and
    ``fetch(ticker, *, start=None, end=None) -> list[dict]`` (rows of ``date, open, high, low,
    close, adj_close, volume``, oldest first): the :class:`narrative.market.providers.PriceProvider`
    protocol. ``narrative prices fetch --provider NAME`` uses it.
    """


@hookspec
def register_sentiment_backends(register):
    """Register sentiment models: ``register(name, loader)``.

    ``loader(path, *, quantize)`` returns an object with ``version`` (a string stored with every
    score), ``score(texts) -> list[SentimentScore]`` and ``score_targets([(name, text), ...])
    -> list[SentimentScore]`` (:class:`narrative.nlp.sentiment.SentimentScore`). ``path`` is the
    ``sentiment_model`` setting (``None`` for the backend's default model).
    """


@hookspec
def register_stance_backends(register):
    """Register narrative relevance/stance scorers: ``register(name, loader)``.

    ``loader(folder)`` returns an object with ``version``, ``prepare(narrative, *, polarity)`` and
    ``score(prepared, facts) -> (relevance, stance)``, as
    :class:`narrative.nlp.narrative_model.NarrativeScorer` does. ``folder`` is ``None`` for the
    backend's default heads.
    """


@hookspec
def register_importers(register):
    """Register archive readers for ``narrative import``: ``register(suffix, reader)``.

    ``suffix`` is a file ending such as ``".parquet"``; ``reader(path, *, encoding, column_map,
    as_of, zone)`` yields :class:`narrative.ingest.archive.ArchiveRow` or ``RowProblem`` per row,
    as :func:`narrative.ingest.archive.read_archive` does for ``.csv``/``.jsonl``/``.ndjson``.
    """


@hookspec
def register_narrative_folders(register):
    """Register folders of narrative YAML files (one narrative per file): ``register(path)``.

    The shipped ``models/narratives`` and ``$NARRATIVE_HOME/narratives`` are registered this way;
    a plugin package can ship its own narratives as package data and register their folder.
    """


@hookspec
def register_commands(cli):
    """Add commands to the ``narrative`` click group: ``@cli.command()`` inside the hook."""
