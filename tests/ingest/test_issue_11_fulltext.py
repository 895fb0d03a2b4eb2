"""Issue 11 item 2: full-text page fetches are http(s) only, never reach loopback, private, link-local or
metadata addresses unless ``allow_private_addresses`` (checked after DNS and on every redirect, on the address
connected to), and share the feed's one deadline. Feeds themselves may be local (the user listed them).
"""

from __future__ import annotations

import asyncio
import http.server
import ipaddress
import threading

import pytest
from conftest import query as rows
from conftest import rss, send, static, write_feeds

from narrative import api
from narrative.ingest.fetch import Fetcher, FetchLimits
from narrative.ingest.guard import AddressPolicy

SECRET = "The internal quarterly plan says the launch moves to March. " * 10
PAGE = f"<html><body><article><h1>Internal</h1><p>{SECRET}</p><p>{SECRET}</p></article></body></html>".encode()
LIMITS = FetchLimits(
    connect_timeout=2,
    read_timeout=2,
    deadline=10,
    max_bytes=1_000_000,
    max_redirects=3,
    retries=0,
    backoff=0.01,
    user_agent="narrative-test/1",
)


class Internal:
    """An "internal" server on 127.0.0.2 that no page fetch may reach."""

    def __init__(self) -> None:
        self.hits = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits += 1
                send(self, 200, PAGE, content_type="text/html")

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.2", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.2:{self.httpd.server_address[1]}{path}"


@pytest.fixture
def internal():
    srv = Internal()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


def fetch_page(url: str, policy: AddressPolicy):
    async def run():
        async with Fetcher(LIMITS, page_policy=policy) as fetcher:
            return await fetcher.fetch_page(url)

    return asyncio.run(run())


def item(n: int, link: str) -> dict[str, str]:
    return {
        "title": f"Story number {n} links a page that must not be read",
        "link": link,
        "guid": f"g{n}",
        "pubDate": "Wed, 27 Aug 2025 10:00:00 GMT",
        "description": f"Summary {n} of the story.",
    }


def test_issue_11_feed_links_to_local_files_and_internal_addresses_are_never_read(
    server, internal, tmp_path, fast_settings
):
    secret_file = tmp_path / "secret.html"
    secret_file.write_bytes(PAGE)
    server.routes["/page"] = static(PAGE, content_type="text/html")
    port = server.httpd.server_address[1]
    links = [
        secret_file.as_uri(),
        str(secret_file),
        internal.url("/internal"),
        "http://169.254.169.254/latest/meta-data/",
        f"http://localhost:{port}/page",
        f"http://[::ffff:127.0.0.1]:{port}/page",
        server.url("/page"),
        "ftp://example.test/page",
    ]
    server.routes["/feed"] = static(rss([item(n, link) for n, link in enumerate(links)]))
    feeds = [{"name": "remote", "url": server.url("/feed"), "full_text": True}]  # the feed itself: loopback, allowed
    settings = fast_settings(feeds=str(write_feeds(tmp_path / "feeds.yaml", feeds)))

    summary = api.ingest(settings=settings, enrich=False)

    assert summary.new == len(links) and not summary.failed
    stored = rows(settings.db, "SELECT text_source, fulltext_error, text FROM articles ORDER BY id")
    assert all(
        source == "summary" and error and "internal quarterly plan" not in text for source, error, text in stored
    ), stored
    errors = [error for _, error, _ in stored]
    assert "only http(s)" in errors[0] and "only http(s)" in errors[7]
    assert "loopback" in errors[1]  # a bare path is relative to the feed's URL: the feed's own (loopback) host
    assert "127.0.0.2 is a loopback address" in errors[2]
    assert "169.254.169.254 is a link-local address" in errors[3]
    assert "localhost refused: 127.0.0.1 is a loopback address" in errors[4]
    assert "loopback" in errors[5] and "loopback" in errors[6]
    assert internal.hits == 0 and server.hits.get("/page", 0) == 0
    assert rows(settings.db, "SELECT fulltext_failures FROM fetches") == [(len(links),)]


def test_issue_11_every_redirect_hop_is_checked(server, internal):
    only_first = AddressPolicy(allowed_networks=(ipaddress.ip_network("127.0.0.1/32"),))
    server.routes["/page"] = static(PAGE, content_type="text/html")
    server.routes["/to-internal"] = lambda h: send(h, 302, headers={"Location": internal.url("/x")}, content_type="")
    server.routes["/to-file"] = lambda h: send(h, 302, headers={"Location": "file:///etc/passwd"}, content_type="")
    server.routes["/to-metadata"] = lambda h: send(
        h, 301, headers={"Location": "http://169.254.169.254/latest/"}, content_type=""
    )

    assert fetch_page(server.url("/page"), only_first).status == "ok"  # the guarded transport connects
    to_internal = fetch_page(server.url("/to-internal"), only_first)
    assert to_internal.status == "error" and "127.0.0.2 is a loopback address" in to_internal.error
    to_file = fetch_page(server.url("/to-file"), only_first)
    assert to_file.status == "error" and "only http(s)" in to_file.error and to_file.body is None
    to_metadata = fetch_page(server.url("/to-metadata"), only_first)
    assert to_metadata.status == "error" and "link-local" in to_metadata.error
    assert internal.hits == 0


def test_issue_11_allow_private_addresses_lets_pages_reach_them(internal):
    result = fetch_page(internal.url("/internal"), AddressPolicy(allow_private=True))
    assert result.status == "ok" and b"internal quarterly plan" in result.body and internal.hits == 1


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("10.1.2.3", "private"),
        ("192.168.0.1", "private"),
        ("172.16.5.4", "private"),
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("100.100.100.200", "not a public address"),
        ("fd00:ec2::254", "private"),
        ("::ffff:10.0.0.1", "private"),
        ("224.0.0.1", "multicast"),
    ],
)
def test_issue_11_address_policy_refuses_non_public_addresses(address, kind):
    assert kind in AddressPolicy().problem(ipaddress.ip_address(address))


def test_issue_11_address_policy_allows_public_addresses():
    for address in ("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8"):
        assert AddressPolicy().problem(ipaddress.ip_address(address)) is None


def test_issue_11_feed_deadline_bounds_the_pages_too(server, tmp_path, fast_settings):
    release = threading.Event()

    def hang(handler) -> None:
        release.wait(30)  # far beyond the feed deadline; released at the end of the test
        send(handler, 200, PAGE, content_type="text/html")

    for n in range(6):
        server.routes[f"/slow/{n}"] = hang
    server.routes["/feed"] = static(rss([item(n, server.url(f"/slow/{n}")) for n in range(6)]))
    feeds = [{"name": "slow", "url": server.url("/feed"), "full_text": True}]
    settings = fast_settings(
        feeds=str(write_feeds(tmp_path / "feeds.yaml", feeds)),
        allow_private_addresses=True,
        read_timeout=25.0,
        feed_deadline=1.5,
        concurrency=2,
    )
    try:
        summary = api.ingest(settings=settings, enrich=False)
    finally:
        release.set()

    assert summary.new == 6 and not summary.failed  # the items are kept with their summaries
    errors = [r[0] for r in rows(settings.db, "SELECT fulltext_error FROM articles")]
    assert len(errors) == 6 and all("deadline" in e for e in errors), errors
