#!/usr/bin/env python
"""The Ray engine against the in-process engine on this machine (issue 14 item 1): same rows? items/s with 1 and
2 workers?

Real headlines with their descriptions (the 2020 CNBC and Reuters files, read at run time from
``../shared/data/news/headlines_2020``, never copied into the repository) are stored once without enrichment;
each engine then enriches its own copy of that store (extraction, entity relevance, narrative scoring, mention
sentiment, stories, aggregates: everything ``narrative enrich`` does):

* ``inprocess``: ``api.enrich`` (the default engine);
* ``ray N``: ``api.ray_engine.enrich_ray`` on a local Ray instance with N actors (N = each of ``--workers``).

Printed per run: wall seconds (actor start-up and model loading included, as a user waits for them), articles/s,
and whether every stored row equals the in-process engine's (times of writing aside): per table, the number of
rows that differ. On a machine shared with other jobs the wall-clock figures are noisy; the load average before
and after is printed with them.

    .venv/bin/python scripts/bench_ray.py                        # 400 articles, 1 and 2 workers (~4 min)
    .venv/bin/python scripts/bench_ray.py --articles 1000 --workers 1 2 4
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sqlite3
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

HEADLINES = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "news" / "headlines_2020"
TABLES = [
    "enrichments",
    "sentences",
    "mentions",
    "people",
    "figures",
    "phrase_hits",
    "article_entities",
    "sentence_scores",
    "entity_sentiment",
    "article_scores",
    "mention_sentiment",
    "stories",
]
WHEN = {"enriched_at", "scored_at", "updated_at"}


def headlines(limit: int) -> list[dict[str, str]]:
    """Distinct (title, description) pairs from the CNBC and Reuters files, with made-up hourly times."""
    seen: set[str] = set()
    rows = []
    for name in ("cnbc_headlines.csv", "reuters_headlines.csv"):
        with open(HEADLINES / name, encoding="utf-8", errors="replace", newline="") as handle:
            for row in csv.DictReader(handle):
                title, text = (row.get("Headlines") or "").strip(), (row.get("Description") or "").strip()
                if title and text and title not in seen:
                    seen.add(title)
                    rows.append({"title": title, "text": text})
    if len(rows) < limit:
        raise SystemExit(f"only {len(rows)} headlines in {HEADLINES}; ask for fewer")
    start = datetime(2020, 3, 2, 8)
    return [
        {
            **row,
            "url": f"https://bench.example.test/{n}",
            "published": (start + timedelta(hours=n)).isoformat() + "+00:00",
        }
        for n, row in enumerate(rows[:limit])
    ]


def content(db: str) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(db)
    try:
        out = {}
        for table in TABLES:
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info([{table}])") if r[1] not in WHEN]
            listed = ", ".join(f'"{c}"' for c in columns)
            out[table] = conn.execute(f"SELECT {listed} FROM [{table}] ORDER BY {listed}").fetchall()
        return out
    finally:
        conn.close()


def differing(got: dict[str, list[tuple]], expected: dict[str, list[tuple]]) -> dict[str, int]:
    """Rows of each table present on one side only (0 everywhere: identical stores)."""
    return {t: len(set(got[t]) ^ set(expected[t])) for t in expected if set(got[t]) != set(expected[t])}


def copy(raw: Path, folder: Path, name: str) -> str:
    conn = sqlite3.connect(raw)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every committed row in the main file before copying it
    conn.close()
    target = folder / f"{name}.db"
    shutil.copy(raw, target)
    return str(target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=400)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    import ray

    from narrative import api
    from narrative.api.ray_engine import enrich_ray
    from narrative.api.score import sentiment_model
    from narrative.config import Settings

    folder = Path(tempfile.mkdtemp(prefix="bench_ray_"))
    try:
        archive = folder / "news.jsonl"
        archive.write_text("\n".join(json.dumps(r) for r in headlines(args.articles)), encoding="utf-8")
        raw = folder / "raw.db"
        api.import_archive(str(archive), db_path=str(raw), source="bench", enrich=False)
        print(f"{args.articles} articles (headline + description); load average {os.getloadavg()[0]:.1f}")
        print(f"{'engine':<12} {'wall s':>8} {'articles/s':>11}  rows vs in-process")

        db = copy(raw, folder, "inprocess")
        sentiment_model(Settings.load().sentiment_model or None).clear_cache()
        started = time.monotonic()
        summary = api.enrich(db_path=db)
        wall = time.monotonic() - started
        reference = content(db)
        print(f"{'inprocess':<12} {wall:>8.1f} {summary.articles / wall:>11.2f}  (reference)")

        ray.init(num_cpus=max(args.workers), include_dashboard=False, log_to_driver=False, configure_logging=False)
        for workers in args.workers:
            db = copy(raw, folder, f"ray{workers}")
            started = time.monotonic()
            summary = enrich_ray(Settings.load(db=db), num_workers=workers)
            wall = time.monotonic() - started
            diff = differing(content(db), reference)
            same = "identical" if not diff else "differ: " + ", ".join(f"{t} {n}" for t, n in diff.items())
            print(f"{'ray ' + str(workers):<12} {wall:>8.1f} {summary.articles / wall:>11.2f}  {same}")
        ray.shutdown()
        print(f"load average after: {os.getloadavg()[0]:.1f} (2 shared cores: wall-clock figures are noisy)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
