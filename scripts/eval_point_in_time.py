"""How many archive rows the point-in-time rule (issue 8) moves to a later session, per file and exchange.

Reads the archives at run time (default: the 2020 headlines and the FNSPID sample in ../shared/data/news), parses
them as `narrative import` does, and maps every row to a session of each exchange twice: the old way (the stored
time as if exact: a date-only row at midnight UTC) and the point-in-time way (market/calendar.py).

    .venv/bin/python scripts/eval_point_in_time.py [FILE.csv ...] [--exchanges XHKG,XNYS]
"""

from __future__ import annotations

import argparse
import collections
from pathlib import Path

import pandas as pd

from narrative.ingest.archive import ArchiveRow, read_archive
from narrative.market.calendar import calendar_for

NEWS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "news"
DEFAULT = [*sorted((NEWS / "headlines_2020").glob("*.csv")), NEWS / "fnspid_sample" / "aapl_news_contents.csv"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, default=DEFAULT)
    parser.add_argument("--exchanges", default="XHKG,XNYS")
    args = parser.parse_args()
    rows = [
        (path.name, row.published, row.precision)
        for path in args.files
        for row in read_archive(path)
        if isinstance(row, ArchiveRow)
    ]
    frame = pd.DataFrame(rows, columns=["file", "published", "precision"])
    print("rows by precision:")
    print(frame.groupby(["file", "precision"]).size().to_string(), "\n")
    first, last = frame["published"].min()[:10], frame["published"].max()[:10]
    for code in args.exchanges.split(","):
        calendar = calendar_for(code, first, last)
        old = calendar.session_for(frame["published"].tolist())
        new = calendar.session_for(frame["published"].tolist(), precision=frame["precision"].tolist())
        moved = pd.Series(old != new, index=frame.index)
        later = pd.Series(
            [
                calendar.sessions.get_loc(n) - calendar.sessions.get_loc(o) if not (pd.isna(o) or pd.isna(n)) else None
                for o, n in zip(old, new)
            ],
            index=frame.index,
        )
        for name, group in frame.groupby("file"):
            shifted = later[group.index][moved[group.index]].dropna().astype(int)
            print(
                f"{code} {name}: {int(moved[group.index].sum())}/{len(group)} rows move; sessions later: "
                f"{dict(sorted(collections.Counter(shifted).items()))}"
            )
        print(f"{code} all: {int(moved.sum())}/{len(frame)} rows move\n")


if __name__ == "__main__":
    main()
