"""The ``index`` command: the narrative index per exchange session (point-in-time) or per UTC day."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from .. import api
from . import cli
from .options import DB_HELP, FORMATS
from .output import render

if TYPE_CHECKING:
    import pandas as pd


@cli.command(name="index")
@click.option("--narrative", "narrative_id", help="Narrative id (default: the narrative setting).")
@click.option(
    "--sessions",
    metavar="EXCHANGE",
    help="One row per session of this exchange (XNYS, XHKG, US, HKEX ...), each article credited to the "
    "first session it could have moved: safe to join to that exchange's returns. Without it, rows "
    "are UTC calendar days, which are NOT point-in-time for any exchange.",
)
@click.option(
    "--precision",
    type=click.Choice(["exact", "all"]),
    default="all",
    show_default=True,
    help="'exact' leaves out items dated by day only, by fetch time or relatively ('9 days ago').",
)
@click.option("--from", "since", metavar="DATE", help="First day or session (YYYY-MM-DD).")
@click.option("--to", "until", metavar="DATE", help="Last day or session, inclusive (YYYY-MM-DD).")
@click.option("--db", "db_path", type=click.Path(dir_okay=False), help=DB_HELP)
@click.option("--format", "fmt", type=FORMATS, default="table", show_default=True)
def index_cli(narrative_id, sessions, precision, since, until, db_path, fmt) -> None:
    """The narrative index: attention (relevant articles), stories, mentions across sources, relevance-weighted
    stance (also with each story once), share positive, net stance, and counts by timestamp precision.

    Example: narrative index --sessions XNYS --precision exact --from 2025-01-01 --format csv
    """
    # Printed from the stored days or sessions without pandas when they answer (issue 12), else computed.
    from ..api.index import DAY_COLUMNS, index_day_records, index_session_records

    if sessions is None:
        records = index_day_records(narrative_id, db_path=db_path, since=since, until=until, precision=precision)
        if records is not None:
            _print(records, ["date", *DAY_COLUMNS], "UTC days (not point-in-time for any exchange)", precision, fmt)
            return
    else:
        found = index_session_records(
            narrative_id, sessions=sessions, db_path=db_path, since=since, until=until, precision=precision
        )
        if found is not None:
            _print(found[0], ["session", *DAY_COLUMNS], found[1], precision, fmt)
            return
    frame = api.narrative_index(
        narrative_id,
        db_path=db_path,
        since=since,
        until=until,
        sessions=sessions,
        precision=None if precision == "all" else [precision],
    )
    columns = [frame.index.name or "date", *frame.columns]
    _print(_records(frame), columns, frame.attrs.get("grouping"), precision, fmt)


def _print(rows: list[dict], columns: list[str], grouping: str | None, precision: str, fmt: str) -> None:
    if fmt == "json":
        counts = {c.removeprefix("n_"): sum(row[c] or 0 for row in rows) for c in columns if c.startswith("n_")}
        click.echo(
            json.dumps(
                {"grouping": grouping, "precision": precision, "articles_by_precision": counts, "rows": rows},
                indent=2,
                ensure_ascii=False,
            )
        )
    elif fmt == "csv":
        render(rows, columns, "csv")
    else:
        click.echo(f"{grouping or ''}", err=True)
        render(rows, columns, "table")


def _records(frame: pd.DataFrame) -> list[dict]:
    import pandas as pd  # the index is a DataFrame already; importing here keeps `narrative --help` light

    out = []
    for key, row in frame.iterrows():
        record = {frame.index.name or "date": str(pd.Timestamp(key).date())}
        for column, value in row.items():
            if isinstance(value, pd.Timestamp):
                value = value.isoformat()
            elif value is None or (not isinstance(value, str) and pd.isna(value)):
                value = None
            elif isinstance(value, float):
                value = round(value, 4)
            elif hasattr(value, "item"):
                value = value.item()
            record[column] = value
        out.append(record)
    return out
