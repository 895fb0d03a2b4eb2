"""Commands about prices and the market: prices import/fetch, claims, report."""

from __future__ import annotations

import click

from ..api import market as api_market
from . import DB_HELP, FORMATS, cli
from .extract import _emit

_DB = click.option("--db", "db_path", type=click.Path(dir_okay=False), help=DB_HELP)


@cli.group(name="prices")
def prices_cli() -> None:
    """Daily prices: import Yahoo-style CSVs, or fetch them with the optional yfinance provider.

    Example: narrative prices import examples/demo/prices/BABA.csv
    """


@prices_cli.command(name="import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--ticker", help="Ticker of the file (default: the yfinance Ticker row, else the file name's stem).")
@_DB
def prices_import_cli(files, ticker, db_path) -> None:
    """Import price CSVs (Date,Close; OHLCV; tz-aware dates; yfinance's 3-row header). Bad rows are
    reported by line and skipped; re-importing a file is idempotent.

    Example: narrative prices import examples/demo/prices/*.csv --db narrative.db
    """
    if ticker and len(files) > 1:
        raise click.UsageError("--ticker applies to one file; import files one by one or name them after the ticker.")
    for path in files:
        summary = api_market.import_prices(path, ticker=ticker, db_path=db_path)
        for line, message in summary.problems:
            click.echo(f"{click.format_filename(path)}:{line}: skipped: {message}", err=True)
        click.echo(summary.line())


@prices_cli.command(name="fetch")
@click.argument("tickers", nargs=-1, required=True)
@click.option("--start", metavar="DATE", help="First day (YYYY-MM-DD).")
@click.option("--end", metavar="DATE", help="Last day (YYYY-MM-DD).")
@click.option("--provider", default="yfinance.v1", show_default=True, help="Registered price provider.")
@_DB
def prices_fetch_cli(tickers, start, end, provider, db_path) -> None:
    """Fetch daily prices from the internet through a provider (needs `pip install narrative[yfinance]`).

    Example: narrative prices fetch BABA 9988.HK --start 2024-01-01
    """
    for summary in api_market.fetch_prices(list(tickers), start=start, end=end, provider=provider, db_path=db_path):
        click.echo(summary.line())


@cli.command(name="claims")
@click.argument("name", required=False)
@click.option("--ticker", help="Check every figure against this ticker instead of the subject's listing.")
@click.option("--since", metavar="DATE", help="Only articles published on or after DATE.")
@click.option("--until", metavar="DATE", help="Only articles published on or before DATE.")
@_DB
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
def claims_cli(name, ticker, since, until, db_path, fmt) -> None:
    """Check stated returns ("Alibaba up 95.3% in 2025") against the prices as of publication:
    matches, off (with the best-fitting period) or cannot check (with the reason).

    Example: narrative claims Alibaba --format table
    """
    frame = api_market.claims(name, db_path=db_path, ticker=ticker, since=since, until=until)
    _emit(frame, ["published", "ticker", "period", "stated", "computed", "verdict", "reason", "best_fit_period",
                  "sentence"], fmt)
    if fmt == "table":
        counts = frame["verdict"].value_counts().to_dict() if len(frame) else {}
        click.echo(", ".join(f"{counts.get(v, 0)} {v}" for v in ("matches", "off", "cannot check")), err=True)


@cli.command(name="report")
@click.option("--narrative", "narrative", required=True, help="Narrative id, e.g. china-ai.")
@click.option("--tickers", required=True, help="Comma-separated tickers or names: BABA,9988.HK,KWEB or Alibaba.")
@click.option("--benchmark", default="QQQ", show_default=True, help="Benchmark ticker or name.")
@click.option("--from", "start", required=True, metavar="DATE", help="First day (YYYY-MM-DD).")
@click.option("--to", "end", required=True, metavar="DATE", help="Last day (YYYY-MM-DD).")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder for report.html and report.json.")
@click.option("--intraday", type=click.Choice(["same", "next"]), default="same", show_default=True,
              help="A story during a session counts for that session (same) or the next (next).")
@_DB
def report_cli(narrative, tickers, benchmark, start, end, out, intraday, db_path) -> None:
    """Write a self-contained HTML report (and its numbers as JSON): narrative index vs returns, lead-lag,
    narrative shifts with event-study CARs, and the claim check.

    Example: narrative report --narrative china-ai --tickers Alibaba,KWEB --benchmark QQQ --from 2024-01-01 --to 2025-10-31 --out out/report
    """
    path = api_market.report(narrative, [t for t in tickers.split(",") if t.strip()], benchmark, start, end, out,
                             db_path=db_path, intraday=intraday)
    click.echo(f"wrote {path} and {path.with_name('report.json')}")
