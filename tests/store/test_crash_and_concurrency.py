"""Real subprocesses: kill -9 mid-run, then re-run; two ingests at once on one database."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from conftest import make_items, query, rss, static, write_feeds

FEEDS, ITEMS = 24, 20
pytestmark = pytest.mark.slow


def start_ingest(feeds_path, db_path, *extra):
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "narrative",
            "ingest",
            "--feeds",
            str(feeds_path),
            "--db",
            str(db_path),
            "--silent",
            "--no-enrich",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def serve_feeds(server, tmp_path, *, delay: float):
    feeds = []
    for n in range(FEEDS):
        path = f"/f{n}"
        server.routes[path] = static(rss(make_items(f"f{n}", ITEMS, day=1 + n % 28)), etag=f'"e{n}"', delay=delay)
        feeds.append({"name": f"f{n}", "url": server.url(path)})
    return write_feeds(tmp_path / "feeds.yaml", feeds)


def check_consistent(db_path) -> int:
    """Integrity holds, every logged successful feed has all its items, nothing is doubled."""
    assert query(db_path, "PRAGMA integrity_check") == [("ok",)]
    assert query(db_path, "PRAGMA foreign_key_check") == []
    per_feed = dict(query(db_path, "SELECT source, count(*) FROM article_sources GROUP BY source"))
    done = {row[0] for row in query(db_path, "SELECT feed FROM fetches WHERE status = 'ok'")}
    assert set(per_feed) == done, "articles without their fetch log, or the reverse"
    assert all(count == ITEMS for count in per_feed.values())
    articles = query(db_path, "SELECT count(*) FROM articles")[0][0]
    assert articles == len(done) * ITEMS
    assert query(db_path, "SELECT count(*) FROM articles_fts")[0][0] == articles
    assert query(
        db_path, "SELECT count(*) FROM (SELECT guid FROM article_sources GROUP BY source, guid HAVING count(*) > 1)"
    ) == [(0,)]
    return articles


def test_kill_9_mid_run_leaves_a_consistent_store_and_rerun_completes(server, tmp_path):
    feeds_path = serve_feeds(server, tmp_path, delay=0.05)
    db_path = tmp_path / "crash.db"
    killed_after = []
    for wanted in (3, 9, 15):
        process = start_ingest(feeds_path, db_path, "--concurrency", "2")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            if db_path.exists():
                try:
                    done = query(db_path, "SELECT count(*) FROM fetches WHERE status = 'ok'")[0][0]
                except sqlite3.OperationalError:  # schema not created yet
                    done = 0
                if done >= wanted:
                    break
            time.sleep(0.01)
        assert process.poll() is None, "the run finished before it could be killed"
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        killed_after.append(check_consistent(db_path))
    assert killed_after[0] < FEEDS * ITEMS

    final = start_ingest(feeds_path, db_path)
    out, err = final.communicate(timeout=60)
    assert final.returncode == 0, err
    assert check_consistent(db_path) == FEEDS * ITEMS
    assert "0 failed" in out


def test_two_concurrent_ingests_neither_corrupt_nor_duplicate(server, tmp_path):
    feeds_path = serve_feeds(server, tmp_path, delay=0.02)
    db_path = tmp_path / "both.db"
    first, second = start_ingest(feeds_path, db_path), start_ingest(feeds_path, db_path)
    results = [p.communicate(timeout=90) for p in (first, second)]
    assert first.returncode == 0 and second.returncode == 0, results
    assert check_consistent(db_path) == FEEDS * ITEMS
    news = sorted(int(out.split("articles: ")[1].split(" new")[0]) for out, _ in results)
    assert news == [0, FEEDS * ITEMS]


def test_second_writer_gives_up_after_lock_timeout_with_a_clear_message(server, tmp_path):
    import filelock

    feeds_path = serve_feeds(server, tmp_path, delay=0)
    db_path = tmp_path / "locked.db"
    with filelock.FileLock(f"{db_path}.lock"):
        process = start_ingest(feeds_path, db_path, "--lock-timeout", "0.5")
        _out, err = process.communicate(timeout=30)
    assert process.returncode == 1
    assert err.strip().splitlines() == [
        f"Error: {db_path}: another narrative process is writing to this database and did not finish within "
        "0.5s. Wait for it to end, or raise --lock-timeout."
    ]
