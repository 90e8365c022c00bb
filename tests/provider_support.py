"""A loopback HTTPS server that answers for real provider host names (slack.com, api.github.com …):
a test CA signs a certificate for those names, the SSRF guard's resolver maps them to 127.0.0.1,
and the client's socket opener sends port 443 to the server's port. The client code under test is
unchanged: same URL, same TLS verification against the host name, same allow-lists.

Each request is recorded exactly as it arrived (method, path with query, headers, raw body); the
answer comes from a per-test table (method, path) → (status, headers, body).
"""

from __future__ import annotations

import datetime as dt
import json
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from a2n.nodes.http import client, ssrf
from a2n.settings import reset_settings


@dataclass
class Recorded:
    method: str
    host: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class ProviderServer:
    port: int
    answers: dict[tuple[str, str], tuple[int, dict[str, str], Any]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)

    def answer(
        self, method: str, path: str, body: Any, *, status: int = 200, headers: dict[str, str] | None = None
    ) -> None:
        """``path`` is matched with its query string when it has one, else without."""
        self.answers[(method, path)] = (status, headers or {"Content-Type": "application/json"}, body)


def _certificate(directory: Path, hosts: list[str]) -> tuple[ssl.SSLContext, Path]:
    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "a2n provider test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=2))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in hosts]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    (directory / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (directory / "server.pem").write_bytes(
        leaf.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(directory / "server.pem")
    return context, directory / "ca.pem"


PROVIDER_HOSTS = [
    "slack.com",
    "api.github.com",
    "api.stripe.com",
    "api.notion.com",
    "api.airtable.com",
    "sheets.googleapis.com",
    "oauth2.googleapis.com",
    "discord.com",
    "api.telegram.org",
    "api.sendgrid.com",
    "api.openai.com",
    "api.anthropic.com",
    "evil.example",
]


def serve_providers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ProviderServer]:
    """The server for a fixture: ``yield from serve_providers(tmp_path, monkeypatch)``."""
    context, ca_file = _certificate(tmp_path, PROVIDER_HOSTS)
    state = ProviderServer(port=0)

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            state.requests.append(Recorded(self.command, headers.get("host", ""), self.path, headers, body))
            found = state.answers.get((self.command, self.path)) or state.answers.get(
                (self.command, self.path.split("?", 1)[0])
            )
            status, answer_headers, answer = found or (
                404,
                {"Content-Type": "application/json"},
                {"error": "no route"},
            )
            raw = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
            self.send_response(status)
            for name, value in answer_headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    state.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    real_open = client.open_socket
    monkeypatch.setattr(
        ssrf, "resolve_host", lambda host, port: ["127.0.0.1"] if host in PROVIDER_HOSTS else []
    )
    monkeypatch.setattr(
        client,
        "open_socket",
        lambda address, port, timeout: real_open("127.0.0.1", state.port if port == 443 else port, timeout),
    )
    monkeypatch.setenv("A2N_HTTP_ALLOW_NETWORKS", '["127.0.0.0/8"]')
    monkeypatch.setenv("A2N_HTTP_CA_BUNDLE", str(ca_file))
    reset_settings()
    client._tls_context.cache_clear()
    yield state
    server.shutdown()
    server.server_close()
    monkeypatch.undo()
    reset_settings()
    client._tls_context.cache_clear()
