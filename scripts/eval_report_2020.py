#!/usr/bin/env python
"""Eval (not a test): the full report on real 2020 headlines with real prices from ../shared.

Imports the CNBC and Reuters headline archives (``--all`` adds the Guardian's 17k) from
``../shared/data/news/headlines_2020/`` into a temporary store with enrichment, imports real closes
(BABA, BIDU, JD, KWEB, QQQ from ``../shared/data/prices/close_only/``), scores the articles with the lead's
``narrative score`` when it is available, runs ``narrative report`` and prints a summary.

    .venv/bin/python scripts/eval_report_2020.py --out out/eval_2020
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "out" / "eval_2020"))
    parser.add_argument("--all", action="store_true", help="also import the Guardian headlines (slow)")
    parser.add_argument("--narrative", default="china-ai")
    parser.add_argument("--tickers", default="BABA,KWEB")
    parser.add_argument("--benchmark", default="QQQ")
    parser.add_argument("--precision", action="append", help="only items of this timestamp precision (repeatable)")
    parser.add_argument("--from", dest="start", default="2018-01-01")
    parser.add_argument("--to", dest="end", default="2020-07-31")
    parser.add_argument("--no-score", action="store_true", help="skip sentiment scoring")
    parser.add_argument("--db", help="reuse this store instead of a temporary one")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    from narrative import api
    from narrative.api import market

    started = time.perf_counter()
    db_path = args.db or str(Path(tempfile.mkdtemp(prefix="eval2020-")) / "narrative.db")
    names = ["reuters_headlines.csv", "cnbc_headlines.csv"] + (["guardian_headlines.csv"] if args.all else [])
    from narrative.errors import ConfigError

    enrich = True
    for name in names:
        path = SHARED / "news" / "headlines_2020" / name
        try:
            summary = api.import_archive(str(path), db_path=db_path, source=name.split("_")[0], enrich=enrich)
        except ConfigError as exc:  # enrichment also scores; without the sentiment model, import plain text
            print(f"enrichment unavailable ({exc}); importing without it")
            enrich = False
            summary = api.import_archive(str(path), db_path=db_path, source=name.split("_")[0], enrich=False)
        print(
            f"import {name}: {getattr(summary, 'new', '?')} new, {len(getattr(summary, 'problems', []))} rows skipped"
        )
    for ticker in sorted({*args.tickers.split(","), args.benchmark, "BIDU", "JD"}):
        print(market.import_prices(SHARED / "prices" / "close_only" / f"{ticker}.csv", db_path=db_path).line())
    if not args.no_score and enrich:
        try:
            scored = api.score(db_path=db_path, narrative_id=args.narrative)
            print(f"score: {scored}")
        except Exception as exc:  # noqa: BLE001 (an eval: report what failed and go on without scores)
            print(f"score: skipped ({type(exc).__name__}: {exc})")
    claims = market.claims(db_path=db_path)
    print(f"claims: {len(claims)} checked: {claims['verdict'].value_counts().to_dict() if len(claims) else {}}")
    html = market.report(
        args.narrative,
        args.tickers.split(","),
        args.benchmark,
        args.start,
        args.end,
        args.out,
        db_path=db_path,
        precision=args.precision or None,
    )
    data = json.loads(html.with_name("report.json").read_text(encoding="utf-8"))
    s = data["summary"]
    print(f"report: {html} ({html.stat().st_size / 1024:.0f} KiB)")
    print(
        f"  articles scored {s['articles_scored']}, relevant {s['articles_relevant']}, sessions {s['sessions']} "
        f"({s['sessions_with_news']} with news), mean stance {s['mean_stance']}"
    )
    print(f"  relevant articles by timestamp precision: {s['precision_counts']}")
    for t in data["tickers_detail"]:
        print(
            f"  {t['ticker']}: return {t['return']}%, {t['benchmark']} {t['benchmark_return']}%, "
            f"excess {t['excess_return']}%"
        )
    print(f"  summary: {s['sentence']}")
    print(f"  lead-lag: {s['leadlag']} ({s['tests']} tests, {s['news_sessions']} news sessions, {s['n_perm']} shifts)")
    top = s["headline"]
    print(
        "  headline tile: "
        + (
            f"{top['ticker']} {top['test']} lag {top['lag']} statistic {top['statistic']:.3f} "
            f"perm. p {top['p_perm']:.4f} family-wise p {top['p_fwer']:.4f}"
            if top
            else ("too few news days to test" if not s["enough"] else "no lead or lag")
        )
    )
    for shift in data["shifts"]:
        cars = ", ".join(
            f"{c['ticker']}{c['window']} {c['car']}% (SCAR {c['scar']})" for c in shift["car"] if c["car"] is not None
        )
        print(f"  shift {shift['session']} {shift['direction']} {shift['size']} (p {shift['p_value']}): {cars}")
    print(f"  shifts: {s['shifts']}; warnings: {data['warnings']}")
    print(f"done in {time.perf_counter() - started:.0f}s; store {db_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
