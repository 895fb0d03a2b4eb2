"""Benchmark: ingest N synthetic feeds served on loopback, against a naive baseline.

Serves the feeds from a separate ``python -m http.server`` process (real HTTP, with
Last-Modified / If-Modified-Since), then measures in one run:

* first run: items/s for fetch + parse + dedup + store, our ingest vs a naive loop
  (sequential fetch, feedparser, one INSERT and commit per item, no conditional GET);
* a no-change re-run: ours (304s) vs the naive loop (refetches and reparses everything);
* peak memory (max RSS) of each ingest process.

Usage: python scripts/bench_ingest.py [--feeds 50] [--items 30]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NAIVE = r"""
import json, sqlite3, sys, time, httpx, feedparser
feeds, db = json.loads(sys.argv[1]), sys.argv[2]
conn = sqlite3.connect(db)
conn.execute("CREATE TABLE IF NOT EXISTS articles (id INTEGER PRIMARY KEY, guid TEXT, url TEXT, title TEXT, published TEXT, text TEXT)")
start, new = time.monotonic(), 0
with httpx.Client(timeout=20) as client:
    for url in feeds:
        parsed = feedparser.parse(client.get(url).content)
        for e in parsed.entries:
            if conn.execute("SELECT 1 FROM articles WHERE guid = ?", [e.get("id")]).fetchone():
                continue
            conn.execute("INSERT INTO articles (guid, url, title, published, text) VALUES (?, ?, ?, ?, ?)",
                         [e.get("id"), e.get("link"), e.get("title"), e.get("published"), e.get("summary")])
            conn.commit()
            new += 1
print(json.dumps({"seconds": round(time.monotonic() - start, 3), "new": new}))
"""


def make_feed(n: int, items: int) -> str:
    parts = ['<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>',
             f"<title>Synthetic feed {n}</title><link>http://bench.example/{n}</link><language>en</language>"]
    for i in range(items):
        parts.append(
            f"<item><title>Feed {n} story {i}: Alibaba, Tencent and Baidu lead a rally in Hong Kong tech</title>"
            f"<link>http://bench.example/{n}/{i}?utm_source=rss</link><guid>bench-{n}-{i}</guid>"
            f"<pubDate>Mon, {1 + i % 28:02d} Sep 2025 {i % 24:02d}:{n % 60:02d}:00 GMT</pubDate>"
            f"<description>&lt;p&gt;Story {i} of feed {n}: shares of &lt;b&gt;Alibaba&lt;/b&gt; rose {i % 17}% "
            f"as investors bet that China is easing its AI computing power bottleneck. Analysts at a "
            f"large bank said foreign funds were rebuilding positions.&lt;/p&gt;</description></item>")
    parts.append("</channel></rss>")
    return "".join(parts)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_child(args: list[str]) -> tuple[float, str, int]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.monotonic()
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    seconds = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, done.stdout.strip(), max(peak, before)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=50)
    parser.add_argument("--items", type=int, default=30)
    args = parser.parse_args()
    total = args.feeds * args.items
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "www").mkdir()
        for n in range(args.feeds):
            (root / "www" / f"feed{n}.xml").write_text(make_feed(n, args.items), encoding="utf-8")
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                                   "--directory", str(root / "www")],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(0.5)
            urls = [f"http://127.0.0.1:{port}/feed{n}.xml" for n in range(args.feeds)]
            feeds_yaml = root / "feeds.yaml"
            feeds_yaml.write_text("feeds:\n" + "".join(f"  - name: f{n}\n    url: {u}\n" for n, u in enumerate(urls)))
            ours = [sys.executable, "-m", "narrative", "ingest", "--feeds", str(feeds_yaml),
                    "--db", str(root / "ours.db"), "--silent", "--no-enrich"]
            naive = [sys.executable, "-c", NAIVE, json.dumps(urls), str(root / "naive.db")]

            # Our ingest process is started first, so the first RSS reading is its own peak.
            ours_first, ours_out, ours_rss = run_child(ours)
            naive_first, naive_out, _ = run_child(naive)
            ours_again, ours_again_out, _ = run_child(ours)
            naive_again_wall, naive_again, _ = run_child(naive)
        finally:
            server.terminate()
            server.wait()
    # In-process seconds: from our summary line, and the naive loop's own JSON.
    ours_in, ours_again_in = _seconds(ours_out), _seconds(ours_again_out)
    naive_in, naive_again_in = json.loads(naive_out)["seconds"], json.loads(naive_again)["seconds"]
    print(f"feeds={args.feeds} items={total} (cores: {os.cpu_count()})")
    print(f"  ours first run: {ours_out}")
    print(f"  first run   ours {ours_in:5.2f}s = {total / ours_in:6.0f} items/s | naive {naive_in:5.2f}s = "
          f"{total / naive_in:6.0f} items/s | speed-up x{naive_in / ours_in:.2f}")
    print(f"  no-change   ours {ours_again_in:5.2f}s ({ours_again_out.split(';')[0]}) | naive {naive_again_in:5.2f}s "
          f"| speed-up x{naive_again_in / ours_again_in:.2f}")
    print(f"  wall, with process start-up: first ours {ours_first:.2f}s naive {naive_first:.2f}s; "
          f"no-change ours {ours_again:.2f}s naive {naive_again_wall:.2f}s")
    print(f"  peak memory of our ingest process: {ours_rss / 1024:.0f} MiB (max RSS)")


def _seconds(summary_line: str) -> float:
    return float(summary_line.rsplit(";", 1)[1].strip().rstrip("s"))


if __name__ == "__main__":
    main()
