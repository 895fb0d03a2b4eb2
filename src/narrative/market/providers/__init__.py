"""Price providers: classes that satisfy :class:`PriceProvider`, registered under versioned names.

This module is a default plugin (:data:`narrative.plugins.DEFAULT_PLUGINS`): its
``register_price_providers`` hook registers the built-ins exactly as a third-party package's would,
and lookups ask every plugin, so installing a provider never hides the built-in ones. A failed
lookup lists the names that exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from ...hookspecs import hookimpl


@runtime_checkable
class PriceProvider(Protocol):
    """Fetches daily bars. ``fetch`` returns rows shaped like :func:`narrative.market.prices.read_price_csv`'s
    (``date, open, high, low, close, adj_close, volume``), oldest first, dates in the exchange's local time."""

    name: str

    def fetch(self, ticker: str, *, start: str | None = None, end: str | None = None) -> list[dict]: ...


@hookimpl
def register_price_providers(register: Callable[[str, Callable[[], PriceProvider]], None]) -> None:
    """The built-in providers, registered through the hook every plugin implements."""
    from .yfinance import YFinanceProvider

    register("yfinance.v1", YFinanceProvider)


def available() -> list[str]:
    """The names of every registered provider, built-in or from a plugin.

    >>> "yfinance.v1" in available()
    True
    """
    from ... import plugins

    return sorted(plugins.registered("register_price_providers"))


def get_provider(name: str) -> PriceProvider:
    """A new instance of the provider registered as ``name``; an InputError listing the available names otherwise.

    >>> get_provider("yfinance.v1").name
    'yfinance.v1'
    """
    from ... import plugins

    return plugins.lookup("register_price_providers", name, what="price provider").value()
