"""Validate the report's data, draw its charts and write ``report.html`` and ``report.json``.

The JSON is validated by :class:`ReportData` (pydantic, unknown keys forbidden) before anything is written,
and the HTML shows only numbers taken from it, formatted by :func:`fmt`.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field

from ..errors import InputError
from . import plots

LOGGER = logging.getLogger(__name__)
TEMPLATE = Path(__file__).with_name("template.html")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Summary(_Strict):
    articles_scored: int
    articles_relevant: int
    sessions: int
    sessions_with_news: int
    mean_stance: Optional[float]
    share_positive: Optional[float]
    shifts: int
    tests: int
    claims: dict[str, int]
    strongest_lag: Optional[dict[str, Any]]


class TickerDetail(_Strict):
    ticker: str
    exchange: str
    calendar: str
    sessions: int
    prices_from: str
    prices_to: str
    excess_return: Optional[float]
    benchmark_return: Optional[float]
    series: dict[str, list]
    rolling_corr: dict[str, list]
    ccf: list[dict[str, Any]]
    granger: list[dict[str, Any]]
    return_: Optional[float] = Field(None, alias="return")  # "return" is a Python keyword


class ShiftItem(_Strict):
    session: str
    size: Optional[float]
    direction: str
    before: Optional[float]
    after: Optional[float]
    method: str
    articles: int
    evidence: list[dict[str, Any]]
    entities: list[dict[str, Any]]
    phrases: list[dict[str, Any]]
    car: list[dict[str, Any]]


class ReportData(_Strict):
    narrative: str
    tickers: list[str]
    benchmark: str
    start: str
    end: str
    generated: str
    intraday: str
    lead_ticker: str
    summary: Summary
    index: dict[str, list]
    tickers_detail: list[TickerDetail]
    shifts: list[ShiftItem]
    claims: list[dict[str, Any]]
    caveats: list[str]


def fmt(value, digits: int = 2, sign: bool = False) -> str:
    """A number as the report shows it (``—`` for missing)."""
    if value is None:
        return "—"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:+d}" if sign else str(value)
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"


def write_report(data: dict, out: Path) -> Path:
    """Write ``out/report.json`` and ``out/report.html``; returns the HTML path."""
    from jinja2 import Environment, StrictUndefined

    ReportData.model_validate(data)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: is a file; pass a folder.")
    out.mkdir(parents=True, exist_ok=True)
    charts = {"overview": plots.index_vs_returns(data), "cars": plots.event_cars(data), "rolling": plots.rolling(data),
              "ccf": {t["ticker"]: plots.correlogram(t) for t in data["tickers_detail"]}}
    env = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["fmt"] = fmt
    html = env.from_string(TEMPLATE.read_text(encoding="utf-8")).render(d=data, charts=charts)
    (out / "report.json").write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    path = out / "report.html"
    path.write_text(html, encoding="utf-8")
    LOGGER.info("wrote %s (%d bytes)", path, len(html))
    return path
