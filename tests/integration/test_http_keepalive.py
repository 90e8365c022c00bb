"""The lean path's HTTP/1.1 client against a scripted server on loopback: every way an answer may be
framed, when a connection is kept or dropped, what is retried, and that TLS verifies what it talks to.
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tls_support import localhost_tls

from a2n.adapters import http_keepalive
from a2n.adapters.http_answer import HttpFramingError
from a2n.adapters.http_keepalive import endpoint_of, post

OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: 2\r\n\r\n{}"
HEADERS = {"host": "sqs.test", "x-amz-target": "AmazonSQS.SendMessageBatch"}


class ScriptedServer:
    """Answers each request with the next scripted bytes, then closes the connection when the script
    says so (whatever the bytes announced). Counts connections; keeps every request as received."""

    def __init__(self, *script: tuple[bytes, bool], tls: ssl.SSLContext | None = None) -> None:
        self.script, self.tls = list(script), tls
        self.requests: list[bytes] = []
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            with conn:
                data = b""
                while True:
                    while b"\r\n\r\n" not in data:
                        if not (chunk := conn.recv(65536)):
                            return
                        data += chunk
                    head, _, data = data.partition(b"\r\n\r\n")
                    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                    while len(data) < length:
                        data += conn.recv(65536)
                    self.requests.append(head + b"\r\n\r\n" + data[:length])
                    data = data[length:]
                    answer, close = self.script.pop(0)
                    conn.sendall(answer)
                    if close:
                        return
        except OSError:
            pass  # a client that refused our certificate


@pytest.fixture(autouse=True)
def fresh_connections() -> Iterator[None]:
    http_keepalive.reset()
    yield
    http_keepalive.reset()


def serve(*script: tuple[bytes, bool], tls: ssl.SSLContext | None = None) -> Iterator[ScriptedServer]:
    server = ScriptedServer(*script, tls=tls)
    yield server
    server.close()


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[ScriptedServer]:
    yield from serve(*request.param)


def at(server: ScriptedServer, scheme: str = "http", host: str = "127.0.0.1") -> Any:
    return endpoint_of(f"{scheme}://{host}:{server.port}")


@pytest.mark.parametrize("server", [[(OK, False), (OK, False)]], indirect=True)
def test_the_request_is_one_post_with_its_length_and_the_connection_is_kept(server: ScriptedServer) -> None:
    assert post(at(server), b'{"a":1}', HEADERS) == (200, b"{}")
    assert post(at(server), b'{"b":2}', HEADERS) == (200, b"{}")

    assert server.connections == 1
    head, _, body = server.requests[0].partition(b"\r\n\r\n")
    assert head.split(b"\r\n") == [
        b"POST / HTTP/1.1",
        b"host: sqs.test",
        b"x-amz-target: AmazonSQS.SendMessageBatch",
        b"accept-encoding: identity",
        b"content-length: 7",
    ]
    assert body == b'{"a":1}'


CHUNKED = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    b'5;ext=1\r\n{"Fai\r\nA\r\nled":[]}\r\n\r\n0\r\nX-Trailer: t\r\n\r\n'
)


@pytest.mark.parametrize(
    ("server", "answer", "connections"),
    [
        ([(CHUNKED, False), (OK, False)], (200, b'{"Failed":[]}\r\n'), 1),
        (
            [(b"HTTP/1.1 200 OK\r\n\r\nuntil the server closes", True), (OK, False)],
            (200, b"until the server closes"),
            2,
        ),
        (
            [(OK.replace(b"Content-Length", b"Connection: close\r\nContent-Length"), False), (OK, False)],
            (200, b"{}"),
            2,
        ),
        ([(OK.replace(b"HTTP/1.1", b"HTTP/1.0"), False), (OK, False)], (200, b"{}"), 2),
        ([(b"HTTP/1.1 100 Continue\r\n\r\n" + OK, False), (OK, False)], (200, b"{}"), 1),
        ([(OK.replace(b"200 OK", b"503 Slow Down"), False), (OK, False)], (503, b"{}"), 1),
        ([(b"HTTP/1.1 204 No Content\r\n\r\n", False), (OK, False)], (204, b""), 1),
    ],
    ids=["chunked", "until-close", "connection-close", "http-1.0", "100-continue", "503", "204"],
    indirect=["server"],
)
def test_each_framing_yields_the_whole_body_and_only_a_reusable_connection_is_reused(
    server: ScriptedServer, answer: tuple[int, bytes], connections: int
) -> None:
    # The server keeps every connection open unless the framing needs the close: a new connection for
    # the second request means the client itself honoured "Connection: close" or HTTP/1.0.
    assert post(at(server), b"{}", HEADERS) == answer
    assert post(at(server), b"{}", HEADERS) == (200, b"{}")

    assert server.connections == connections
    assert len(server.requests) == 2  # nothing was sent twice


@pytest.mark.parametrize(
    "server",
    [
        [(b"SSH-2.0-OpenSSH_9.6\r\n\r\n", True)],
        [(OK.replace(b"Content-Type", b"Content-Encoding: gzip\r\nContent-Type"), False)],
        [(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", False)],
        [(b"HTTP/1.1 200 OK\r\nno colon here\r\nContent-Length: 2\r\n\r\n{}", False)],
    ],
    ids=["not-http", "gzip", "transfer-coding", "bad-header"],
    indirect=True,
)
def test_an_answer_this_client_does_not_understand_is_an_error_not_a_guess(server: ScriptedServer) -> None:
    with pytest.raises(HttpFramingError):
        post(at(server), b"{}", HEADERS)


@pytest.mark.parametrize(
    "server", [[(OK + b"junk", False), (OK.replace(b"{}", b"[]"), False)]], indirect=True
)
def test_bytes_past_the_announced_length_make_the_connection_unusable(server: ScriptedServer) -> None:
    assert post(at(server), b"{}", HEADERS) == (200, b"{}")
    assert post(at(server), b"{}", HEADERS) == (200, b"[]")
    assert server.connections == 2


@pytest.mark.parametrize("server", [[(OK, True), (OK, False)]], indirect=True)
def test_a_kept_alive_connection_the_server_closed_is_retried_once_on_a_fresh_one(
    server: ScriptedServer,
) -> None:
    assert post(at(server), b'{"n":1}', HEADERS) == (200, b"{}")  # then closed without a word

    assert post(at(server), b'{"n":2}', HEADERS) == (200, b"{}")
    assert server.connections == 2
    assert [r.rpartition(b"\r\n\r\n")[2] for r in server.requests] == [b'{"n":1}', b'{"n":2}']


@pytest.mark.parametrize("server", [[(b"", True), (OK, False)]], indirect=True)
def test_a_fresh_connection_closed_without_an_answer_is_an_error_and_not_resent(
    server: ScriptedServer,
) -> None:
    with pytest.raises(ConnectionError):
        post(at(server), b"{}", HEADERS)

    assert len(server.requests) == 1


def test_a_refused_connection_is_an_oserror() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    with pytest.raises(OSError):
        post(endpoint_of(f"http://127.0.0.1:{port}"), b"{}", HEADERS)


def test_a_header_value_with_a_line_break_is_refused_before_anything_is_sent() -> None:
    with pytest.raises(ValueError, match="spans lines"):
        post(
            endpoint_of("http://127.0.0.1:9"), b"{}", {"host": "h", "x-amz-security-token": "a\r\nx-evil: 1"}
        )


# --- TLS --------------------------------------------------------------------------------------------


@pytest.fixture
def tls(tmp_path: Path) -> tuple[ssl.SSLContext, Path]:
    """A server context for "localhost" and the file of the test CA that signed it."""
    return localhost_tls(tmp_path)


def test_tls_refuses_a_certificate_no_trusted_authority_signed(tls: tuple[ssl.SSLContext, Path]) -> None:
    for server in serve((OK, False), tls=tls[0]):
        with pytest.raises(ssl.SSLCertVerificationError):
            post(at(server, "https", "localhost"), b"{}", HEADERS)
        assert server.requests == []


def test_tls_to_a_trusted_server_keeps_the_connection_and_checks_the_host_name(
    tls: tuple[ssl.SSLContext, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tls[1]))  # OpenSSL's default trust store, for this test
    http_keepalive.reset()
    for server in serve((OK, False), (OK, False), tls=tls[0]):
        assert post(at(server, "https", "localhost"), b"{}", HEADERS) == (200, b"{}")
        assert post(at(server, "https", "localhost"), b"{}", HEADERS) == (200, b"{}")
        assert server.connections == 1

        with pytest.raises(ssl.SSLCertVerificationError, match=r"IP address mismatch|hostname"):
            post(at(server, "https", "127.0.0.1"), b"{}", HEADERS)  # the certificate names localhost
