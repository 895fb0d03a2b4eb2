"""The market side of the API: import or fetch prices, check stated returns, build the report.

>>> from narrative.api import market
>>> market.import_prices("examples/demo/prices/BABA.csv", db_path="demo.db")  # doctest: +SKIP
>>> market.claims("Alibaba", db_path="demo.db")  # doctest: +SKIP
>>> market.report("china-ai", ["Alibaba", "KWEB"], "QQQ", "2024-01-01", "2025-10-31", "out/report")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..catalog import load_catalog
from ..clock import date_window, day_bound
from ..config import Settings
from ..errors import Errors, InputError
from ..market.prices import listing_for, read_price_csv, ticker_from_path
from ..store import reader, writer
from ..store.prices import price_coverage, upsert_prices
from .query import resolve_entity

LOGGER = logging.getLogger(__name__)


@dataclass
class PriceImportSummary:
    ticker: str
    path: str
    new: int = 0
    updated: int = 0
    first: str | None = None
    last: str | None = None
    currency: str | None = None
    exchange: str | None = None
    problems: list[tuple[int, str]] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"{Path(self.path).name}: {self.ticker} ({self.exchange}, {self.currency}) {self.first}..{self.last}: "
            f"{self.new} new rows, {self.updated} updated, {len(self.problems)} skipped"
        )


def catalog_listings(catalog_path: str | None = None) -> dict[str, tuple[str, str]]:
    """``symbol -> (currency, exchange)`` for every listing in the entity catalog."""
    catalog = load_catalog(catalog_path)
    return {listing.symbol: (listing.currency, listing.exchange) for e in catalog.entities for listing in e.listings}


def import_prices(
    path: str | Path, *, ticker: str | None = None, db_path: str | None = None, catalog_path: str | None = None
) -> PriceImportSummary:
    """Import a Yahoo-style price CSV into the ``prices`` table (upsert: re-importing changes nothing).

    The ticker is ``ticker``, else the file's yfinance ``Ticker`` row, else the file name's stem (``HSI.csv``
    becomes ``^HSI`` when the catalog lists ``^HSI``). Currency and exchange come from the catalog's listing,
    else from the suffix (.HK -> HKD/HKEX, .SS/.SZ -> CNY, else USD/US). Skipped rows are in ``problems``.
    """
    listings = catalog_listings(catalog_path)
    parsed = read_price_csv(path)
    symbol = (ticker or parsed.ticker or ticker_from_path(path, set(listings))).strip()
    if not symbol:
        raise InputError(Errors.E070.format(path=path))
    if not parsed.rows:
        first = "; ".join(f"line {n}: {m}" for n, m in parsed.problems[:3])
        raise InputError(Errors.E071.format(path=path, count=len(parsed.problems), first=first))
    currency, exchange = listing_for(symbol, listings)
    with writer(Settings.load(db=db_path)) as db:
        new, updated = upsert_prices(
            db, symbol, parsed.rows, currency=currency, exchange=exchange, source=f"csv:{Path(path).name}"
        )
    for line, message in parsed.problems:
        LOGGER.info("%s:%s: skipped: %s", Path(path).name, line, message)
    return PriceImportSummary(
        symbol,
        str(path),
        new,
        updated,
        parsed.rows[0]["date"],
        parsed.rows[-1]["date"],
        currency,
        exchange,
        parsed.problems,
    )


def fetch_prices(
    tickers: list[str],
    *,
    start: str | None = None,
    end: str | None = None,
    provider: str = "yfinance.v1",
    db_path: str | None = None,
    catalog_path: str | None = None,
) -> list[PriceImportSummary]:
    """Fetch daily prices through a registered provider (default ``yfinance.v1``) and store them."""
    from ..market.providers import get_provider

    date_window(start, end)
    source = get_provider(provider)
    listings = catalog_listings(catalog_path)
    settings = Settings.load(db=db_path)
    summaries = []
    for symbol in tickers:
        rows = source.fetch(symbol, start=start, end=end)
        currency, exchange = listing_for(symbol, listings)
        with writer(settings) as db:
            new, updated = upsert_prices(db, symbol, rows, currency=currency, exchange=exchange, source=provider)
        summaries.append(
            PriceImportSummary(
                symbol,
                provider,
                new,
                updated,
                rows[0]["date"] if rows else None,
                rows[-1]["date"] if rows else None,
                currency,
                exchange,
            )
        )
    return summaries


def resolve_tickers(names: list[str], *, db=None, catalog_path: str | None = None) -> list[str]:
    """Tickers for ``names``: a listed or stored symbol stays itself; an entity name gives its listings that have
    prices in the store (``Alibaba`` -> BABA, 9988.HK). Unknown names raise InputError (exit 2)."""
    catalog = load_catalog(catalog_path)
    stored = {r["ticker"] for r in price_coverage(db)} if db is not None else set()
    symbols = {listing.symbol for e in catalog.entities for listing in e.listings}
    out: list[str] = []
    for name in (n.strip() for n in names if n.strip()):
        if name in stored or name in symbols:
            found = [name]
        else:
            entity_id, canonical = resolve_entity(name, db=db, catalog_path=catalog_path)
            entity = catalog.by_id().get(entity_id) if entity_id else None
            if entity is None or not entity.listings:
                raise InputError(Errors.E072.format(name=name, canonical=canonical))
            found = [listing.symbol for listing in sorted(entity.listings, key=lambda listing: not listing.primary)]
            with_prices = [s for s in found if s in stored]
            if stored and not with_prices:
                raise InputError(Errors.E073.format(canonical=canonical, tickers=", ".join(found)))
            found = with_prices or found
        out += [s for s in found if s not in out]
    return out


def claims(
    name: str | None = None,
    *,
    db_path: str | None = None,
    ticker: str | None = None,
    since: str | None = None,
    until: str | None = None,
    catalog_path: str | None = None,
):
    """Check every stated return with a subject and a period against the stored prices.

    Returns a DataFrame, one row per figure: ticker, period, stated and computed return, difference, verdict
    (``matches`` / ``off`` / ``cannot check``), the reason and the best-fitting period.

    >>> claims("Alibaba", db_path="demo.db", since="2025-01-01")  # doctest: +SKIP
    """
    from .analysis import Prices

    since_iso, until_iso = day_bound(since), day_bound(until, end=True)
    with reader(Settings.load(db=db_path)) as db:
        return checked_claims(
            db, Prices(db), name=name, ticker=ticker, since=since_iso, until=until_iso, catalog_path=catalog_path
        )


def checked_claims(
    db,
    prices,
    *,
    name: str | None = None,
    ticker: str | None = None,
    since: str | None = None,
    until: str | None = None,
    catalog_path: str | None = None,
):
    """:func:`claims` on an open store, with the closes ``prices`` (an :class:`~narrative.api.analysis.Prices`)
    has read already: the report checks its claims against the closes it loaded for the analysis (read once).
    ``since``/``until`` are ISO bounds (``until`` exclusive).
    """
    import pandas as pd

    from ..market.claims import COLUMNS_OUT, ListingRef, check_claims
    from ..store.reads import claim_figures

    catalog = load_catalog(catalog_path)
    entity_ids = None
    if name:
        entity_id, canonical = resolve_entity(name, db=db, catalog_path=catalog_path)
        if entity_id is None:
            raise InputError(Errors.E074.format(name=canonical))
        entity_ids = [entity_id]
    figures = claim_figures(db, entity_ids=entity_ids)
    if since:
        figures = figures[figures["published"] >= since]
    if until:
        figures = figures[figures["published"] < until]
    listings = {
        e.id: [ListingRef(listing.symbol, listing.exchange, listing.primary) for listing in e.listings]
        for e in catalog.entities
    }
    owner = {
        listing.symbol: e.id
        for e in catalog.entities
        for listing in e.listings
        if len(listing.symbol) >= 3 or "." in listing.symbol
    }
    exchanges = {r["ticker"]: r["exchange"] for r in price_coverage(db)}
    results = check_claims(
        figures,
        listings=listings,
        owner=owner,
        closes_for=prices.closes,
        as_of_for=lambda s, p: prices.as_of(s, p, exchanges.get(s)),
        ticker=ticker,
        names={e.id: e.names() for e in catalog.entities},
    )
    return pd.DataFrame([r.as_dict() for r in results], columns=COLUMNS_OUT)


def report(
    narrative: str,
    tickers: list[str],
    benchmark,
    start: str,
    end: str,
    out: str | Path,
    *,
    db_path: str | None = None,
    intraday: str = "same",
    precision=None,
    events=None,
    n_perm: int = 999,
    seed: int = 0,
    catalog_path: str | None = None,
) -> Path:
    """Write ``out/report.html``, ``out/report.json`` and every table as ``out/<table>.csv`` for ``narrative``
    against ``tickers``. ``benchmark``: one ticker, or a list of ``SYMBOL`` / ``EXCHANGE=SYMBOL`` entries (see
    :mod:`narrative.api.analysis`). ``events``: dates (or a file of dates) for the event study instead of the
    narrative's shifts. Tickers may be names ("Alibaba" -> BABA, 9988.HK). Returns the HTML path.
    """
    from ..catalog import find_narrative, load_narratives
    from ..market.report_data import report_data
    from ..report.build import write_report
    from ..store.reads import entity_sentiment, sentence_scores
    from .analysis import Prices, market_data, parse_events

    start_d, end_d = date_window(start, end)
    if start_d is None or end_d is None:
        raise InputError(Errors.E033)
    spec = find_narrative(load_narratives(), narrative)
    event_dates = parse_events(events) if events else None
    with reader(Settings.load(db=db_path)) as db:
        prices = Prices(db)  # one read of each ticker's closes, for the analysis and the claim check
        data = market_data(
            db, spec.id, tickers, benchmark, str(start_d), str(end_d), catalog_path=catalog_path, prices=prices
        )
        ids = [int(a) for a in data.articles["article_id"]]
        sentences = sentence_scores(db, spec.id, article_ids=ids)
        sentiment = entity_sentiment(db, article_ids=ids)
        claim_frame = checked_claims(
            db, prices, since=day_bound(str(start_d)), until=day_bound(str(end_d), end=True), catalog_path=catalog_path
        )
    claim_frame = claim_frame[claim_frame["ticker"].isin([*data.closes]) | claim_frame["ticker"].isna()]
    data_json, tables = report_data(
        data,
        narrative=spec.id,
        start=str(start_d),
        end=str(end_d),
        sentences=sentences,
        sentiment=sentiment,
        claims=claim_frame,
        themes={t.id: t.label for t in spec.themes},
        events=event_dates,
        intraday=intraday,
        precision=precision,
        n_perm=n_perm,
        seed=seed,
    )
    return write_report(data_json, Path(out), tables=tables)


def check_window(start: str | None, end: str | None) -> tuple[date | None, date | None]:
    """``--from``/``--to`` as dates (None when not given); a bad or reversed window raises InputError.

    Kept for callers of the API; the parser is :func:`narrative.clock.date_window`.
    """
    return date_window(start, end)
