#!/usr/bin/env python
"""Bench (not a test): every query command on a 2M-article store built from real rows (issue 14 item 4, issue 12
item 3), timed as the user runs it (the ``narrative`` CLI in a fresh process) and as the API call in-process.

1. A seed store: the 2020 headlines (Reuters, CNBC, then the Guardian's up to ``--seed``) and the first ``--fnspid``
   FNSPID article bodies from ``../shared/data/news/``, imported and enriched by the real pipeline (spaCy
   extraction, entity relevance, entity sentiment); scored by the real narrative model when it loads, else by
   seeded synthetic scores (said so). Cached as ``OUT/seed.db``; a seed from an older version is upgraded by
   ``enrich`` (its new tables filled the way any store's are).
2. The big store, by bulk SQL: every article-keyed table of the seed copied ``ceil(N / seed)`` times in one
   ``INSERT ... SELECT`` per table and chunk of copies, ids offset per copy (copy k of row id i is
   ``k * max(id) + i``, so ``mention_sentiment`` still points at its mention and ``stories`` at its first article),
   each copy made distinct (title, URL, GUID, hashes) and its publication time spread over ``--years`` years. The
   indexes and triggers are set aside during the copy and recreated after it (one sort per index instead of
   millions of random inserts); what the triggers would have written is then written as a bulk load must: the
   full-text index rebuilt, the running counts recounted (``store.stats.rebuild_store_counts``), and every day
   marked for the aggregates, which ``narrative enrich``'s own refresh (``api.aggregates.refresh_aggregates``)
   then computes. The result is the store the writer would have produced, schema and all.
3. Each query command timed: the CLI in a subprocess (start-up included, best of ``--repeat``: wall clock, and the
   process's user+sys CPU seconds, the fairer figure on a shared machine where wall time includes waiting for a
   core) and the API function in-process (best of ``--repeat``). The 1-minute load average is printed with it.

Each phase commits and records itself in ``OUT/store_N.build.json``, so a build cut short (or split into runs
under 10 minutes with ``--phase``) carries on where it stopped.

    .venv/bin/python scripts/bench_scale.py --articles 2000000                 # build (or finish) and time
    .venv/bin/python scripts/bench_scale.py --articles 2000000 --phase copy    # one phase only
    .venv/bin/python scripts/bench_scale.py --db /path/or/url --narrative china-ai   # time an existing store

The backfill targets (per-worker throughput of ``narrative enrich --engine ray`` against the in-process engine;
nothing lost or doubled after a worker or the driver is killed mid-run) are measured by ``scripts/bench_ray.py``,
which ``--backfill N`` runs on N real headlines (each part one job under 10 minutes: run them apart with
``bench_ray.py --timing`` and ``--kill``):

    .venv/bin/python scripts/bench_scale.py --backfill 400
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NEWS = ROOT.parent / "shared" / "data" / "news"
# Tables the writer derives from the others: recomputed after the copy, never copied.
DERIVED = {
    "aggregate_dirty",
    "entity_days",
    "entity_totals",
    "narrative_days",
    "entity_months",
    "narrative_sessions",
    "narrative_session_state",
    "session_calendar",
    "entity_sentiment_days",
    "source_counts",
    "language_counts",
    "store_counts",
}
PHASES = ("copy", "indexes", "derived", "aggregates")


# -- 1. the seed ------------------------------------------------------------------------------------------------------


def build_seed(path: Path, *, seed_rows: int, fnspid: int, narrative: str) -> None:
    import pandas as pd

    from narrative import api

    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    headlines = NEWS / "headlines_2020"
    left = seed_rows
    for name in ("reuters_headlines.csv", "cnbc_headlines.csv", "guardian_headlines.csv"):
        frame = pd.read_csv(headlines / name, encoding="latin-1").dropna(subset=["Headlines"]).head(left)
        part = work / name
        frame.to_csv(part, index=False)
        api.import_archive(str(part), db_path=str(path), source=name.split("_")[0], enrich=False)
        left -= len(frame)
        if left <= 0:
            break
    if fnspid:
        bodies = pd.read_csv(NEWS / "fnspid_sample" / "aapl_news_contents.csv", encoding="utf-8-sig").head(fnspid)
        rows = pd.DataFrame(
            {
                "title": [str(t).strip().splitlines()[0][:200] for t in bodies["Text"]],
                "published": bodies["Date"].str.replace(" — ", " ", regex=False),
                "url": bodies["Url"],
                "text": bodies["Text"],
            }
        )
        rows.to_csv(work / "fnspid.csv", index=False)
        api.import_archive(str(work / "fnspid.csv"), db_path=str(path), source="fnspid", enrich=False)
    upgrade_seed(path)
    try:
        scoring = api.score(db_path=str(path), narrative_id=narrative)
        print(f"seed: scored by the narrative model: {scoring.line()}")
    except Exception as exc:  # noqa: BLE001 (any failure to load the model: synthetic scores, said so)
        print(f"seed: narrative model unavailable ({str(exc)[:120]}); synthetic scores (seeded, ~8% relevant)")
        _synthetic_scores(path, narrative)


def upgrade_seed(path: Path) -> None:
    """Bring a seed up to this version: migrations, then whatever ``enrich`` finds pending (new extractor version,
    entity relevance, entity sentiment), as for any user's store."""
    from narrative import api

    started = time.perf_counter()
    summary = api.enrich(db_path=str(path), score=False)
    print(f"seed: enriched in {time.perf_counter() - started:.0f}s (real pipeline): {summary.line()}")


def _synthetic_scores(path: Path, narrative: str) -> None:
    from narrative.store import open_db
    from narrative.store.scores import save_scores

    rng = random.Random(12)
    db = open_db(str(path))
    themed = {
        r[0]
        for r in db.execute(
            "SELECT DISTINCT article_id FROM phrase_hits WHERE narrative IN (?, ?)",
            [narrative, narrative.replace("-", "_")],
        )
    }
    with db.atomic():
        for (article_id,) in db.execute("SELECT id FROM articles ORDER BY id").fetchall():
            relevant = article_id in themed or rng.random() < 0.05
            relevance = rng.uniform(0.5, 1.0) if relevant else rng.uniform(0.0, 0.5)
            stance = max(-1.0, min(1.0, rng.gauss(0.1, 0.5)))
            save_scores(
                db,
                article_id,
                narrative,
                sentences=[],
                entities=[],
                article={
                    "relevance": relevance,
                    "stance": stance,
                    "tone": stance,
                    "relevant_sentences": 1,
                    "evidence": [],
                },
                version="bench-synthetic",
                now="2026-01-01T00:00:00+00:00",
            )
    db.close()


# -- 2. the big store -------------------------------------------------------------------------------------------------


class Build:
    """The phases of one big store, each recorded in a JSON file beside it once committed."""

    def __init__(self, path: Path, seed: Path, *, articles: int, years: float) -> None:
        self.path, self.seed, self.articles, self.years = path, seed, articles, years
        self.state_path = path.with_suffix(".build.json")
        self.state = json.loads(self.state_path.read_text()) if self.state_path.exists() else {}

    def done(self, phase: str) -> bool:
        return phase in self.state

    def mark(self, phase: str, value) -> None:
        self.state[phase] = value
        self.state_path.write_text(json.dumps(self.state, indent=1))

    def connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(str(self.path), isolation_level=None)
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -2000000")  # 2 GB of page cache: the index sorts stay in memory
        conn.execute("PRAGMA temp_store = FILE")
        return conn

    def run(self, phases: list[str]) -> None:
        for phase in PHASES:
            if phase in phases and not self.done(phase):
                started = time.perf_counter()
                getattr(self, f"phase_{phase}")()
                print(f"build: {phase} in {time.perf_counter() - started:.0f}s", flush=True)

    def phase_copy(self) -> None:
        from narrative.store import open_db

        fresh = "copy_progress" not in self.state
        if fresh:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            open_db(str(self.path)).close()  # the schema exactly as the writer makes it, every migration applied
        conn = self.connect()
        conn.execute("PRAGMA journal_mode = OFF")  # a failed chunk is redone from the recorded progress
        if fresh:
            kept = conn.execute(
                "SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND sql IS NOT NULL"
            ).fetchall()
            self.mark("set_aside", kept)  # recreated by phase_indexes
            for kind, name, _ in kept:
                conn.execute(f"DROP {kind.upper()} [{name}]")
            self.mark("copy_progress", 0)
        conn.execute("ATTACH DATABASE ? AS seed", [f"file:{self.seed}?mode=ro"])
        plan = copy_plan(conn)
        size = plan["articles"]["offset"]
        copies = math.ceil(self.articles / size)
        print(
            f"build: {self.articles:,} articles = {copies} copies of {size:,} seed articles over {self.years} years; "
            f"tables: {', '.join(plan)}",
            flush=True,
        )
        if self.state["copy_progress"] == 0:
            shared = _shared_columns(conn, "entities")
            conn.execute(f"INSERT INTO main.entities ({shared}) SELECT {shared} FROM seed.entities")
        span = 365.25 * self.years
        chunk = max(1, 250_000 // size)
        started = time.perf_counter()
        for first in range(self.state["copy_progress"], copies, chunk):
            stop = min(first + chunk, copies)
            conn.execute("BEGIN")
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS ks (k INTEGER PRIMARY KEY)")
            conn.execute("DELETE FROM ks")
            conn.executemany("INSERT INTO ks VALUES (?)", [(k,) for k in range(first, stop)])
            for table, spec in plan.items():
                conn.execute(copy_sql(table, spec, size=size, limit=self.articles, span=span))
            conn.execute("COMMIT")
            self.mark("copy_progress", stop)
            done = min(stop * size, self.articles)
            print(f"  {done:,} articles, {done / (time.perf_counter() - started):,.0f} articles/s", flush=True)
        conn.close()
        self.mark("copy", {"copies": copies, "seed_articles": size})

    def phase_indexes(self) -> None:
        conn = self.connect()
        conn.execute("PRAGMA journal_mode = OFF")
        for kind, name, sql in self.state["set_aside"]:
            exists = conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", [name]).fetchone()
            if not exists:
                started = time.perf_counter()
                conn.execute(sql)
                if kind == "index":
                    print(f"  index {name}: {time.perf_counter() - started:.0f}s", flush=True)
        conn.close()
        self.mark("indexes", True)

    def phase_derived(self) -> None:
        """What the triggers would have written during the copy, written in bulk."""
        from narrative.store.stats import rebuild_store_counts

        conn = self.connect()
        conn.execute("PRAGMA journal_mode = OFF")
        started = time.perf_counter()
        fts = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE name LIKE '%\\_fts' ESCAPE '\\'")]
        for table in fts:  # external-content FTS5 tables (sqlite-utils enable_fts): rebuilt from their content
            conn.execute(f"INSERT INTO [{table}] ([{table}]) VALUES ('rebuild')")
        print(f"  full-text index ({', '.join(fts) or 'none'}): {time.perf_counter() - started:.0f}s", flush=True)
        conn.execute("BEGIN")
        conn.execute(
            "INSERT OR IGNORE INTO aggregate_dirty (kind, narrative, day) SELECT DISTINCT 'entities', '', "
            "substr(a.published, 1, 10) FROM articles a"
        )
        conn.execute(
            "INSERT OR IGNORE INTO aggregate_dirty (kind, narrative, day) SELECT DISTINCT 'sentiment', '', "
            "substr(a.published, 1, 10) FROM articles a"
        )
        conn.execute(
            "INSERT OR IGNORE INTO aggregate_dirty (kind, narrative, day) SELECT DISTINCT 'index', "
            "replace(s.narrative, '_', '-'), date(a.published, d.shift) FROM article_scores s "
            "JOIN articles a ON a.id = s.article_id, (SELECT '-1 day' AS shift UNION ALL SELECT '+0 days' "
            "UNION ALL SELECT '+1 day') d"
        )
        rebuild_store_counts(conn)
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode = WAL")  # as open_db leaves every store (no ANALYZE: the writer runs none)
        conn.close()
        self.mark("derived", True)

    def phase_aggregates(self) -> None:
        from narrative.api.aggregates import refresh_aggregates
        from narrative.store import open_db

        db = open_db(str(self.path))
        counts = refresh_aggregates(db)
        db.close()
        print(f"  aggregates: {counts}", flush=True)
        self.mark("aggregates", counts)


def _shared_columns(conn: sqlite3.Connection, table: str) -> str:
    theirs = {r[1] for r in conn.execute(f"PRAGMA seed.table_info([{table}])")}
    return ", ".join(f'"{r[1]}"' for r in conn.execute(f"PRAGMA main.table_info([{table}])") if r[1] in theirs)


def copy_plan(conn: sqlite3.Connection) -> dict[str, dict]:
    """Per copied table: its columns (those the seed and the store share) and how each is offset per copy.

    Copied: ``articles``, ``stories`` and every table with an ``article_id`` column, except what the writer derives.
    """
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' "
            "AND name NOT LIKE '%fts%' ORDER BY rootpage"
        )
    ]
    plan: dict[str, dict] = {}

    def max_id(table: str) -> int:
        return conn.execute(f"SELECT coalesce(max(id), 0) FROM seed.[{table}]").fetchone()[0] or 0

    articles = max_id("articles")
    for table in ["articles", *(t for t in tables if t != "articles")]:
        if table in DERIVED:
            continue
        ours = [r[1] for r in conn.execute(f"PRAGMA main.table_info([{table}])")]
        theirs = {r[1] for r in conn.execute(f"PRAGMA seed.table_info([{table}])")}
        if not theirs or ("article_id" not in ours and table not in ("articles", "stories")):
            continue
        shared = [c for c in ours if c in theirs]
        own_offset = articles if table in ("articles", "stories") else max_id(table) if "id" in shared else 0
        plan[table] = {"columns": shared, "offset": own_offset}
    if "mention_sentiment" in plan:
        plan["mention_sentiment"]["mention_offset"] = plan["mentions"]["offset"]
    return plan


def copy_sql(table: str, spec: dict, *, size: int, limit: int, span: float) -> str:
    """One ``INSERT ... SELECT`` of ``table``'s rows for every copy k in ``temp.ks``."""
    article_key = "t.id" if table == "articles" else "t.article_id"
    if table == "stories":
        article_key = "t.first_article_id"
    new_article = f"(c.k * {size} + {article_key})"
    values = []
    for column in spec["columns"]:
        quoted = f't."{column}"'
        if column == "id":
            value = f"c.k * {spec['offset']} + t.id"
        elif column in ("article_id", "first_article_id", "story_id"):
            value = f"c.k * {size} + {quoted}"
        elif column == "mention_id":
            value = f"c.k * {spec['mention_offset']} + t.mention_id"
        elif column in ("url", "canonical_url", "guid"):
            value = f"{quoted} || '#c' || c.k"
        elif column == "title" and table == "articles":
            value = f"{quoted} || ' (' || c.k || ')'"
        elif column in ("title_hash", "content_hash"):
            value = f"{quoted} || c.k"
        elif column == "published" and table == "articles":
            # Spread over the span by the golden ratio of the new id: every day gets articles, none in bursts.
            value = (
                f"strftime('%Y-%m-%dT%H:%M:%S+00:00', julianday('2021-01-01') + ({new_article} * 0.6180339887498949 "
                f"- CAST({new_article} * 0.6180339887498949 AS INTEGER)) * {span})"
            )
        else:
            value = quoted
        values.append(value)
    columns = ", ".join(f'"{c}"' for c in spec["columns"])
    return (
        f"INSERT INTO main.[{table}] ({columns}) SELECT {', '.join(values)} FROM temp.ks c "
        f"JOIN seed.[{table}] t WHERE {new_article} <= {limit} ORDER BY c.k, {article_key}"
    )


# -- 3. the timings ---------------------------------------------------------------------------------------------------


def cases(db: str, narrative: str) -> list[tuple[str, list[str], Callable[[], object]]]:
    """Each query command (CLI arguments and the API call behind it), on names the store mentions most."""
    from narrative import api
    from narrative.api.query import entity_rows
    from narrative.api.sentiment_days import daily_sentiment

    top = entity_rows(db_path=db, limit=50)
    linked = next(r["entity_id"] for r in top if r["entity_id"])
    unlinked = next(r["entity"] for r in top if not r["entity_id"])
    last = api.store_stats(db_path=db)["last_published"][:10]
    month = (date.fromisoformat(last) - timedelta(days=30)).isoformat()
    return [
        ("--help (start-up only)", ["--help"], lambda: None),
        ("entities", ["entities"], lambda: api.entities(db_path=db)),
        (f"entities --since {month}", ["entities", "--since", month], lambda: api.entities(db_path=db, since=month)),
        (
            f"mentions {linked} --limit 50",
            ["mentions", linked, "--limit", "50"],
            lambda: api.mentions(linked, db_path=db, limit=50),
        ),
        (
            f"mentions '{unlinked}' --limit 50",
            ["mentions", unlinked, "--limit", "50"],
            lambda: api.mentions(unlinked, db_path=db, limit=50),
        ),
        (
            f"figures {linked} --limit 50",
            ["figures", linked, "--limit", "50"],
            lambda: api.figures(linked, db_path=db, limit=50),
        ),
        ("figures --limit 50", ["figures", "--limit", "50"], lambda: api.figures(db_path=db, limit=50)),
        (
            f"index --narrative {narrative}",
            ["index", "--narrative", narrative],
            lambda: api.narrative_index(narrative, db_path=db),
        ),
        ("index (the default narrative)", ["index"], lambda: api.narrative_index(db_path=db)),
        (
            f"index --narrative {narrative} --precision exact",
            ["index", "--narrative", narrative, "--precision", "exact"],
            lambda: api.narrative_index(narrative, db_path=db, precision=["exact"]),
        ),
        (
            f"index --narrative {narrative} --sessions XNYS --from {month}",
            ["index", "--narrative", narrative, "--sessions", "XNYS", "--from", month],
            lambda: api.narrative_index(narrative, db_path=db, sessions="XNYS", since=month),
        ),
        (
            f"sentiment {linked} --daily --since {month}",
            ["sentiment", linked, "--daily", "--since", month],
            lambda: daily_sentiment(linked, db_path=db, since=month),  # what --daily reads (stored days)
        ),
        ("stats", ["stats"], lambda: api.store_stats(db_path=db)),
    ]


def run_cli(argv: list[str]) -> tuple[float, float]:
    """(wall seconds, user+sys CPU seconds) of one ``narrative ARGV`` process, its output read as a pipe would."""
    cli = Path(sys.executable).parent / "narrative"
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen([str(cli), *argv], stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status):
            err.seek(0)
            print(f"narrative {' '.join(argv)}: exit {status}: {err.read().decode()[-300:]}")
    return wall, usage.ru_utime + usage.ru_stime


def byte_compile_narrative() -> None:
    """Write the package's bytecode as pip's install does. With PYTHONDONTWRITEBYTECODE set (these machines set it)
    a module edited since its last compile would be compiled again by every timed process: not what a user runs."""
    import compileall

    import narrative

    compileall.compile_dir(str(Path(narrative.__file__).parent), quiet=1)


def timings(db: str, *, narrative: str, repeat: int, cli_too: bool = True) -> list[tuple[str, float, float, float]]:
    """Per case: (label, CLI wall, CLI CPU, API wall), each the best of ``repeat`` runs."""
    byte_compile_narrative()
    results = []
    for label, argv, call in cases(db, narrative):
        api_best = wall_best = cpu_best = math.inf
        for _ in range(repeat):
            started = time.perf_counter()
            call()
            api_best = min(api_best, time.perf_counter() - started)
            if cli_too:
                wall, cpu = run_cli([*argv, *([] if argv == ["--help"] else ["--db", db])])
                wall_best, cpu_best = min(wall_best, wall), min(cpu_best, cpu)
        results.append((label, wall_best, cpu_best, api_best))
    return results


def upgrade(target: str) -> None:
    """Apply the pending migrations (what the first writing command of a new version does) and refresh the
    aggregates (what its ``enrich`` then does: the tables a migration adds are filled here), each timed."""
    from narrative.api.aggregates import refresh_aggregates
    from narrative.store import open_db

    started, cpu = time.perf_counter(), time.process_time()
    db = open_db(target)
    print(f"upgrade: migrations in {time.perf_counter() - started:.1f}s ({time.process_time() - cpu:.1f}s CPU)")
    started, cpu = time.perf_counter(), time.process_time()
    counts = refresh_aggregates(db)
    db.close()
    took, used = time.perf_counter() - started, time.process_time() - cpu
    print(f"upgrade: aggregates refreshed in {took:.1f}s ({used:.1f}s CPU): {counts}", flush=True)


def sizes(path: Path) -> str:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    tables = ("articles", "mentions", "sentences", "figures", "article_scores", "mention_sentiment")
    tables += ("article_entities", "entity_days", "entity_totals", "narrative_days")
    counts = {t: conn.execute(f"SELECT count(*) FROM [{t}]").fetchone()[0] for t in tables}
    conn.close()
    return ", ".join(f"{t} {n:,}" for t, n in counts.items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2_000_000, help="articles in the big store")
    parser.add_argument("--seed", type=int, default=3000, help="headlines in the seed store")
    parser.add_argument("--fnspid", type=int, default=100, help="FNSPID article bodies in the seed store")
    parser.add_argument("--years", type=float, default=5.0, help="publication times spread over this many years")
    parser.add_argument("--narrative", default="china-ai")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    parser.add_argument("--out", default="/tmp/narrative_scale", help="where the seed and the big store go")
    parser.add_argument("--phase", choices=[*PHASES, "all", "none"], default="all", help="build only this phase")
    parser.add_argument("--reuse", action="store_true", help="time the store already built at this size")
    parser.add_argument("--db", help="time this store (a path, or a URL another backend opens) instead of building")
    parser.add_argument("--api-only", action="store_true", help="time the API functions only (no CLI subprocess)")
    parser.add_argument("--backfill", type=int, metavar="N", help="measure the Ray backfill on N articles instead")
    parser.add_argument(
        "--upgrade",
        action="store_true",
        help="before timing, migrate the store (as a writing command does) and refresh its aggregates, timed",
    )
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite", help="time the store there")
    args = parser.parse_args(argv)
    if args.backfill:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import bench_ray

        return bench_ray.main(["--articles", str(args.backfill)])
    if args.db:
        target = args.db
    else:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        seed = out / "seed.db"
        if not seed.exists():
            build_seed(seed, seed_rows=args.seed, fnspid=args.fnspid, narrative=args.narrative)
        store = out / f"store_{args.articles}.db"
        build = Build(store, seed, articles=args.articles, years=args.years)
        if not (args.reuse and all(build.done(p) for p in PHASES)):
            started = time.perf_counter()
            build.run(list(PHASES) if args.phase == "all" else [] if args.phase == "none" else [args.phase])
            took = time.perf_counter() - started
            print(f"build: {took:.0f}s this run, {store.stat().st_size / 2**30:.2f} GiB")
        if not all(build.done(p) for p in PHASES):
            print(f"build: phases left: {', '.join(p for p in PHASES if not build.done(p))}")
            return 0
        print("rows: " + sizes(store))
        target = str(store)
        if args.backend == "postgres":  # the same rows copied into PostgreSQL (scripts/scale_postgres.py)
            sys.path.insert(0, str(Path(__file__).resolve().parent))
            from scale_postgres import prepare

            target = prepare(store) or ""
            if not target:
                return 0
    if args.upgrade:
        upgrade(target)
    load = os.getloadavg()[0]
    results = timings(target, narrative=args.narrative, repeat=args.repeat, cli_too=not args.api_only)
    print(
        f"\nbest of {args.repeat}, wall clock; {os.cpu_count()} CPUs, 1-min load average {load:.1f} -> "
        f"{os.getloadavg()[0]:.1f}"
    )
    name = Path(target).name
    print(f"| command (narrative ... --db {name}) | CLI wall, s | CLI CPU (user+sys), s | API, s (in-process) |")
    print("|---|---|---|---|")
    for label, wall, cpu, api_s in results:
        print(f"| {label} | {wall:.3f} | {cpu:.3f} | {api_s:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
