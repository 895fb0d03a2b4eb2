"""Point-in-time timestamps (issue 8): every article keeps how precise its time is and, where known, its zone."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from conftest import make_items, rss, static, write_feeds

from narrative import api
from narrative.cli import cli
from narrative.ingest.archive import parse_archive_date
from narrative.ingest.normalize import precision_of
from narrative.store import open_db
from narrative.store.schema import migrations


def stored(
    db_path, sql="SELECT title, published, published_source, published_precision, source_tz FROM articles ORDER BY id"
):
    with sqlite3.connect(db_path) as conn:
        return conn.execute(sql).fetchall()


def test_precision_of_every_published_source():
    assert [precision_of(s) for s in ("published", "updated", "archive", "date_only", "relative", "fetched")] == [
        "exact",
        "exact",
        "exact",
        "date_only",
        "relative",
        "fetched",
    ]


def test_archive_dates_in_the_source_zone():
    shanghai = ZoneInfo("Asia/Shanghai")
    moment, how = parse_archive_date("2020-03-10", zone=shanghai)
    assert how == "date_only" and moment.astimezone(UTC).isoformat() == "2020-03-09T16:00:00+00:00"
    moment, how = parse_archive_date("2020-03-10 14:00", zone=shanghai)  # a naive time: that zone's wall clock
    assert how == "archive" and moment.astimezone(UTC).isoformat() == "2020-03-10T06:00:00+00:00"
    moment, _ = parse_archive_date("Tue, 10 Mar 2020 14:00 ET", zone=shanghai)  # an explicit zone wins
    assert moment.astimezone(UTC).isoformat() == "2020-03-10T18:00:00+00:00"
    moment, how = parse_archive_date("2020-03-10")  # no zone: UTC, as before
    assert how == "date_only" and moment.isoformat() == "2020-03-10T00:00:00+00:00"
    anchor = datetime(2020, 3, 19, 12, tzinfo=UTC)
    assert parse_archive_date("9 DAYS AGO", as_of=anchor)[1] == "relative"


def test_import_stores_precision_and_zone(tmp_path):
    archive = tmp_path / "wire.csv"
    archive.write_text(
        "title,published\n"
        "Alibaba cloud unit wins a state AI contract,2020-03-10\n"
        "Tencent shares rally in Hong Kong on AI hopes,2020-03-10 09:30\n"
        "Baidu unveils a new chip for its AI cloud,9 DAYS AGO\n",
        encoding="utf-8",
    )
    db = tmp_path / "a.db"
    summary = api.import_archive(
        str(archive), db_path=str(db), as_of="2020-03-19", timezone="America/New_York", enrich=False
    )
    assert summary.new == 3 and not summary.problems
    rows = stored(db)
    assert [r[3] for r in rows] == ["date_only", "exact", "relative"]
    assert {r[4] for r in rows} == {"America/New_York"}
    assert rows[0][1] == "2020-03-10T04:00:00+00:00"  # midnight in New York (EDT since 8 March)
    assert rows[1][1] == "2020-03-10T13:30:00+00:00"
    assert stored(db, "SELECT DISTINCT ingest_version FROM articles") == [("ingest-2",)]


def test_import_without_zone_and_bad_zone(tmp_path):
    archive = tmp_path / "wire.csv"
    archive.write_text("title,published\nAlibaba cloud unit wins a state AI contract,2020-03-10\n", encoding="utf-8")
    db = tmp_path / "a.db"
    api.import_archive(str(archive), db_path=str(db), enrich=False)
    assert stored(db)[0][1:] == ("2020-03-10T00:00:00+00:00", "date_only", "date_only", None)
    result = CliRunner().invoke(cli, ["import", str(archive), "--db", str(db), "--timezone", "Mars/Olympus"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "Error: --timezone: 'Mars/Olympus' is not an IANA time zone such as 'America/New_York', 'Asia/Hong_Kong' "
        "or 'UTC'"
    ]


def test_feeds_are_exact_unless_fetched_and_carry_their_timezone(server, tmp_path):
    items = make_items("wire", 2)
    del items[1]["pubDate"]  # no date in the feed: the fetch time stands in
    server.routes["/wire"] = static(rss(items))
    feeds = write_feeds(
        tmp_path / "feeds.yaml", [{"name": "wire", "url": server.url("/wire"), "timezone": "Asia/Hong_Kong"}]
    )
    db = tmp_path / "f.db"
    summary = api.ingest(feeds_path=str(feeds), db_path=str(db), enrich=False)
    assert summary.new == 2
    rows = stored(db)
    assert [(r[2], r[3], r[4]) for r in rows] == [
        ("published", "exact", "Asia/Hong_Kong"),
        ("fetched", "fetched", "Asia/Hong_Kong"),
    ]


def test_feeds_yaml_unknown_timezone_is_one_line_exit_2(tmp_path):
    feeds = write_feeds(
        tmp_path / "feeds.yaml", [{"name": "wire", "url": "http://example.test/rss", "timezone": "Asia/Hongkong_Typo"}]
    )
    result = subprocess.run(
        [sys.executable, "-m", "narrative", "ingest", "--feeds", str(feeds), "--db", str(tmp_path / "x.db")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: {feeds}: [feeds[0] line 2 name='wire']")
    assert "'Asia/Hongkong_Typo' is not an IANA time zone" in lines[0]


def test_m005_backfills_precision_from_published_source(tmp_path):
    db = open_db(tmp_path / "old.db", migrate=False)
    migrations.apply(db, stop_before="m005_point_in_time")  # a store written before issue 8
    for source in ("published", "updated", "fetched", "archive", "date_only", "relative"):
        db.execute(
            "INSERT INTO articles (title, published, published_source, title_hash, content_hash, "
            "first_seen_at, updated_at, ingest_version) VALUES (?, '2020-03-10T00:00:00+00:00', ?, '', '', "
            "'', '', 'ingest-1')",
            [source, source],
        )
    db.conn.commit()
    db.close()
    open_db(tmp_path / "old.db").close()  # applies the pending migrations, m005 included
    assert dict(stored(tmp_path / "old.db", "SELECT title, published_precision FROM articles")) == {
        "published": "exact",
        "updated": "exact",
        "fetched": "fetched",
        "archive": "exact",
        "date_only": "date_only",
        "relative": "relative",
    }
    assert stored(tmp_path / "old.db", "SELECT DISTINCT source_tz FROM articles") == [(None,)]


@pytest.mark.parametrize("zone", ["UTC", "Europe/London"])
def test_feeds_yaml_accepts_iana_zones(tmp_path, zone):
    from narrative.config import load_feeds

    feeds = write_feeds(tmp_path / "feeds.yaml", [{"name": "wire", "url": "http://example.test/rss", "timezone": zone}])
    assert load_feeds(feeds)[0].timezone == zone


def test_an_exact_copy_sharpens_a_date_only_article(tmp_path):
    db = tmp_path / "a.db"
    wire = tmp_path / "wire.csv"
    wire.write_text(
        "title,published,source\n"
        "Alibaba cloud unit wins a state AI contract worth billions,2020-03-10,wire\n"
        "Tencent shares rally in Hong Kong on fresh AI hopes,2020-03-10,wire\n",
        encoding="utf-8",
    )
    api.import_archive(str(wire), db_path=str(db), enrich=False)
    site = tmp_path / "site.csv"
    site.write_text(
        "title,published,source\n"
        "Alibaba cloud unit wins a state AI contract worth billions,2020-03-10T15:42:00Z,site\n"
        # 2020-03-12 03:00 UTC is the 12th everywhere on earth: not this story's date, keep it imprecise
        "Tencent shares rally in Hong Kong on fresh AI hopes,2020-03-12T03:00:00Z,site\n",
        encoding="utf-8",
    )
    summary = api.import_archive(str(site), db_path=str(db), enrich=False)
    assert summary.duplicates == 2
    assert [r[1:4] for r in stored(db)] == [
        ("2020-03-10T15:42:00+00:00", "archive", "exact"),
        ("2020-03-10T00:00:00+00:00", "date_only", "date_only"),
    ]


def test_a_feed_date_without_a_time_is_date_only():
    from narrative.ingest.parse import parse_feed

    body = rss(
        [
            {"title": "Alibaba cloud unit wins a state AI contract", "pubDate": "2020-03-10"},
            {"title": "Tencent shares rally in Hong Kong on AI hopes", "pubDate": "Tue, 10 Mar 2020"},
            {"title": "Baidu unveils a new chip for its AI cloud", "pubDate": "Tue, 10 Mar 2020 14:00:00 GMT"},
        ]
    )
    entries = parse_feed(body, url="http://example.test/rss").entries
    assert [(e.published, e.published_source) for e in entries] == [
        ("2020-03-10T00:00:00+00:00", "date_only"),
        ("2020-03-10T00:00:00+00:00", "date_only"),
        ("2020-03-10T14:00:00+00:00", "published"),
    ]
    # With the feed's zone, the date is that zone's: its midnight, as import --timezone stores it.
    zoned = parse_feed(body, url="http://example.test/rss", zone="America/New_York").entries
    assert [e.published for e in zoned] == [
        "2020-03-10T04:00:00+00:00",
        "2020-03-10T04:00:00+00:00",
        "2020-03-10T14:00:00+00:00",
    ]
