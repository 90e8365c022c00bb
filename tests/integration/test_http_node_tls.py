"""HTTPS through the pinned connection: the socket goes to the vetted address while SNI and the
certificate check use the URL's host name (a test CA is trusted through A2N_HTTP_CA_BUNDLE)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from tls_support import localhost_tls

from a2n.nodes.context import NodeContext, NodeFailed, NodeResult
from a2n.nodes.http import client
from a2n.nodes.registry import get_runner
from a2n.settings import reset_settings


class Echo(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"hello over tls"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def tls_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[int, list[str | None]]]:
    server_names: list[str | None] = []
    context, ca_file = localhost_tls(tmp_path)
    context.sni_callback = lambda sock, name, ctx: server_names.append(name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    monkeypatch.setenv("A2N_HTTP_ALLOW_NETWORKS", '["127.0.0.0/8"]')
    monkeypatch.setenv("A2N_HTTP_CA_BUNDLE", str(ca_file))
    reset_settings()
    client._tls_context.cache_clear()
    yield server.server_address[1], server_names
    server.shutdown()
    server.server_close()
    reset_settings()
    client._tls_context.cache_clear()


def call(url: str) -> NodeResult:
    ctx = NodeContext(
        execution_id="ex-1",
        node_id="call",
        node_type="http_request",
        attempt=1,
        config={"method": "GET", "url": url, "timeoutMs": 5000},
        input=None,
        expression_context={},
        credential=None,
        timeout_s=5.0,
        now=dt.datetime(2025, 3, 1, tzinfo=dt.UTC),
    )
    return get_runner("http_request")(ctx)


def test_https_to_a_name_sends_sni_and_verifies_the_certificate_for_that_name(
    tls_server: tuple[int, list[str | None]],
) -> None:
    port, server_names = tls_server
    result = call(f"https://localhost:{port}/")
    assert result.output["body"] == "hello over tls"
    assert server_names == ["localhost"]


def test_a_certificate_that_does_not_name_the_host_fails_not_retryable(
    tls_server: tuple[int, list[str | None]],
) -> None:
    port, _ = tls_server
    with pytest.raises(NodeFailed, match="TLS failed") as failure:
        call(f"https://127.0.0.1:{port}/")  # the certificate names localhost only
    assert failure.value.retryable is False
