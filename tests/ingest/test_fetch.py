"""The fetcher against a real loopback server: caps, timeouts, redirects, retries, gzip."""

from __future__ import annotations

import asyncio
import gzip
import time
import zlib

from conftest import rss, send, static

from narrative.ingest.fetch import Fetcher, FetchLimits

LIMITS = FetchLimits(
    connect_timeout=2,
    read_timeout=0.5,
    deadline=5,
    max_bytes=1_000_000,
    max_redirects=3,
    retries=2,
    backoff=0.01,
    user_agent="narrative-test/1",
)


def fetch(url: str, limits: FetchLimits = LIMITS, **kwargs):
    async def run():
        async with Fetcher(limits) as fetcher:
            return await fetcher.fetch(url, **kwargs)

    return asyncio.run(run())


def test_fetch_ok_sends_user_agent_and_reads_validators(server):
    body = rss([{"title": "A"}])
    server.routes["/feed"] = static(body, etag='"v1"', last_modified="Mon, 01 Sep 2025 00:00:00 GMT")
    result = fetch(server.url("/feed"))
    assert result.status == "ok" and result.body == body
    assert result.etag == '"v1"' and result.last_modified == "Mon, 01 Sep 2025 00:00:00 GMT"
    assert server.requests[0][1]["User-Agent"] == "narrative-test/1"


def test_fetch_conditional_get_gives_not_modified(server):
    server.routes["/feed"] = static(rss([]), etag='"v1"')
    result = fetch(server.url("/feed"), etag='"v1"')
    assert result.status == "not_modified" and result.http_status == 304 and result.body is None


def test_fetch_if_modified_since_gives_not_modified(server):
    stamp = "Tue, 02 Sep 2025 10:00:00 GMT"
    server.routes["/feed"] = static(rss([]), last_modified=stamp)
    assert fetch(server.url("/feed"), last_modified=stamp).status == "not_modified"


def test_fetch_404_is_an_error_without_retry(server):
    result = fetch(server.url("/missing"))
    assert result.status == "error" and result.http_status == 404 and "404" in result.error
    assert server.hits["/missing"] == 1


def test_fetch_500_is_retried_then_recorded(server):
    server.routes["/broken"] = lambda h: send(h, 500, b"oops", content_type="text/plain")
    result = fetch(server.url("/broken"))
    assert result.status == "error" and result.http_status == 500
    assert result.attempts == 3 and server.hits["/broken"] == 3


def test_fetch_recovers_when_a_retry_succeeds(server):
    calls = {"n": 0}

    def flaky(handler):
        calls["n"] += 1
        if calls["n"] == 1:
            send(handler, 503, b"busy", content_type="text/plain")
        else:
            send(handler, 200, rss([{"title": "back"}]))

    server.routes["/flaky"] = flaky
    result = fetch(server.url("/flaky"))
    assert result.status == "ok" and result.attempts == 2


def test_fetch_redirect_loop_is_bounded(server):
    server.routes["/a"] = lambda h: send(h, 302, headers={"Location": "/b"}, content_type="text/plain")
    server.routes["/b"] = lambda h: send(h, 302, headers={"Location": "/a"}, content_type="text/plain")
    result = fetch(server.url("/a"))
    assert result.status == "error" and "redirects" in result.error
    assert server.hits["/a"] + server.hits["/b"] <= LIMITS.max_redirects + 1


def test_fetch_follows_a_redirect_and_records_final_url(server):
    server.routes["/old"] = lambda h: send(h, 301, headers={"Location": "/new"}, content_type="text/plain")
    server.routes["/new"] = static(rss([{"title": "moved"}]))
    result = fetch(server.url("/old"))
    assert result.status == "ok" and result.final_url == server.url("/new")


def test_fetch_stalled_server_times_out(server):
    def stall(handler):
        time.sleep(3)
        send(handler, 200, rss([]))

    server.routes["/stall"] = stall
    started = time.monotonic()
    result = fetch(server.url("/stall"), FetchLimits(read_timeout=0.3, deadline=1.5, retries=1, backoff=0.01))
    assert result.status == "error" and ("Timeout" in result.error or "deadline" in result.error)
    assert time.monotonic() - started < 2.5


def test_fetch_trickling_server_hits_the_deadline(server):
    def trickle(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        for _ in range(100):
            handler.wfile.write(b" " * 10)
            handler.wfile.flush()
            time.sleep(0.1)

    server.routes["/trickle"] = trickle
    result = fetch(server.url("/trickle"), FetchLimits(read_timeout=1, deadline=1.0, retries=0))
    assert result.status == "error" and "deadline" in result.error


def test_fetch_20mb_body_is_cut_off(server):
    big = b"<rss>" + b"x" * 20_000_000
    server.routes["/big"] = static(big)
    result = fetch(server.url("/big"))
    assert result.status == "error" and "cap" in result.error and result.body is None


def test_fetch_20mb_chunked_body_without_length_is_cut_off(server):
    def chunked(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        chunk = b"y" * 65536
        for _ in range(320):  # 20 MB
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        handler.wfile.write(b"0\r\n\r\n")

    server.routes["/chunked"] = chunked
    result = fetch(server.url("/chunked"))
    assert result.status == "error" and "cap" in result.error


def test_fetch_gzip_bomb_is_stopped_at_the_cap(server):
    bomb = gzip.compress(b"\0" * 60_000_000, compresslevel=9)  # ~60 KB on the wire
    server.routes["/bomb"] = lambda h: send(h, 200, bomb, headers={"Content-Encoding": "gzip"})
    result = fetch(server.url("/bomb"))
    assert len(bomb) < LIMITS.max_bytes
    assert result.status == "error" and "decompression" in result.error


def test_fetch_gzip_and_deflate_bodies_are_decoded(server):
    body = rss([{"title": "compressed"}])
    server.routes["/gz"] = static(body, gzip_it=True)
    server.routes["/deflate"] = lambda h: send(h, 200, zlib.compress(body), headers={"Content-Encoding": "deflate"})
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    raw_body = raw.compress(body) + raw.flush()
    server.routes["/rawdeflate"] = lambda h: send(h, 200, raw_body, headers={"Content-Encoding": "deflate"})
    for path in ("/gz", "/deflate", "/rawdeflate"):
        result = fetch(server.url(path))
        assert result.status == "ok" and result.body == body, path


def test_fetch_corrupt_gzip_is_an_error(server):
    server.routes["/bad"] = lambda h: send(h, 200, b"\x1f\x8b\x08\x00garbage", headers={"Content-Encoding": "gzip"})
    result = fetch(server.url("/bad"))
    assert result.status == "error"


def test_fetch_connection_refused_is_an_error(server):
    url = server.url("/x")
    server.close()
    result = fetch(url, FetchLimits(connect_timeout=0.5, deadline=3, retries=1, backoff=0.01))
    assert result.status == "error" and result.error


def test_fetch_local_path_and_file_url(tmp_path):
    path = tmp_path / "feed.xml"
    path.write_bytes(rss([{"title": "local"}]))
    assert fetch(str(path)).body == path.read_bytes()
    assert fetch(path.as_uri()).status == "ok"
    missing = fetch(str(tmp_path / "nope.xml"))
    assert missing.status == "error" and "nope.xml" in missing.error
