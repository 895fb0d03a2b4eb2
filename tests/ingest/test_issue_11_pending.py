"""Issue 11 item 4: work cut short is finished later. An ingest (and the daily script) enriches and scores every
article an earlier run stored but did not finish, not only the articles new in this run."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest
from conftest import make_items, rss, static, write_feeds
from conftest import query as rows

from narrative import api

ROOT = Path(__file__).resolve().parents[2]
UNENRICHED = "SELECT count(*) FROM articles a LEFT JOIN enrichments e ON e.article_id = a.id WHERE e.article_id IS NULL"
UNSCORED = "SELECT count(*) FROM articles a WHERE NOT EXISTS (SELECT 1 FROM article_scores s WHERE s.article_id = a.id)"


def interrupted_store(server, tmp_path, fast_settings):
    """A store as a kill -9 between storing and enriching leaves it: articles committed, none enriched."""
    server.routes["/rss"] = static(rss(make_items("pending", 4)))
    settings = fast_settings(
        feeds=str(write_feeds(tmp_path / "feeds.yaml", [{"name": "rss", "url": server.url("/rss")}]))
    )
    assert api.ingest(settings=settings, enrich=False).new == 4
    assert rows(settings.db, UNENRICHED) == [(4,)]
    return settings


def test_issue_11_next_ingest_enriches_and_scores_what_an_interrupted_run_left(server, tmp_path, fast_settings):
    settings = interrupted_store(server, tmp_path, fast_settings)

    again = api.ingest(settings=settings)  # the feed is unchanged: nothing new in this run

    assert again.new == 0 and again.enrichment.articles == 4 and again.enrichment.scoring.articles == 4
    assert rows(settings.db, UNENRICHED) == [(0,)] and rows(settings.db, UNSCORED) == [(0,)]
    # Killed between enriching and scoring: the scores of two articles never landed.
    with sqlite3.connect(settings.db) as conn:
        conn.execute("DELETE FROM article_scores WHERE article_id IN (SELECT id FROM articles ORDER BY id LIMIT 2)")
    conn.close()
    third = api.ingest(settings=settings)
    assert third.enrichment.articles == 0 and third.enrichment.scoring.articles == 2
    assert rows(settings.db, UNSCORED) == [(0,)]
    assert api.ingest(settings=settings).enrichment is None  # nothing pending: no model is loaded


@pytest.mark.slow
def test_issue_11_daily_script_finishes_pending_enrichment(server, tmp_path, fast_settings):
    settings = interrupted_store(server, tmp_path, fast_settings)
    env = {
        **os.environ,
        "NARRATIVE_DB": settings.db,
        "NARRATIVE_FEEDS": settings.feeds,
        "NARRATIVE_HOME": str(tmp_path / "home"),
    }

    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "daily_ingest.sh")], env=env, capture_output=True, text=True, timeout=600
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "enriched 4 articles" in done.stdout
    assert rows(settings.db, UNENRICHED) == [(0,)] and rows(settings.db, UNSCORED) == [(0,)]
