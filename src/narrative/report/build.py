"""Validate the report's data, draw its charts and write ``report.html`` and ``report.json``.

The JSON is validated by :class:`ReportData` (pydantic, unknown keys forbidden) before anything is written,
and the HTML shows only numbers taken from it, formatted by :func:`fmt`.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ..errors import Errors, InputError
from . import plots

LOGGER = logging.getLogger(__name__)
TEMPLATE = Path(__file__).with_name("template.html")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Summary(_Strict):
    sentence: str  # the plain-language summary, worded from the calibrated result
    leadlag: str  # the lead-lag summary of market.inference
    enough: bool  # enough news sessions to test
    reason: str
    news_sessions: int
    headline: dict[str, Any] | None  # the headline test; None when nothing survives or too few news days
    articles_scored: int
    articles_relevant: int
    sessions: int
    sessions_with_news: int
    mean_stance: float | None
    share_positive: float | None
    shifts: int
    tests: int
    n_perm: int
    claims: dict[str, int]
    precision_counts: dict[str, int]


class TickerDetail(_Strict):
    ticker: str
    exchange: str
    benchmark: str
    calendar: str
    sessions: int
    sessions_with_benchmark: int
    prices_from: str
    prices_to: str
    benchmark_to: str
    excess_return: float | None
    benchmark_return: float | None
    series: dict[str, list]
    return_: float | None = Field(None, alias="return")  # "return" is a Python keyword


class ShiftItem(_Strict):
    session: str
    direction: str
    size: float | None
    before: float | None
    after: float | None
    p_value: float | None
    effect: float | None
    method: str
    first_published: str | None
    articles: int
    sides: list[dict[str, Any]]
    stories: list[dict[str, Any]]
    car: list[dict[str, Any]]


class Events(_Strict):
    source: str  # "shifts" | "user"
    dates: list[str]
    table: list[dict[str, Any]]


class Themes(_Strict):
    labels: dict[str, str]
    periods: list[str]
    counts: dict[str, list[int]]


class ReportData(_Strict):
    narrative: str
    tickers: list[str]
    benchmarks: dict[str, str]
    start: str
    end: str
    generated: str
    intraday: str
    precision: list[str] | None
    lead_ticker: str
    summary: Summary
    index: dict[str, list]
    tickers_detail: list[TickerDetail]
    leadlag: list[dict[str, Any]]
    shifts: list[ShiftItem]
    events: Events
    stories: list[dict[str, Any]]
    sides: list[dict[str, Any]]
    themes: Themes
    entities: list[dict[str, Any]]
    claims: list[dict[str, Any]]
    warnings: list[str]
    caveats: list[str]


def fmt(value, digits: int = 2, sign: bool = False) -> str:
    """A number as the report shows it (``—`` for missing)."""
    if value is None:
        return "—"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:+d}" if sign else str(value)
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"


def write_report(data: dict, out: Path, *, tables: dict | None = None) -> Path:
    """Write ``out/report.json``, ``out/report.html`` and each of ``tables`` (DataFrames) as ``out/<name>.csv``;
    returns the HTML path."""
    from jinja2 import Environment, StrictUndefined

    ReportData.model_validate(data)
    if out.exists() and not out.is_dir():
        raise InputError(Errors.E087.format(path=out))
    out.mkdir(parents=True, exist_ok=True)
    charts = {
        "overview": plots.index_vs_returns(data),
        "cars": plots.event_cars(data),
        "themes": plots.themes(data),
        "entities": plots.entities(data),
        "ccf": {t: plots.correlogram(data, t) for t in data["tickers"]},
    }
    env = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["fmt"] = fmt
    csv_names = sorted(f"{name}.csv" for name in (tables or {}))
    html = env.from_string(TEMPLATE.read_text(encoding="utf-8")).render(d=data, charts=charts, csv_names=csv_names)
    (out / "report.json").write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    for name, frame in (tables or {}).items():
        frame.to_csv(out / f"{name}.csv", index=False)
    path = out / "report.html"
    path.write_text(html, encoding="utf-8")
    LOGGER.info("wrote %s (%d bytes) and %d tables", path, len(html), len(tables or {}))
    return path
