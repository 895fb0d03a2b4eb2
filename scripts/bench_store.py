#!/usr/bin/env python
"""Bench (not a test): the query commands on a large store built from real rows (issue 12 item 3).

1. A seed store: the 2020 headlines (CNBC, Reuters, then the Guardian's up to ``--seed``) and the first
   ``--fnspid`` FNSPID article bodies from ``../shared/data/news/`` imported and enriched by the real pipeline
   (spaCy extraction); scored by the real narrative model when it loads, else by seeded synthetic scores (said so).
   Cached in ``OUT/seed.db``.
2. The big store: the seed's articles with their sources, sentences, mentions, figures, phrase hits and scores
   copied by bulk SQL until ``--articles`` rows, each copy made distinct (title, URL, hashes, story) and its
   publication time spread over ``--years`` years; the writer triggers run as they do for any write, then the
   aggregates are refreshed as ``narrative enrich`` does.
3. Each query command timed as a user runs it: the CLI in a subprocess (start-up included) and the API function
   in-process, best of ``--repeat``.

    .venv/bin/python scripts/bench_store.py --articles 2000000
"""

from __future__ import annotations

import argparse
import math
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
NEWS = ROOT.parent / "shared" / "data" / "news"
COPIED = {  # table -> columns copied (article_id first; ids of rows are assigned anew)
    "article_sources": "article_id, source, source_kind, guid, url, title, published, matched_by, seen_at",
    "enrichments": "article_id, extractor_version, language, sentences, mentions, figures, phrase_hits, enriched_at",
    "sentences": 'article_id, idx, start, "end", text, extractor_version',
    "mentions": 'article_id, sentence_idx, entity_id, name, label, surface, start, "end", method, extractor_version',
    "figures": "article_id, sentence_idx, subject_entity_id, subject, subject_method, value, value_high, unit, kind, "
    'direction, period, period_text, qualifier, negated, noun, surface, start, "end", extractor_version',
    "phrase_hits": 'article_id, sentence_idx, narrative, theme, surface, pattern, start, "end", extractor_version',
    "article_scores": "article_id, narrative, relevance, stance, tone, relevant_sentences, evidence, model_version, "
    "scored_at",
}


def build_seed(path: Path, *, seed_rows: int, fnspid: int, narrative: str) -> None:
    from narrative import api

    work = Path(tempfile.mkdtemp(prefix="bench-store-"))
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
    started = time.perf_counter()
    summary = api.enrich(db_path=str(path), score=False)
    print(f"seed: enriched {summary.articles} articles in {time.perf_counter() - started:.0f}s (real extraction)")
    try:
        scoring = api.score(db_path=str(path), narrative_id=narrative)
        print(f"seed: scored by the narrative model: {scoring.line()}")
    except Exception as exc:  # noqa: BLE001 (any failure to load the model: synthetic scores, said so)
        print(f"seed: narrative model unavailable ({str(exc)[:120]}); synthetic scores (seeded, ~8% relevant)")
        _synthetic_scores(path, narrative)


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


def build_store(path: Path, seed: Path, *, articles: int, years: float, fts: bool) -> None:
    from narrative.api.aggregates import refresh_aggregates
    from narrative.store import open_db
    from narrative.store.stats import rebuild_store_counts

    if path.exists():
        path.unlink()
    open_db(str(path)).close()
    conn = sqlite3.connect(str(path))
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -1000000")
    # A bulk load: indexes and triggers are set aside and rebuilt after (sorting once beats millions of random
    # inserts), and every day is then marked dirty as migration m009 does for an existing store, so the refresh below
    # computes the aggregates the triggers would have asked for.
    conn.execute("PRAGMA journal_mode = OFF")
    tables = ", ".join(f"'{t}'" for t in ("articles", *COPIED))
    rebuilt = conn.execute(
        f"SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND "
        f"sql IS NOT NULL AND tbl_name IN ({tables})"
    ).fetchall()
    for kind, name, _ in rebuilt:
        conn.execute(f"DROP {kind.upper()} [{name}]")
    conn.execute("ATTACH DATABASE ? AS seed", [str(seed)])
    size = conn.execute("SELECT max(id) FROM seed.articles").fetchone()[0]
    copies = math.ceil(articles / size)
    print(f"build: {articles:,} articles = {copies} copies of {size:,} seed articles over {years} years")
    conn.execute("INSERT INTO entities SELECT * FROM seed.entities")
    span = 365.25 * years
    started = time.perf_counter()
    # Copies in chunks, one transaction each, ids in order: new id = copy * size + seed id.
    chunk = max(1, 200_000 // size)
    for first in range(0, copies, chunk):
        ks = (
            f"SELECT value AS k FROM generate_series({first}, {min(first + chunk, copies) - 1})"
            if _has_series(conn)
            else _ks(first, min(first + chunk, copies))
        )
        with conn:
            conn.execute(
                f"INSERT INTO articles (id, url, canonical_url, title, published, published_source, summary, text, "
                f"text_source, language, author, title_hash, content_hash, first_seen_at, updated_at, "
                f"ingest_version, published_precision, source_tz, story_id, novelty, story_version) "
                f"SELECT c.k * {size} + a.id, a.url || '#c' || c.k, a.canonical_url || '#c' || c.k, "
                f"a.title || ' (' || c.k || ')', strftime('%Y-%m-%dT%H:%M:%S+00:00', julianday('2018-01-01') + "
                f"((c.k * {size} + a.id) * 0.6180339887498949 - CAST((c.k * {size} + a.id) * 0.6180339887498949 "
                f"AS INTEGER)) * {span}), a.published_source, a.summary, "
                f"a.text, a.text_source, a.language, a.author, a.title_hash || c.k, a.content_hash || c.k, "
                f"a.first_seen_at, a.updated_at, a.ingest_version, a.published_precision, a.source_tz, "
                f"c.k * {size} + coalesce(a.story_id, a.id), a.novelty, a.story_version "
                f"FROM ({ks}) c JOIN seed.articles a WHERE c.k * {size} + a.id <= {articles} ORDER BY 1"
            )
            for table, columns in COPIED.items():
                rest = ", ".join(
                    f"t.{c} || '#c' || c.k" if c in ("guid", "url") else f"t.{c}" for c in columns.split(", ")[1:]
                )
                conn.execute(
                    f"INSERT INTO {table} ({columns}) SELECT c.k * {size} + t.article_id, {rest} "
                    f"FROM ({ks}) c "
                    f"JOIN seed.{table} t WHERE c.k * {size} + t.article_id <= {articles} ORDER BY 1"
                )
        done = min((first + chunk) * size, articles)
        rate = done / (time.perf_counter() - started)
        print(f"  {done:,} articles, {rate:,.0f} articles/s", flush=True)
    print(f"build: copied in {time.perf_counter() - started:.0f}s")
    started = time.perf_counter()
    for kind, name, sql in rebuilt:
        if kind == "trigger" and name.startswith("articles_") and not fts:
            continue  # full-text search is no query command's: its index would only slow the build
        conn.execute(sql)
    with conn:
        conn.execute(
            "INSERT OR IGNORE INTO aggregate_dirty (kind, narrative, day) SELECT DISTINCT 'entities', '', "
            "substr(a.published, 1, 10) FROM articles a"
        )
        conn.execute(
            "INSERT OR IGNORE INTO aggregate_dirty (kind, narrative, day) SELECT DISTINCT 'index', "
            "replace(s.narrative, '_', '-'), date(a.published, d.shift) FROM article_scores s "
            "JOIN articles a ON a.id = s.article_id, (SELECT '-1 day' AS shift UNION ALL SELECT '+0 days' "
            "UNION ALL SELECT '+1 day') d"
        )
        rebuild_store_counts(conn)  # what the store_counts triggers would have counted
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    print(f"build: indexes and triggers rebuilt in {time.perf_counter() - started:.0f}s")
    started = time.perf_counter()
    db = open_db(str(path))
    counts = refresh_aggregates(db)
    db.close()
    print(f"build: aggregates refreshed ({counts}) in {time.perf_counter() - started:.0f}s")


def _has_series(conn: sqlite3.Connection) -> bool:
    try:
        conn.execute("SELECT value FROM generate_series(0, 0)").fetchall()
        return True
    except sqlite3.OperationalError:
        return False


def _ks(first: int, stop: int) -> str:
    return " UNION ALL ".join(f"SELECT {k} AS k" for k in range(first, stop))


def timings(path: Path, *, narrative: str, repeat: int, cli_too: bool = True) -> list[tuple[str, float, float]]:
    from narrative import api

    conn = sqlite3.connect(str(path))
    linked = conn.execute(
        "SELECT entity_id FROM entity_totals WHERE linked = 1 ORDER BY mentions DESC LIMIT 1"
    ).fetchone()[0]
    unlinked = conn.execute(
        "SELECT name FROM entity_totals WHERE linked = 0 ORDER BY mentions DESC LIMIT 1"
    ).fetchone()[0]
    subject = conn.execute(
        "SELECT subject_entity_id FROM figures WHERE subject_entity_id IS NOT NULL "
        "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()
    last = conn.execute("SELECT max(published) FROM articles").fetchone()[0][:10]
    conn.close()
    month = (pd.Timestamp(last) - pd.Timedelta(days=30)).date().isoformat()
    db = str(path)
    cases = [
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
            f"index --narrative {narrative}",
            ["index", "--narrative", narrative],
            lambda: api.narrative_index(narrative, db_path=db),
        ),
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
        ("stats", ["stats"], lambda: api.store_stats(db_path=db)),
    ]
    if subject:
        cases.insert(
            4,
            (
                f"figures {subject[0]} --limit 50",
                ["figures", subject[0], "--limit", "50"],
                lambda: api.figures(subject[0], db_path=db, limit=50),
            ),
        )
    cli = Path(sys.executable).parent / "narrative"
    results = []
    for label, argv, call in cases:
        api_best = cli_best = math.inf
        for _ in range(repeat):
            started = time.perf_counter()
            call()
            api_best = min(api_best, time.perf_counter() - started)
            if not cli_too:
                continue
            started = time.perf_counter()
            db_option = [] if argv == ["--help"] else ["--db", db]
            done = subprocess.run([str(cli), *argv, *db_option], capture_output=True, text=True)
            cli_best = min(cli_best, time.perf_counter() - started)
            if done.returncode:
                print(f"{label}: exit {done.returncode}: {done.stderr.strip()[-300:]}")
        results.append((label, cli_best, api_best))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000, help="articles in the big store")
    parser.add_argument("--seed", type=int, default=3000, help="headlines in the seed store")
    parser.add_argument("--fnspid", type=int, default=100, help="FNSPID article bodies in the seed store")
    parser.add_argument("--years", type=float, default=3.0, help="publication times spread over this many years")
    parser.add_argument("--narrative", default="china-ai")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    parser.add_argument("--out", default=str(ROOT / "out" / "bench_store"))
    parser.add_argument("--fts", action="store_true", help="keep the full-text index triggers (slower build)")
    parser.add_argument("--reuse", action="store_true", help="time the store already built at this size")
    parser.add_argument("--api-only", action="store_true", help="time the API functions only (no CLI subprocess)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    seed = out / "seed.db"
    if not seed.exists():
        build_seed(seed, seed_rows=args.seed, fnspid=args.fnspid, narrative=args.narrative)
    store = out / f"store_{args.articles}.db"
    if not (args.reuse and store.exists()):
        started = time.perf_counter()
        build_store(store, seed, articles=args.articles, years=args.years, fts=args.fts)
        took = time.perf_counter() - started
        print(
            f"build: {args.articles:,} articles in {took:.0f}s ({args.articles / took:,.0f} articles/s), "
            f"{store.stat().st_size / 2**30:.2f} GiB"
        )
    conn = sqlite3.connect(str(store))
    sizes = {
        t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in (
            "articles",
            "mentions",
            "sentences",
            "figures",
            "article_scores",
            "entity_days",
            "entity_totals",
            "narrative_days",
        )
    }
    conn.close()
    print("rows: " + ", ".join(f"{t} {n:,}" for t, n in sizes.items()))
    print(f"\n| command (narrative ... --db {store.name}) | CLI, s (subprocess) | API, s (in-process) |")
    print("|---|---|---|")
    for label, cli_s, api_s in timings(store, narrative=args.narrative, repeat=args.repeat, cli_too=not args.api_only):
        print(f"| {label} | {cli_s:.3f} | {api_s:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
