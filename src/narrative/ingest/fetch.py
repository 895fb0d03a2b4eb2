"""Fetching feeds and pages with httpx, defensively.

Every request has a connect and a read timeout, and every feed a total deadline
(retries and redirects included). Bodies are read as a stream and cut off at a
size cap *after* decompression: we ask only for gzip/deflate and inflate
ourselves with a bounded ``max_length``, so a gzip bomb costs at most the cap.

Feeds may be local files or local servers (the user listed them). Pages linked from a feed go through
:meth:`Fetcher.fetch_page`: http(s) only, on every redirect too, and only to addresses the
:class:`~narrative.ingest.guard.AddressPolicy` allows, checked on the address connected to (issue 11).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import time
import zlib
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import httpx

from ..config import Settings
from .guard import AddressPolicy, BlockedAddressError, GuardedTransport, check_url, refuse_other_schemes

LOGGER = logging.getLogger(__name__)

_RETRY_STATUSES = {408, 425, 429, 500, 502, 503, 504}
_FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"
)


@dataclasses.dataclass
class FetchResult:
    """What one fetch produced. ``status`` is ``ok``, ``not_modified`` or ``error``."""

    url: str
    status: str
    body: bytes | None = None
    http_status: int | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    final_url: str | None = None
    error: str | None = None
    attempts: int = 0
    duration: float = 0.0
    retry_after: float | None = None  # seconds, from a 429/503's Retry-After header (seconds or an HTTP date)

    @property
    def sha1(self) -> str | None:
        return hashlib.sha1(self.body).hexdigest() if self.body is not None else None


class BodyTooLargeError(Exception):
    pass


@dataclasses.dataclass(frozen=True)
class FetchLimits:
    """The limits of every request of a run. The defaults are the settings' (:data:`narrative.config.SETTINGS`,
    read from :class:`~narrative.config.Settings`'s defaults), never a second copy of them.

    >>> FetchLimits().read_timeout == Settings.read_timeout
    True
    """

    connect_timeout: float = Settings.connect_timeout
    read_timeout: float = Settings.read_timeout
    deadline: float = Settings.feed_deadline
    max_bytes: int = Settings.max_bytes
    max_redirects: int = Settings.max_redirects
    retries: int = Settings.retries
    backoff: float = Settings.backoff
    user_agent: str = Settings.user_agent

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchLimits:
        """The limits ``settings`` set (``feed_deadline`` is the per-feed ``deadline``).

        Example: ``Fetcher(FetchLimits.from_settings(Settings.load()))``
        """
        return cls(
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            deadline=settings.feed_deadline,
            max_bytes=settings.max_bytes,
            max_redirects=settings.max_redirects,
            retries=settings.retries,
            backoff=settings.backoff,
            user_agent=settings.user_agent,
        )


_PAGE_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"
_POOL = httpx.Limits(max_connections=32, max_keepalive_connections=16)


class Fetcher:
    """The httpx clients shared by every fetch of one run: one for feeds, one (guarded by ``page_policy``)
    for the pages feeds link to. Use as an async context manager."""

    def __init__(self, limits: FetchLimits, *, page_policy: AddressPolicy | None = None):
        self.limits = limits
        self.page_policy = page_policy or AddressPolicy()
        self._client: httpx.AsyncClient | None = None
        self._pages: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Fetcher:
        common: dict[str, Any] = dict(
            timeout=httpx.Timeout(self.limits.read_timeout, connect=self.limits.connect_timeout),
            follow_redirects=True,
            max_redirects=self.limits.max_redirects,
            headers={"User-Agent": self.limits.user_agent, "Accept-Encoding": "gzip, deflate"},
            trust_env=False,
        )
        self._client = httpx.AsyncClient(limits=_POOL, **common)
        self._pages = httpx.AsyncClient(
            transport=GuardedTransport(self.page_policy, limits=_POOL),
            event_hooks={"request": [refuse_other_schemes]},
            **common,
        )
        return self

    async def __aexit__(self, *exc_info) -> None:
        for client in (self._client, self._pages):
            if client is not None:
                await client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        max_bytes: int | None = None,
        accept: str = _FEED_ACCEPT,
        deadline_at: float | None = None,
    ) -> FetchResult:
        """Fetch a feed: ``url`` (http(s), ``file://`` or a local path) within the deadline. Never raises.

        ``deadline_at`` (the event loop's clock) ends the fetch; by default the ``deadline`` limit from now.
        """
        started = time.monotonic()
        max_bytes = max_bytes or self.limits.max_bytes
        scheme = urlparse(url).scheme.lower()
        if scheme not in ("http", "https"):
            result = _read_local(url, max_bytes)
        else:
            result = await self._fetch_http(self._client, url, etag, last_modified, max_bytes, accept, deadline_at)
        result.duration = time.monotonic() - started
        return result

    async def fetch_page(
        self, url: str, *, max_bytes: int | None = None, deadline_at: float | None = None
    ) -> FetchResult:
        """Fetch an article page linked from a feed: http(s) only, never a local file, and only addresses
        the page policy allows (after DNS, on every redirect). Never raises.

        >>> # async with Fetcher(FetchLimits()) as f: await f.fetch_page("file:///etc/passwd")  -> status "error"
        """
        started = time.monotonic()
        try:
            check_url(url)
        except (BlockedAddressError, httpx.InvalidURL) as exc:
            return FetchResult(url=url, status="error", error=str(exc), attempts=0)
        result = await self._fetch_http(
            self._pages, url, None, None, max_bytes or self.limits.max_bytes, _PAGE_ACCEPT, deadline_at
        )
        result.duration = time.monotonic() - started
        return result

    async def _fetch_http(self, client, url, etag, last_modified, max_bytes, accept, deadline_at) -> FetchResult:
        loop = asyncio.get_running_loop()
        deadline_at = deadline_at if deadline_at is not None else loop.time() + self.limits.deadline
        result = FetchResult(url=url, status="error")
        try:
            async with asyncio.timeout_at(deadline_at):
                result = await self._fetch_with_retries(
                    client, url, etag, last_modified, max_bytes, accept, result, deadline_at
                )
        except TimeoutError:
            result.status = "error"
            result.error = f"deadline of {self.limits.deadline:g}s exceeded"
        return result

    async def _fetch_with_retries(
        self, client, url, etag, last_modified, max_bytes, accept, result, deadline_at
    ) -> FetchResult:
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        for attempt in range(self.limits.retries + 1):
            result.attempts = attempt + 1
            retry_after = None
            try:
                result = await self._attempt(client, url, headers, max_bytes, result)
                if result.http_status not in _RETRY_STATUSES:
                    return result
                retry_after = result.retry_after
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                result.status, result.error = "error", _describe(exc)
            except httpx.TooManyRedirects:
                result.status = "error"
                result.error = f"more than {self.limits.max_redirects} redirects"
                return result
            except BlockedAddressError as exc:
                result.status, result.error = "error", str(exc)
                return result
            except (httpx.HTTPError, BodyTooLargeError, zlib.error, ValueError) as exc:
                result.status, result.error = "error", _describe(exc)
                return result
            if attempt < self.limits.retries:
                delay = retry_after if retry_after is not None else self.limits.backoff * (2**attempt)
                if asyncio.get_running_loop().time() + delay >= deadline_at:
                    # Sleeping into the deadline would record "deadline exceeded" and hide the real cause.
                    why = f"Retry-After {retry_after:g}s" if retry_after is not None else f"a retry in {delay:g}s"
                    result.error = f"{result.error}; {why} would pass the feed deadline, not retried"
                    return result
                LOGGER.info("retrying %s in %.1fs after %s", url, delay, result.error)
                await asyncio.sleep(delay)
        return result

    async def _attempt(self, client, url, headers, max_bytes, result) -> FetchResult:
        assert client is not None, "use Fetcher as an async context manager"
        async with client.stream("GET", url, headers=headers) as response:
            result.http_status = response.status_code
            result.final_url = str(response.url)
            result.content_type = response.headers.get("content-type")
            if response.status_code == 304:
                result.status, result.error = "not_modified", None
                return result
            if response.status_code >= 400:
                result.retry_after = retry_after_seconds(response.headers.get("retry-after", ""))
                result.status = "error"
                result.error = f"HTTP {response.status_code} {response.reason_phrase}".strip()
                return result
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise BodyTooLargeError(f"body of {int(declared):,} bytes exceeds the {max_bytes:,}-byte cap")
            result.body = await _read_capped(response, max_bytes)
            result.status, result.error = "ok", None
            result.etag = response.headers.get("etag")
            result.last_modified = response.headers.get("last-modified")
            return result


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    encoding = response.headers.get("content-encoding", "").strip().lower()
    inflater = _Inflater(encoding) if encoding in ("gzip", "x-gzip", "deflate") else None
    out = bytearray()
    raw_seen = 0
    async for chunk in response.aiter_raw():
        raw_seen += len(chunk)
        if raw_seen > max_bytes:
            raise BodyTooLargeError(f"body exceeds the {max_bytes:,}-byte cap")
        out += inflater.feed(chunk, max_bytes - len(out)) if inflater else chunk
        if len(out) > max_bytes:
            raise BodyTooLargeError(f"body exceeds the {max_bytes:,}-byte cap after decompression")
    if inflater:
        out += inflater.flush(max_bytes - len(out))
        if len(out) > max_bytes:
            raise BodyTooLargeError(f"body exceeds the {max_bytes:,}-byte cap after decompression")
    return bytes(out)


class _Inflater:
    """zlib with a bound on the output of every call."""

    def __init__(self, encoding: str):
        self._encoding = encoding
        self._first = True
        wbits = 16 + zlib.MAX_WBITS if encoding in ("gzip", "x-gzip") else zlib.MAX_WBITS
        self._z = zlib.decompressobj(wbits)

    def feed(self, data: bytes, room: int) -> bytes:
        if self._first and self._encoding == "deflate":
            self._first = False
            if data and (data[0] & 0x0F) != 8:  # raw deflate without the zlib header, as IIS sends
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
        out = self._z.decompress(data, room + 1)
        if len(out) > room:
            return out
        while self._z.unconsumed_tail:
            more = self._z.decompress(self._z.unconsumed_tail, room + 1 - len(out))
            out += more
            if len(out) > room or not more:
                break
        return out

    def flush(self, room: int) -> bytes:
        out = self._z.flush(room + 1) if room >= 0 else b""
        if not self._z.eof:
            raise ValueError("compressed body is truncated or corrupt")
        return out


def _read_local(url: str, max_bytes: int) -> FetchResult:
    parsed = urlparse(url)
    path = Path(unquote(parsed.path)) if parsed.scheme.lower() == "file" else Path(url)
    result = FetchResult(url=url, status="error", attempts=1)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            result.error = f"{path}: {size:,} bytes exceeds the {max_bytes:,}-byte cap"
            return result
        result.body = path.read_bytes()
    except OSError as exc:
        result.error = f"{path}: {exc.strerror or exc}"
        return result
    result.status = "ok"
    result.final_url = path.resolve().as_uri()
    result.last_modified = formatdate(path.stat().st_mtime, usegmt=True)
    return result


def retry_after_seconds(value: str, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delay-seconds or an HTTP date (RFC 9110 10.2.3).

    >>> retry_after_seconds("120"), retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT",
    ...     now=datetime(2015, 10, 21, 7, 27, tzinfo=UTC)), retry_after_seconds("soon")
    (120.0, 60.0, None)
    """
    value = (value or "").strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    try:
        return max(0.0, (when - now).total_seconds())
    except OverflowError:
        return None


def _describe(exc: BaseException) -> str:
    name = type(exc).__name__
    message = str(exc).strip()
    return f"{name}: {message}" if message else name
