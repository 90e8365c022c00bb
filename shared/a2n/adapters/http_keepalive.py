"""A minimal HTTP/1.1 client for the lean AWS calls (sqs_wire): one POST, one kept-alive socket per
endpoint (TLS verified), a connection the server closed while idle retried once on a fresh one.
Measured at half of http.client's CPU per call or less (http.client parses headers with `email`).
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from a2n.adapters.http_answer import read_answer

TIMEOUT_S = 5.0  # connect, and each read
IDLE_PER_ENDPOINT = 4  # Lambda uses one; the local runtime sends from several threads


class _Stale(Exception):
    """A kept-alive connection the server had closed: nothing was answered, so send again."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    scheme: str
    host: str
    port: int | None
    path: str
    host_header: str  # as botocore signs it: the port only when it is not the scheme's default


@lru_cache(maxsize=32)
def endpoint_of(url: str) -> Endpoint:
    """The scheme://host[:port] and base path of ``url``; ValueError unless it is http(s)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) endpoint: {parts.scheme}://{parts.hostname}")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    default = {"http": 80, "https": 443}[parts.scheme]
    header = host if parts.port in (None, default) else f"{host}:{parts.port}"
    return Endpoint(parts.scheme, parts.hostname, parts.port, parts.path.rstrip("/") + "/", header)


@lru_cache(maxsize=32)
def origin_of(url: str) -> Endpoint:
    """The endpoint of ``url``'s scheme://host[:port] alone, path ``/`` (a queue URL's service)."""
    parts = urlsplit(url)
    return endpoint_of(f"{parts.scheme}://{parts.netloc}")


def post(endpoint: Endpoint, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """POST ``body`` (headers with lower-case names, ``host`` among them): the status and the whole
    answer. Raises OSError (timeouts, refusals, HttpFramingError) when no complete answer came."""
    if any("\r" in value or "\n" in value for value in headers.values()):
        raise ValueError("a header value spans lines")
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    request = f"POST {endpoint.path} HTTP/1.1\r\n{lines}accept-encoding: identity\r\n"
    request += f"content-length: {len(body)}\r\n\r\n"
    message = request.encode("latin-1") + body
    try:
        sock = _idle.setdefault(endpoint, []).pop()
    except IndexError:
        return _exchange(endpoint, _connect(endpoint), message, reused=False)
    try:
        return _exchange(endpoint, sock, message, reused=True)
    except _Stale:
        return _exchange(endpoint, _connect(endpoint), message, reused=False)


def reset() -> None:
    """Close every idle connection and forget the TLS context (tests switch servers and trust stores)."""
    for idle in list(_idle.values()):
        while idle:
            idle.pop().close()
    _tls_context.cache_clear()


# A send takes a socket out and puts it back after a complete answer (list.pop and append are atomic),
# so threads never share one and a failed exchange never leaves a half-read socket behind.
_idle: dict[Endpoint, list[socket.socket]] = {}


def _exchange(endpoint: Endpoint, sock: socket.socket, message: bytes, *, reused: bool) -> tuple[int, bytes]:
    try:
        try:
            sock.sendall(message)
            first = sock.recv(65536)
        except (ConnectionError, ssl.SSLEOFError):
            if reused:
                raise _Stale from None
            raise
        if not first:
            raise _Stale() if reused else ConnectionError("closed without an answer")
        status, answer, keep_alive = read_answer(sock, first)
    except BaseException:
        sock.close()
        raise
    idle = _idle.setdefault(endpoint, [])
    if keep_alive and len(idle) < IDLE_PER_ENDPOINT:
        idle.append(sock)
    else:
        sock.close()  # "Connection: close", an HTTP/1.0 server, or an answer framed by closing
    return status, answer


def _connect(endpoint: Endpoint) -> socket.socket:
    default = 443 if endpoint.scheme == "https" else 80
    sock = socket.create_connection((endpoint.host, endpoint.port or default), timeout=TIMEOUT_S)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # one write per request; never wait
    if endpoint.scheme == "https":
        return _tls_context().wrap_socket(sock, server_hostname=endpoint.host)
    return sock


@lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()  # the system trust store, host names checked
