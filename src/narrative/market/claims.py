"""Checking stated returns ("Alibaba +95.3% in 2025") against the prices.

For each figure (kind ``change``, unit ``%``, with a subject entity and a period) the checker

1. picks the listing: the ticker written just before the figure in its sentence (``Tencent (0700.HK) lost
   12.5%``; if that ticker belongs to another entity than the extractor's subject, the ticker wins and the
   row says so), else a venue cue before the figure ("Hong Kong shares", 港股 -> the HKEX listing; "US shares",
   "ADR", 美股 -> the US listing), else the subject's primary listing; or the ticker the user asks for;
2. takes the **as-of close**: the last session of that listing whose close is at or before the publication
   instant (the exchange calendar, see :mod:`.calendar`), which must be in the price data;
3. computes the stated period's return from ``adj_close`` with the rule of ``examples/demo/FACTS.md``: YTD
   (and "in <this year>") = as-of close / last close of the previous calendar year - 1; a past year = its last
   close / the previous year's last close - 1; past month = 21 sessions back, week = 5, day = 1, 3M/quarter = 63,
   1Y = 252; "recent weeks" = the closest of 10, 15 and 20 sessions; Q1..Q4 = that calendar quarter (to date
   when it is the current one);
4. compares with the signed stated value (``down 6%`` is -6): **matches** when within
   ``max(1.5 points, 10% of the stated value)`` for a round or hedged figure, ``max(0.5 points, 3%)`` for one
   written with a decimal (a bound such as "more than 20%" matches anything beyond it),
   **off** otherwise (wrong direction, wrong period when another period fits, else wrong magnitude), or
   **cannot check** with the reason (no listing, no prices, unsupported period, a negated statement);
5. when the figure is off, reports the best-fitting period among YTD, 1D, 1W, 1M, 3M, 1Y and the two previous
   calendar years (a figure that matches its period has no "best fit").

Scope (issue 8): only figures about a listed entity's price, shares, ADRs or index level are checked. Stakes,
growth rates, margins, GDP, market share, revenue ... get the verdict **not a price claim**
(:mod:`.claim_scope`). A figure **without a period** ("Tencent shares have gained 55%") is read the usual ways,
YTD then 1D: it matches when one of them fits, and its period is labelled ``assumed YTD`` (or ``assumed 1D``).
An article that states one figure for one subject with two different periods ("up 8% in 2024 ... up 8% this
year") is **flagged** in ``flag``: at most one of them can be right.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass

import pandas as pd

from .claim_scope import price_claim

LOGGER = logging.getLogger(__name__)

ROWS_BACK = {"1D": 1, "1W": 5, "1M": 21, "3M": 63, "Q": 63, "1Y": 252}
BEST_FIT = ("YTD", "1D", "1W", "1M", "3M", "1Y")
USUAL_READINGS = ("YTD", "1D")  # how a move stated without a period is usually meant, likeliest first
NOT_A_PRICE_CLAIM = "not a price claim"
TOLERANCE_POINTS, TOLERANCE_RELATIVE = 1.5, 0.10
PRECISE_POINTS, PRECISE_RELATIVE = 0.5, 0.03
_LOWER_BOUND = {"more than", "over", "at least", "逾", "超过", "超", "above"}
_UPPER_BOUND = {"less than", "up to", "as much as", "just under", "不到", "近", "nearly", "almost", "close to"}
_HK_CUE = re.compile(r"Hong Kong|\bHK\b|H[- ]shares|港股|香港|恒生", re.I)
_US_CUE = re.compile(r"\bADRs?\b|\bUS shares\b|\bU\.S\. shares\b|US-listed|New York|Nasdaq|NYSE|美股|纽约", re.I)


COLUMNS_OUT = [
    "published",
    "subject",
    "ticker",
    "period",
    "stated",
    "computed",
    "difference",
    "verdict",
    "reason",
    "best_fit_period",
    "best_fit_value",
    "flag",
    "as_of",
    "as_of_close",
    "base_date",
    "base_close",
    "tolerance",
    "figure_id",
    "article_id",
    "sentence",
    "url",
]


@dataclass(frozen=True)
class ListingRef:
    symbol: str
    exchange: str
    primary: bool = False


@dataclass
class PeriodReturn:
    period: str
    value: float | None  # percent
    base_date: str | None = None
    base_close: float | None = None
    reason: str | None = None


@dataclass
class ClaimCheck:
    figure_id: int | None
    article_id: int | None
    published: str
    subject: str | None
    ticker: str | None
    period: str | None
    stated: float | None
    as_of: str | None
    as_of_close: float | None
    base_date: str | None
    base_close: float | None
    computed: float | None
    difference: float | None
    tolerance: float | None
    verdict: str  # matches | off | cannot check | not a price claim
    reason: str
    best_fit_period: str | None
    best_fit_value: float | None
    sentence: str | None = None
    url: str | None = None
    flag: str | None = None  # e.g. the article states this figure with two periods

    def as_dict(self) -> dict:
        return asdict(self)


def signed_value(value: float, direction: str | None) -> float:
    """``down 6%`` -> -6.0; a figure without a direction keeps its sign."""
    return -abs(value) if direction == "down" else value


def tolerance(stated: float, *, precise: bool = False) -> float:
    """How far a stated figure may be from the computed one and still match.

    A figure written with a decimal and no hedge ("60.5%") claims precision: ``max(0.5, 3% relative)``
    (room for adjusted vs unadjusted closes). A round or hedged one ("roughly 95%", "Jumps 13%"):
    ``max(1.5 points, 10% relative)``.
    """
    if precise:
        return max(PRECISE_POINTS, PRECISE_RELATIVE * abs(stated))
    return max(TOLERANCE_POINTS, TOLERANCE_RELATIVE * abs(stated))


def is_precise(surface: str | None, qualifier: str | None) -> bool:
    return bool(surface and re.search(r"\d[.,]\d", surface)) and not (qualifier or "").strip()


def period_return(closes: pd.Series, as_of: pd.Timestamp, period: str) -> PeriodReturn:
    """The return over ``period`` ending at the ``as_of`` session, in percent, from a close series.

    >>> s = pd.Series([100.0, 90.0, 99.0], index=pd.to_datetime(["2023-12-29", "2024-01-02", "2024-01-03"]))
    >>> as_of = pd.Timestamp("2024-01-03")
    >>> round(period_return(s, as_of, "YTD").value, 2), period_return(s, as_of, "1D").value
    (-1.0, 10.000000000000009)
    """
    history = closes.loc[:as_of]
    if history.empty or history.index[-1] != as_of:
        return PeriodReturn(period, None, reason=f"no close on {as_of.date()}")
    year = as_of.year
    match = re.fullmatch(r"Y(\d{4})", period or "")
    if period == "YTD" or (match and int(match.group(1)) == year):
        return _between(history, pd.Timestamp(year - 1, 12, 31), None, period)
    if match:
        target = int(match.group(1))
        if target > year:
            return PeriodReturn(period, None, reason=f"{target} is after the publication date")
        return _between(history, pd.Timestamp(target - 1, 12, 31), pd.Timestamp(target, 12, 31), period)
    quarter = re.fullmatch(r"Q([1-4])", period or "")
    if quarter:
        q = int(quarter.group(1))
        start = pd.Timestamp(year, 3 * q - 2, 1)
        if start > as_of:
            start = pd.Timestamp(year - 1, 3 * q - 2, 1)
        end = start + pd.offsets.QuarterEnd(0)
        return _between(history, start - pd.Timedelta(days=1), min(end, as_of), period)
    if period == "recent_weeks":
        options = [_rows_back(history, n, f"{n} sessions") for n in (10, 15, 20)]
        options = [o for o in options if o.value is not None]
        return options[0] if options else PeriodReturn(period, None, reason="not enough sessions before the as-of date")
    if period in ROWS_BACK:
        result = _rows_back(history, ROWS_BACK[period], period)
        result.period = period
        return result
    return PeriodReturn(
        period,
        None,
        reason=f"unsupported period {period!r} (checkable: YTD, 1D, 1W, 1M, 3M, Q1-Q4, 1Y, Y<year>, recent_weeks)",
    )


def _rows_back(history: pd.Series, n: int, label: str) -> PeriodReturn:
    if len(history) <= n:
        return PeriodReturn(label, None, reason=f"fewer than {n + 1} sessions of prices before the as-of date")
    base = history.iloc[-1 - n]
    return PeriodReturn(
        label, (float(history.iloc[-1]) / float(base) - 1) * 100, str(history.index[-1 - n].date()), float(base)
    )


def _between(history: pd.Series, base_by: pd.Timestamp, end_by: pd.Timestamp | None, period: str) -> PeriodReturn:
    before = history.loc[:base_by]
    if before.empty or (base_by - before.index[-1]).days > 10:
        return PeriodReturn(period, None, reason=f"no prices around {base_by.date()} for the base close")
    end = history.loc[:end_by] if end_by is not None else history
    value = (float(end.iloc[-1]) / float(before.iloc[-1]) - 1) * 100
    return PeriodReturn(period, value, str(before.index[-1].date()), float(before.iloc[-1]))


def choose_listing(
    sentence: str | None,
    position: int | None,
    subject: str | None,
    listings: Mapping[str, Sequence[ListingRef]],
    owner: Mapping[str, str],
    names: Mapping[str, Sequence[str]] | None = None,
) -> tuple[str | None, str | None, str]:
    """``(entity_id, symbol, why)`` for the figure at ``position`` in ``sentence`` (see the module doc).

    A ticker of another entity than ``subject`` only wins when none of the subject's ``names`` is written
    between that ticker and the figure ("KWEB slid 7.1%, while Alibaba ADRs fell 8.4%": 8.4 stays Alibaba's).
    """
    prefix = (sentence or "")[: position if position is not None and position >= 0 else None]
    # The nearest ticker written before the figure, within its clause (about 40 characters).
    best: tuple[int, str] | None = None
    for symbol in owner:
        at = prefix.rfind(symbol)
        if at >= 0 and len(prefix) - at <= 40 and _whole_word(prefix, at, symbol) and (best is None or at > best[0]):
            best = (at, symbol)
    if best is not None and subject and owner[best[1]] != subject:
        between = prefix[best[0] + len(best[1]) :]
        if any(n and n in between for n in (names or {}).get(subject, ())):
            best = None
    if best is not None:
        symbol = best[1]
        entity = owner[symbol]
        why = "ticker next to the figure"
        if subject and entity != subject:
            why += f" (the extractor's subject was {subject!r})"
        return entity, symbol, why
    if not subject:
        return None, None, "no subject"
    options = list(listings.get(subject, ()))
    if not options:
        return subject, None, "no listing"
    tail = prefix[-80:]
    hk = [o for o in options if o.exchange.upper() == "HKEX"]
    us = [o for o in options if o.exchange.upper() in {"NYSE", "NASDAQ", "NYSE ARCA", "US"}]
    if hk and _HK_CUE.search(tail) and not _US_CUE.search(tail):
        return subject, hk[0].symbol, "Hong Kong cue in the sentence"
    if us and _US_CUE.search(tail):
        return subject, us[0].symbol, "US cue in the sentence"
    primary = next((o for o in options if o.primary), options[0])
    return subject, primary.symbol, "primary listing"


def _whole_word(text: str, at: int, symbol: str) -> bool:
    before = text[at - 1] if at > 0 else " "
    after = text[at + len(symbol)] if at + len(symbol) < len(text) else " "
    return not (before.isalnum() or after.isalnum() or before in "^.")


def check_claim(
    figure: Mapping,
    *,
    closes: pd.Series | None,
    as_of: pd.Timestamp | None,
    ticker: str | None,
    unavailable: str | None = None,
) -> ClaimCheck:
    """Verdict for one figure against the ``closes`` of ``ticker`` at the ``as_of`` session.

    >>> s = pd.Series([100.0, 90.0, 99.0], index=pd.to_datetime(["2023-12-29", "2024-01-02", "2024-01-03"]))
    >>> check_claim({"value": 10, "direction": "up", "period": None, "published": "2024-01-03T22:00Z",
    ...              "surface": "10%"}, closes=s, as_of=pd.Timestamp("2024-01-03"), ticker="T").period
    'assumed 1D'
    """
    stated = signed_value(float(figure["value"]), figure.get("direction"))
    period = figure.get("period") or None
    precise = is_precise(figure.get("surface"), figure.get("qualifier"))
    tol = tolerance(stated, precise=precise)
    base = dict(
        figure_id=figure.get("figure_id"),
        article_id=figure.get("article_id"),
        published=figure["published"],
        subject=figure.get("subject"),
        ticker=ticker,
        period=period,
        stated=round(stated, 4),
        as_of=str(as_of.date()) if as_of is not None and not pd.isna(as_of) else None,
        as_of_close=None,
        base_date=None,
        base_close=None,
        computed=None,
        difference=None,
        tolerance=round(tol, 4),
        best_fit_period=None,
        best_fit_value=None,
        sentence=figure.get("sentence"),
        url=figure.get("url"),
    )

    def cannot(reason: str) -> ClaimCheck:
        return ClaimCheck(**base, verdict="cannot check", reason=reason)

    is_price, why_not = price_claim(figure)
    if not is_price:
        return ClaimCheck(**base, verdict=NOT_A_PRICE_CLAIM, reason=why_not)
    if unavailable:
        return cannot(unavailable)
    if figure.get("negated"):
        return cannot("negated statement")
    if closes is None or closes.empty or as_of is None or pd.isna(as_of):
        return cannot(f"no prices for {ticker}")
    base["as_of_close"] = round(float(closes.loc[as_of]), 4) if as_of in closes.index else None
    qualifier = figure.get("qualifier")
    if period is None:
        readings = [period_return(closes, as_of, p) for p in USUAL_READINGS]
        computable = [r for r in readings if r.value is not None]
        if not computable:
            return cannot("no period stated, and neither " + " nor ".join(USUAL_READINGS) + " can be computed")
        fitting = [r for r in computable if _within(stated, r.value, qualifier, tol)]
        result = (fitting or computable)[0]
        base["period"] = f"assumed {result.period}"
    else:
        result = period_return(closes, as_of, period)
    computed = result.value
    if computed is None:
        return cannot(result.reason or "cannot compute the period's return")
    diff = stated - computed
    base.update(
        computed=round(computed, 2),
        difference=round(diff, 2),
        base_date=result.base_date,
        base_close=None if result.base_close is None else round(result.base_close, 4),
    )
    if _within(stated, computed, qualifier, tol):
        reason = "within tolerance" if period else f"no period stated; {result.period} fits"
        return ClaimCheck(**base, verdict="matches", reason=reason)
    best = _best_fit(closes, as_of, stated, tol)  # shown only when the stated (or assumed) period is off
    if best is not None:
        base["best_fit_period"], base["best_fit_value"] = best[0], round(best[1], 2)
    if period is None:
        tried = ", ".join(f"{r.period} gives {r.value:+.1f}%" for r in computable)
        reason = f"no period stated; neither usual reading fits {stated:+.1f}% ({tried})"
        if best is not None:
            reason += f"; {best[0]} gives {best[1]:+.1f}%"
    elif best is not None and best[0] != period:
        reason = f"wrong period: {period} gives {computed:+.1f}%; {best[0]} gives {best[1]:+.1f}%"
    elif stated * computed < 0 and abs(computed) > TOLERANCE_POINTS:
        reason = f"wrong direction: {computed:+.1f}% over {period}, not {stated:+.1f}%"
    else:
        reason = f"wrong magnitude: {period} gives {computed:+.1f}%, not {stated:+.1f}%"
    return ClaimCheck(**base, verdict="off", reason=reason)


def _within(stated: float, actual: float | None, qualifier: str | None, tol: float) -> bool:
    if actual is None:  # a period the prices cannot cover fits nothing
        return False
    if abs(stated - actual) <= tol:
        return True
    q = (qualifier or "").strip().lower()
    same_sign = stated * actual > 0
    if q in _LOWER_BOUND:
        return same_sign and abs(actual) >= abs(stated) - tol
    return False


def _best_fit(closes: pd.Series, as_of: pd.Timestamp, stated: float, tol: float) -> tuple[str, float] | None:
    """The (period, return) closest to ``stated`` among the periods that fit it, if any."""
    candidates = [period_return(closes, as_of, p) for p in (*BEST_FIT, f"Y{as_of.year - 1}", f"Y{as_of.year - 2}")]
    fits = [(c.period, c.value) for c in candidates if c.value is not None and _within(stated, c.value, None, tol)]
    return min(fits, key=lambda fit: abs(stated - fit[1])) if fits else None


def check_claims(
    figures: pd.DataFrame,
    *,
    listings: Mapping[str, Sequence[ListingRef]],
    owner: Mapping[str, str],
    closes_for: Callable[[str], pd.Series | None],
    as_of_for: Callable[[str, str], pd.Timestamp | None],
    ticker: str | None = None,
    names: Mapping[str, Sequence[str]] | None = None,
) -> list[ClaimCheck]:
    """Check every row of ``figures`` (columns as :func:`narrative.store.reads.claim_figures` returns).

    ``closes_for(symbol)`` gives the adj_close series (or None); ``as_of_for(symbol, published)`` the as-of session
    (or None when the calendar cannot place it). ``ticker`` forces one listing for every figure.
    """
    out = []
    for figure in figures.to_dict(orient="records"):
        figure = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in figure.items()}
        symbol: str | None
        if ticker:
            symbol, why = ticker, "ticker asked for"
        else:
            _, symbol, why = choose_listing(
                figure.get("sentence"), figure.get("position"), figure.get("subject_entity_id"), listings, owner, names
            )
        if symbol is None:
            out.append(check_claim(figure, closes=None, as_of=None, ticker=None, unavailable=why))
            continue
        closes = closes_for(symbol)
        if closes is None or closes.empty:
            out.append(
                check_claim(
                    figure,
                    closes=None,
                    as_of=None,
                    ticker=symbol,
                    unavailable=f"no prices for {symbol} (import them with `narrative prices import`)",
                )
            )
            continue
        as_of = as_of_for(symbol, figure["published"])
        problem = None
        if as_of is None or pd.isna(as_of):
            problem = f"no {symbol} session closed before publication"
        elif as_of not in closes.index:
            problem = (
                f"no {symbol} price for {as_of.date()} (prices cover {closes.index[0].date()}.."
                f"{closes.index[-1].date()})"
            )
        check = check_claim(figure, closes=closes, as_of=as_of, ticker=symbol, unavailable=problem)
        if check.verdict == "off" and figure.get("published_source") in ("date_only", "relative"):
            check = _later_close_of_the_date(figure, check, closes, symbol, as_of_for)
        if why not in ("primary listing", "ticker asked for") and check.verdict in ("matches", "off"):
            check.reason += f"; listing: {why}"
        out.append(check)
    flag_two_periods(out)
    return out


def _later_close_of_the_date(
    figure: Mapping,
    check: ClaimCheck,
    closes: pd.Series,
    symbol: str,
    as_of_for: Callable[[str, str], pd.Timestamp | None],
) -> ClaimCheck:
    """A date-only article may have been written after that day's close: its figure may be as of the last close
    before the end of its (UTC) date rather than before its start. Keep that reading only when it matches."""
    day_end = (pd.Timestamp(figure["published"]).tz_convert("UTC").normalize() + pd.Timedelta(days=1)).isoformat()
    later = as_of_for(symbol, day_end)
    if later is None or pd.isna(later) or later not in closes.index or str(later.date()) == check.as_of:
        return check
    alternative = check_claim(figure, closes=closes, as_of=later, ticker=symbol)
    if alternative.verdict != "matches":
        return check
    alternative.reason += f"; date-only article: as of the {later.date()} close, on its date"
    return alternative


def flag_two_periods(checks: list[ClaimCheck]) -> None:
    """Flag price claims of one article that state the same figure for one subject with two different periods
    ("up 8% in 2024 ... up 8% this year"): at most one reading can be right."""
    groups: dict[tuple, list[ClaimCheck]] = {}
    for check in checks:
        if check.verdict != NOT_A_PRICE_CLAIM and check.article_id is not None and check.stated is not None:
            groups.setdefault((check.article_id, check.subject, check.stated), []).append(check)
    for (_, _, stated), group in groups.items():
        periods = sorted({c.period for c in group if c.period and not c.period.startswith("assumed")})
        if len(periods) > 1:
            for check in group:
                check.flag = f"the article states {stated:+g}% for two periods ({', '.join(periods)})"
