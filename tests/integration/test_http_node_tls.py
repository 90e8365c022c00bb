"""HTTPS through the pinned connection: the socket goes to the vetted address while SNI and the
certificate check use the URL's host name (a test CA is trusted through A2N_HTTP_CA_BUNDLE)."""

from __future__ import annotations

import datetime as dt
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from a2n.nodes.context import NodeContext, NodeFailed, NodeResult
from a2n.nodes.http import client
from a2n.nodes.registry import get_runner
from a2n.settings import reset_settings


def _certificate(
    subject: str, issuer: x509.Name | None, key: Any, signer: Any, *, ca: bool
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer or x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False
        )
    return builder.sign(signer, hashes.SHA256())


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
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_cert = _certificate("a2n test CA", None, ca_key, ca_key, ca=True)
    server_cert = _certificate("localhost", ca_cert.subject, server_key, ca_key, ca=False)
    (tmp_path / "ca.pem").write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "server.pem").write_bytes(
        server_cert.public_bytes(serialization.Encoding.PEM)
        + server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    server_names: list[str | None] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "server.pem")
    context.sni_callback = lambda sock, name, ctx: server_names.append(name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    monkeypatch.setenv("A2N_HTTP_ALLOW_NETWORKS", '["127.0.0.0/8"]')
    monkeypatch.setenv("A2N_HTTP_CA_BUNDLE", str(tmp_path / "ca.pem"))
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
