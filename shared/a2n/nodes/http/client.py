"""A small HTTP client that only talks to vetted addresses: stdlib http.client (~30 ms to import
against ~80 ms for urllib3) with connections pinned to the address the SSRF guard resolved, TLS
verified against the URL's host name, and redirects followed by hand so every hop is vetted again.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from urllib.parse import urljoin, urlsplit

from a2n.nodes.context import NodeFailed
from a2n.nodes.http.ssrf import DEFAULT_PORTS, Target, vet_url

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Never carried to another origin, beside the names a credential added.
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
READ_CHUNK = 65_536


@dataclass(frozen=True)
class OutboundRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None = None


@dataclass(frozen=True)
class InboundResponse:
    status: int
    headers: dict[str, str]  # lower-cased names, repeated headers joined with ", "
    body: bytes
    url: str


@dataclass(frozen=True)
class Transport:
    """Limits shared by every request of one node attempt (the node's and the token endpoint's)."""

    deadline: float  # time.monotonic() value
    allow_networks: Sequence[str]
    max_body_bytes: int
    # An integration package's egress allow-list: every hop (redirects too) must name one of these
    # hosts, on top of the SSRF guard. None: any public host (the http_request node).
    allowed_hosts: Sequence[str] | None = None

    def send(self, request: OutboundRequest, sensitive: frozenset[str] = frozenset()) -> InboundResponse:
        """The final response after at most five redirects; ``sensitive`` header names (lower case)
        are dropped, with Authorization and Cookie, when a redirect leaves the origin."""
        for _ in range(MAX_REDIRECTS + 1):
            self._check_allowed_host(request.url)
            response = self._exchange(vet_url(request.url, self.allow_networks), request)
            location = response.headers.get("location")
            if response.status not in REDIRECT_STATUSES or not location:
                return response
            request = _redirected(request, response.status, urljoin(request.url, location), sensitive)
        raise NodeFailed(f"more than {MAX_REDIRECTS} redirects", details={"url": without_query(request.url)})

    def _check_allowed_host(self, url: str) -> None:
        if self.allowed_hosts is None:
            return
        from a2n.integrations.hosts import host_allowed, url_host

        host = url_host(url)
        if host is None or not host_allowed(host, self.allowed_hosts):
            allowed = ", ".join(self.allowed_hosts)
            raise NodeFailed(
                f"blocked: host {host!r} is outside the package's allow-list ({allowed})",
                details={"url": without_query(url)},
            )

    def _exchange(self, target: Target, request: OutboundRequest) -> InboundResponse:
        connection: http.client.HTTPConnection | None = None
        try:
            connection = _connection(target, self._remaining())
            headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
            connection.request(request.method, target.path, body=request.body, headers=headers)
            raw = connection.getresponse()
            body = self._read(raw, connection)
            merged: dict[str, str] = {}
            for name, value in raw.getheaders():
                key = name.lower()
                merged[key] = f"{merged[key]}, {value}" if key in merged else value
            return InboundResponse(raw.status, merged, body, request.url)
        except TimeoutError:
            raise NodeFailed(
                "request timed out", retryable=True, details={"url": without_query(request.url)}
            ) from None
        except ssl.SSLError as error:
            raise NodeFailed(
                f"TLS failed: {error.reason or error}", details={"url": without_query(request.url)}
            ) from None
        except (ValueError, http.client.InvalidURL) as error:  # http.client refusing a header or path
            raise NodeFailed(
                f"invalid request: {error}", details={"url": without_query(request.url)}
            ) from None
        except (OSError, http.client.HTTPException) as error:
            message = f"connection failed: {type(error).__name__}: {error}"
            raise NodeFailed(message, retryable=True, details={"url": without_query(request.url)}) from None
        finally:
            if connection is not None:
                connection.close()

    def _read(self, raw: http.client.HTTPResponse, connection: http.client.HTTPConnection) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            if connection.sock is not None:
                connection.sock.settimeout(self._remaining())  # the budget covers a slow drip too
            chunk = raw.read(READ_CHUNK)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > self.max_body_bytes:
                raise NodeFailed(f"response larger than {self.max_body_bytes} bytes")
            chunks.append(chunk)

    def _remaining(self) -> float:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        return remaining


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = open_socket(self._address, self.port, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=_tls_context())
        self._address = target.address

    def connect(self) -> None:
        sock = open_socket(self._address, self.port, self.timeout)
        # SNI and certificate check use the URL's host name, not the pinned address.
        self.sock = _tls_context().wrap_socket(sock, server_hostname=self.host)


def open_socket(address: str, port: int, timeout: float | None) -> socket.socket:
    """The TCP connection to a vetted address. Tests replace this function (as they replace
    ``ssrf.resolve_host``) to serve a provider's host name from a loopback port."""
    return socket.create_connection((address, port), timeout)


def _connection(target: Target, timeout: float) -> http.client.HTTPConnection:
    if target.scheme == "https":
        return _PinnedHTTPSConnection(target, timeout)
    return _PinnedHTTPConnection(target, timeout)


@cache
def _tls_context() -> ssl.SSLContext:
    # Loading the CA bundle costs milliseconds; once per container is enough.
    from a2n.settings import get_settings

    bundle = get_settings().http_ca_bundle
    return ssl.create_default_context(cafile=str(bundle) if bundle else None)


def _redirected(
    request: OutboundRequest, status: int, url: str, sensitive: frozenset[str]
) -> OutboundRequest:
    headers = dict(request.headers)
    method, body = request.method, request.body
    if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
        method, body = "GET", None  # what browsers and curl do; the body belonged to the first hop
        headers = {k: v for k, v in headers.items() if k.lower() not in ("content-type", "content-length")}
    if _origin(url) != _origin(request.url):
        dropped = CREDENTIAL_HEADERS | sensitive
        headers = {k: v for k, v in headers.items() if k.lower() not in dropped}
    return replace(request, method=method, url=url, headers=headers, body=body)


def without_query(url: str) -> str:
    """The URL as shown in errors: an API key may travel in the query string."""
    return urlsplit(url)._replace(query="", fragment="").geturl()


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port
