"""Which addresses a page fetch may reach, checked where the connection is made (issue 11).

A feed's item links are written by whoever runs the feed, so following them must not reach this machine, its
network, or a cloud metadata service. The check runs after DNS resolution, on the address the socket then
connects to (no second lookup a rebinding DNS server could answer differently), and on every connection,
so each redirect hop is checked too. Feeds themselves are the user's choice and are not checked.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import socket
from collections.abc import Iterable

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class BlockedAddressError(Exception):
    """A page URL or redirect that the address policy refuses; the message says which and why."""


@dataclasses.dataclass(frozen=True)
class AddressPolicy:
    """Public addresses only, unless ``allow_private`` (every address) or ``allowed_networks`` (these too).

    >>> AddressPolicy().problem(ipaddress.ip_address("169.254.169.254"))
    '169.254.169.254 is a link-local address'
    >>> AddressPolicy().problem(ipaddress.ip_address("93.184.216.34")) is None
    True
    """

    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()

    def problem(self, address: IPAddress) -> str | None:
        """Why ``address`` may not be reached, or None."""
        if self.allow_private or any(
            address in network for network in self.allowed_networks if network.version == address.version
        ):
            return None
        mapped = getattr(address, "ipv4_mapped", None) or getattr(address, "sixtofour", None)
        if mapped is not None:  # ::ffff:127.0.0.1 reaches 127.0.0.1
            return self.problem(mapped)
        for kind in ("unspecified", "loopback", "link_local", "multicast", "private", "reserved"):
            if getattr(address, f"is_{kind}"):
                return f"{address} is a {kind.replace('_', '-')} address"
        if not address.is_global:  # shared (100.64/10, where some clouds keep metadata), documentation ranges
            return f"{address} is not a public address"
        return None


def check_url(url: httpx.URL | str) -> None:
    """Only http(s) pages are fetched: raise :class:`BlockedAddressError` for any other scheme."""
    scheme = httpx.URL(str(url)).scheme if isinstance(url, str) else url.scheme
    if scheme not in ("http", "https"):
        raise BlockedAddressError(f"{str(url)[:200]!r}: only http(s) pages are fetched, not {scheme or 'a path'}")


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend with the policy between the DNS answer and the socket."""

    def __init__(self, policy: AddressPolicy, inner: httpcore.AsyncNetworkBackend | None = None):
        self.policy = policy
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable | None = None,
    ) -> httpcore.AsyncNetworkStream:
        failure: Exception | None = None
        for address in await resolve_checked(host, port, self.policy):  # each one checked; tried in DNS order
            try:
                return await self.inner.connect_tcp(
                    str(address), port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # resolve_checked returns at least one address
        raise failure

    async def connect_unix_socket(self, path, timeout=None, socket_options=None):  # pragma: no cover
        raise BlockedAddressError("unix sockets are not used for pages")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


async def resolve_checked(host: str, port: int, policy: AddressPolicy) -> list[IPAddress]:
    """The addresses to connect to for ``host``, in DNS order: every address DNS gives must pass ``policy`` (a name
    that resolves to a public and a private address is refused)."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc.strerror or exc}") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    for address in addresses:
        if why := policy.problem(address):
            raise BlockedAddressError(f"{host} refused: {why} (set allow_private_addresses to fetch such pages)")
    if not addresses:
        raise httpcore.ConnectError(f"cannot resolve {host}")
    return list(dict.fromkeys(addresses))


class GuardedTransport(httpx.AsyncHTTPTransport):
    """An httpx transport whose every connection goes through the address policy.

    httpx takes no network backend, so the connection pool it built is replaced by one with the guarded backend
    and the same settings (``tests/ingest/test_issue_11_fulltext.py`` fails if that stops working).
    """

    def __init__(self, policy: AddressPolicy, *, limits: httpx.Limits) -> None:
        super().__init__(limits=limits, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_GuardedBackend(policy),
        )


async def refuse_other_schemes(request: httpx.Request) -> None:
    """httpx request hook: every request, redirects included, stays on http(s)."""
    check_url(request.url)
