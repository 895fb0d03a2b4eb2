"""Commands about prices and the market: prices import/fetch, claims, report, leadlag."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from .. import api
from ..errors import Errors, InputError
from . import cli
from .options import DB, FORMAT
from .output import frame_rows, plain, render, render_frame


@cli.group(name="prices")
def prices_cli() -> None:
    """Daily prices: import Yahoo-style CSVs, or fetch them with the optional yfinance provider.

    Example: narrative prices import examples/demo/prices/BABA.csv
    """


@prices_cli.command(name="import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--ticker", help="Ticker of the file (default: the yfinance Ticker row, else the file name's stem).")
@DB
def prices_import_cli(files, ticker, db_path) -> None:
    """Import price CSVs (Date,Close; OHLCV; tz-aware dates; yfinance's 3-row header). Bad rows are
    reported by line and skipped; re-importing a file is idempotent.

    Example: narrative prices import examples/demo/prices/*.csv --db narrative.db
    """
    if ticker and len(files) > 1:
        raise click.UsageError(Errors.E068)
    for path in files:
        summary = api.import_prices(path, ticker=ticker, db_path=db_path)
        for line, message in summary.problems:
            click.echo(plain(f"{click.format_filename(path)}:{line}: skipped: {message}"), err=True)
        click.echo(summary.line())


@prices_cli.command(name="fetch")
@click.argument("tickers", nargs=-1, required=True)
@click.option("--start", metavar="DATE", help="First day (YYYY-MM-DD).")
@click.option("--end", metavar="DATE", help="Last day (YYYY-MM-DD).")
@click.option("--provider", default="yfinance.v1", show_default=True, help="Registered price provider.")
@DB
def prices_fetch_cli(tickers, start, end, provider, db_path) -> None:
    """Fetch daily prices from the internet through a provider (needs `pip install narrative[yfinance]`).

    Example: narrative prices fetch BABA 9988.HK --start 2024-01-01
    """
    for summary in api.fetch_prices(list(tickers), start=start, end=end, provider=provider, db_path=db_path):
        click.echo(summary.line())


@cli.command(name="claims")
@click.argument("name", required=False)
@click.option("--ticker", help="Check every figure against this ticker instead of the subject's listing.")
@click.option("--since", metavar="DATE", help="Only articles published on or after DATE.")
@click.option("--until", metavar="DATE", help="Only articles published on or before DATE.")
@DB
@FORMAT
def claims_cli(name, ticker, since, until, db_path, fmt) -> None:
    """Check stated returns ("Alibaba up 95.3% in 2025") against the prices as of publication:
    matches, off (with the best-fitting period) or cannot check (with the reason).

    Example: narrative claims Alibaba --format table
    """
    frame = api.claims(name, db_path=db_path, ticker=ticker, since=since, until=until)
    render_frame(
        frame,
        ["published", "ticker", "period", "stated", "computed", "verdict", "reason", "best_fit_period", "sentence"],
        fmt,
    )
    if fmt == "table":
        counts = frame["verdict"].value_counts().to_dict() if len(frame) else {}
        click.echo(", ".join(f"{counts.get(v, 0)} {v}" for v in ("matches", "off", "cannot check")), err=True)


_BENCHMARK = click.option(
    "--benchmark",
    "benchmarks",
    multiple=True,
    metavar="[EXCHANGE=]TICKER",
    help="Benchmark ticker or name; repeat with EXCHANGE=TICKER for a listing's own exchange "
    "(--benchmark QQQ --benchmark HKEX=^HSI). Default QQQ; an HK listing defaults to ^HSI "
    "when stored.",
)
_PRECISION = click.option(
    "--precision",
    multiple=True,
    type=click.Choice(["exact", "date_only", "fetched", "relative"]),
    help="Use only articles whose time has this precision (repeatable), e.g. --precision exact.",
)


@cli.command(name="report")
@click.option("--narrative", "narrative", required=True, help="Narrative id, e.g. china-ai.")
@click.option("--tickers", required=True, help="Comma-separated tickers or names: BABA,9988.HK,KWEB or Alibaba.")
@_BENCHMARK
@click.option("--from", "start", required=True, metavar="DATE", help="First day (YYYY-MM-DD).")
@click.option("--to", "end", required=True, metavar="DATE", help="Last day (YYYY-MM-DD).")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder for report.html, report.json and the tables as CSV.",
)
@click.option(
    "--intraday",
    type=click.Choice(["same", "next"]),
    default="same",
    show_default=True,
    help="A story during a session counts for that session (same) or the next (next).",
)
@click.option(
    "--events",
    metavar="FILE|DATES",
    help="Event study over these dates (a file with one date per line, "
    "or 2025-01-27,2025-02-21) instead of the narrative's shifts.",
)
@_PRECISION
@click.option("--n-perm", default=999, show_default=True, help="Permutations (circular shifts) per test.")
@DB
def report_cli(narrative, tickers, benchmarks, start, end, out, intraday, events, precision, n_perm, db_path) -> None:
    """Write a self-contained HTML report (its numbers as JSON, its tables as CSV): narrative index vs returns,
    calibrated lead-lag tests, significant narrative shifts with event studies, top stories, sub-themes,
    per-entity sentiment and the claim check.

    Example: narrative report --narrative china-ai --tickers Alibaba,KWEB --benchmark QQQ --benchmark HKEX=^HSI --from 2024-01-01 --to 2025-10-31 --out out/report
    """  # noqa: E501 (the example is one command line, as --help prints it)
    _check_writable_folder(out)
    path = api.report(
        narrative,
        [t for t in tickers.split(",") if t.strip()],
        list(benchmarks),
        start,
        end,
        out,
        db_path=db_path,
        intraday=intraday,
        events=events,
        precision=list(precision) or None,
        n_perm=n_perm,
    )
    click.echo(f"wrote {path}, {path.with_name('report.json')} and the tables as CSV in {path.parent}")


def _check_writable_folder(out: str) -> None:
    """--out must be a folder the user can write, checked before minutes of work (issue 11: was a traceback)."""
    folder = Path(out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(Errors.E063.format(path=out, problem=exc.strerror or exc)) from None
    if not os.access(folder, os.W_OK):
        raise InputError(Errors.E063.format(path=out, problem="folder not writable"))


@cli.command(name="leadlag")
@click.option("--narrative", "narrative", help="A stored narrative's index (default: the narrative setting).")
@click.option(
    "--index-csv",
    "index_csv",
    type=click.Path(dir_okay=False),
    help="Your own daily series instead: a CSV of date (or ISO timestamp),value.",
)
@click.option("--tickers", required=True, help="Comma-separated tickers or names: BABA,KWEB.")
@_BENCHMARK
@click.option("--from", "start", required=True, metavar="DATE", help="First day (YYYY-MM-DD).")
@click.option("--to", "end", required=True, metavar="DATE", help="Last day (YYYY-MM-DD).")
@click.option(
    "--intraday",
    type=click.Choice(["same", "next"]),
    default="same",
    show_default=True,
    help="A story during a session counts for that session (same) or the next (next).",
)
@_PRECISION
@click.option(
    "--max-lag",
    type=click.IntRange(min=1),
    default=None,
    help="Cross-correlation lags -N..+N (default: the widest range the sample can test, at most 10: "
    "-10..+10 from 421 sessions, -5..+5 for a year).",
)
@click.option("--granger-lag", default=5, show_default=True, help="Granger lags 1..N, both ways.")
@click.option("--n-perm", default=999, show_default=True, help="Permutations (circular shifts) per test.")
@click.option("--seed", default=0, show_default=True, help="Seed of the permutation draw.")
@click.option("--all", "show_all", is_flag=True, help="Table format: list every test, not only p < 0.05.")
@DB
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def leadlag_cli(
    narrative,
    index_csv,
    tickers,
    benchmarks,
    start,
    end,
    intraday,
    precision,
    max_lag,
    granger_lag,
    n_perm,
    seed,
    show_all,
    db_path,
    fmt,
) -> None:
    """Does a series lead or follow returns? Calibrated cross-correlation and Granger tests (circular-shift
    permutation p-values, family-wise control over every test) of a stored narrative's index, or of any daily
    series of yours, against each ticker's excess returns over its benchmark.

    Example: narrative leadlag --index-csv epu.csv --tickers BABA,KWEB --benchmark QQQ --from 2024-01-01 --to 2025-10-31 --format json
    """  # noqa: E501 (the example is one command line, as --help prints it)
    from ..api import analysis as api_analysis

    if narrative and index_csv:
        raise click.UsageError(Errors.E061)
    series = None
    if index_csv:
        try:
            series = api_analysis.read_series_csv(index_csv)
        except UnicodeDecodeError as exc:  # issue 11: a binary or non-UTF-8 file is one line, not a traceback
            problem = f"byte 0x{exc.object[exc.start]:02x} at offset {exc.start}"
            raise InputError(Errors.E006.format(path=index_csv, problem=problem)) from None
    result = api_analysis.leadlag_result(
        narrative,
        [t for t in tickers.split(",") if t.strip()],
        index=series,
        benchmark=list(benchmarks),
        start=start,
        end=end,
        db_path=db_path,
        intraday=intraday,
        precision=list(precision) or None,
        max_lag=max_lag,
        granger_lag=granger_lag,
        n_perm=n_perm,
        seed=seed,
    )
    if fmt == "json":
        tests = json.loads(result.tests.to_json(orient="records"))
        click.echo(
            json.dumps(
                {
                    "summary": result.summary,
                    "enough": result.enough,
                    "reason": result.reason,
                    "news_sessions": result.news_sessions,
                    "sessions": result.sessions,
                    "n_perm": result.n_perm,
                    "tests": tests,
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    shown = result.tests if show_all else result.tests[result.tests["p_perm"] < 0.05]
    rows = frame_rows(shown)
    for row in rows:
        for key in ("statistic", "p_perm", "p_fwer"):
            row[key] = None if row[key] is None else f"{row[key]:.4f}"
    render(rows, ["ticker", "test", "lag", "statistic", "p_perm", "p_fwer", "n", "news_sessions", "verdict"], "table")
    hidden = len(result.tests) - len(shown)
    click.echo(
        f"{result.summary}. {len(result.tests)} tests, {result.news_sessions} news sessions, "
        f"{result.n_perm} circular shifts"
        + (f"; {hidden} tests with p >= 0.05 not listed (--all)." if hidden else "."),
        err=False,
    )
