"""Issue 11 item 1: an out-of-range date is a recorded problem of that item or row, never a crash of the run."""

from __future__ import annotations

from conftest import FEEDS_DIR, make_items, rss, static, write_feeds
from conftest import query as rows

from narrative import api
from narrative.store.articles import _window

PLACEHOLDER_DATES = [
    {
        "title": "Tencent files with a placeholder date in year 9999",
        "link": "http://example.test/far",
        "guid": "far",
        "pubDate": "Fri, 31 Dec 9999 23:59:59 GMT",
        "description": "Year 9999 placeholder.",
    },
    {
        "title": "Xiaomi item written with the first day of year one",
        "link": "http://example.test/one",
        "guid": "one",
        "pubDate": "Mon, 01 Jan 0001 00:00:00 GMT",
        "description": "Year 0001 placeholder.",
    },
]


def test_issue_11_year_9999_and_0001_items_are_stored_and_the_feed_commits(server, tmp_path, fast_settings):
    server.routes["/bad"] = static(rss(make_items("ok", 3) + PLACEHOLDER_DATES), etag='"b1"')
    server.routes["/other"] = static(rss(make_items("other", 4)))
    server.routes["/file"] = static((FEEDS_DIR / "wellformed" / "rss20_pubdate_year_9999.xml").read_bytes())
    feeds = [{"name": n, "url": server.url("/" + n)} for n in ("bad", "other", "file")]
    settings = fast_settings(feeds=str(write_feeds(tmp_path / "feeds.yaml", feeds)))

    summary = api.ingest(settings=settings, enrich=False)

    assert not summary.failed and summary.new == 3 + 2 + 4 + 2
    placeholders = rows(
        settings.db,
        "SELECT a.published_source, a.published_precision, a.published FROM articles a "
        "JOIN article_sources s ON s.article_id = a.id WHERE s.guid LIKE '%/far' OR s.guid LIKE '%/one'",
    )
    assert len(placeholders) == 2
    assert all(r[0] == "fetched" and r[1] == "fetched" and not r[2].startswith(("9999", "0001")) for r in placeholders)
    reason = rows(settings.db, "SELECT bozo_reason FROM fetches WHERE feed = 'bad'")[0][0]
    assert "2 item(s) stored with the fetch time" in reason and "out of range" in reason
    # The feed committed its state: the next run is a 304, not the same crash again.
    second = api.ingest(settings=settings, enrich=False)
    assert {f.name: f.status for f in second.feeds}["bad"] == "not_modified" and second.new == 0


def test_issue_11_import_rows_dated_9999_and_0001_are_row_problems(tmp_path, fast_settings):
    archive = tmp_path / "archive.csv"
    archive.write_text(
        "title,url,published,text\n"
        "Alibaba cloud revenue grows faster than expected,http://a.test/1,2024-05-14,Alibaba said cloud grew.\n"
        "Placeholder date far in the future for this row,http://a.test/2,9999-12-31,Row with year 9999.\n"
        "Placeholder date at the start of the calendar,http://a.test/3,0001-01-01T00:00:00Z,Year one.\n"
        "Relative date reaching before the calendar starts,http://a.test/4,99999999 days ago,Far too old.\n"
        "Baidu expands its robotaxi service to new cities,http://a.test/5,2024-05-15 10:00,Baidu said.\n",
        encoding="utf-8",
    )
    settings = fast_settings()

    summary = api.import_archive(str(archive), settings=settings, enrich=False, as_of="2024-06-01")

    assert summary.new == 2 and summary.rows == 2
    problems = {p.line: p.problem for p in summary.problems}
    assert set(problems) == {3, 4, 5}
    assert "9999-12-31 is out of range" in problems[3] and "0001-01-01 is out of range" in problems[4]
    assert "outside the calendar" in problems[5]
    assert rows(settings.db, "SELECT count(*) FROM articles") == [(2,)]


def test_issue_11_dedup_window_at_the_calendar_edges_does_not_overflow():
    low, high = _window("9999-12-31T23:00:00+00:00", 72)
    assert low < "9999-12-31T23:00:00+00:00" < high
    low, high = _window("0001-01-01T01:00:00+00:00", 72)
    assert low < "0001-01-01T01:00:00+00:00" < high


def test_issue_11_cli_import_of_a_9999_row_names_the_line_and_exits_0(tmp_path):
    from click.testing import CliRunner

    from narrative.cli import cli

    archive = tmp_path / "archive.csv"
    archive.write_text(
        "title,url,published,text\n"
        "Placeholder date far in the future for this row,http://a.test/2,9999-12-31,Year 9999.\n"
        "Tencent reports quarterly revenue above estimates,http://a.test/1,2024-05-14,Tencent said.\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["import", str(archive), "--db", str(tmp_path / "n.db"), "--no-enrich"])
    assert result.exit_code == 0, result.output
    assert f"{archive}:2: skipped: date 9999-12-31 is out of range" in result.stderr
    assert "1 new articles" in result.stdout and "Traceback" not in result.output
