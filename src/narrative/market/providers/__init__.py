"""Price providers: classes that satisfy :class:`PriceProvider`, registered under versioned names.

Built-in providers register the same way a plugin's would (``register_price_providers(register)``).
A failed lookup lists the names that exist.
"""

from __future__ import annotations

from typing import Callable, Protocol, runtime_checkable

from ...errors import InputError


@runtime_checkable
class PriceProvider(Protocol):
    """Fetches daily bars. ``fetch`` returns rows shaped like :func:`narrative.market.prices.read_price_csv`'s
    (``date, open, high, low, close, adj_close, volume``), oldest first, dates in the exchange's local time."""

    name: str

    def fetch(self, ticker: str, *, start: str | None = None, end: str | None = None) -> list[dict]: ...


_REGISTRY: dict[str, Callable[[], PriceProvider]] = {}


def register(name: str, factory: Callable[[], PriceProvider]) -> None:
    """Register ``factory`` under a versioned ``name`` such as ``"yfinance.v1"``."""
    _REGISTRY[name] = factory


def register_price_providers(register: Callable[[str, Callable[[], PriceProvider]], None]) -> None:
    """The built-in providers, registered through the same callback a plugin hook would get."""
    from .yfinance import YFinanceProvider

    register("yfinance.v1", YFinanceProvider)


def available() -> list[str]:
    if not _REGISTRY:
        register_price_providers(register)
    return sorted(_REGISTRY)


def get_provider(name: str) -> PriceProvider:
    """The provider registered as ``name``; an InputError listing the available names otherwise."""
    names = available()
    if name not in _REGISTRY:
        raise InputError(f"unknown price provider {name!r}. Available: {', '.join(names)}.")
    return _REGISTRY[name]()
