"""SECURITY case 24 through the http_request node with the guard on (no allow-list): every form of
"this machine", metadata and private address is refused before any connection is made."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from a2n.nodes.context import NodeContext, NodeFailed
from a2n.nodes.http import ssrf
from a2n.nodes.registry import get_runner
from a2n.settings import reset_settings


class Listener(ThreadingHTTPServer):
    """A local server that only counts what reaches it."""

    hits = 0


class CountingHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        assert isinstance(self.server, Listener)
        self.server.hits += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def listener(monkeypatch: pytest.MonkeyPatch) -> Iterator[Listener]:
    monkeypatch.delenv("A2N_HTTP_ALLOW_NETWORKS", raising=False)
    reset_settings()
    server = Listener(("0.0.0.0", 0), CountingHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()
    reset_settings()


def call(url: str) -> None:
    ctx = NodeContext(
        execution_id="ex-1",
        node_id="call",
        node_type="http_request",
        attempt=1,
        config={"method": "GET", "url": url, "timeoutMs": 2000},
        input=None,
        expression_context={},
        credential=None,
        timeout_s=5.0,
        now=datetime(2025, 3, 1, tzinfo=UTC),
    )
    get_runner("http_request")(ctx)


# Every way of writing "this machine" that libc would connect to, aimed at the listener's port.
LOCAL_FORMS = [
    "127.0.0.1",
    "localhost",
    "127.1",
    "2130706433",  # decimal
    "0x7f000001",  # hex
    "017700000001",  # octal
    "0177.0.0.1",
    "0.0.0.0",
    "[::ffff:127.0.0.1]",
    "[::1]",
]
ELSEWHERE = [
    "http://169.254.169.254/latest/meta-data/iam/",
    "http://[::ffff:169.254.169.254]/",
    "http://2852039166/",
    "http://0251.0376.0251.0376/",
    "http://0xa9fea9fe/",
    "http://[fd00:ec2::254]/",
    "http://10.0.0.1/",
    "http://172.31.255.255/",
    "http://192.168.0.1/",
    "http://100.100.100.200/",
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_INFO",
]


@pytest.mark.parametrize("host", LOCAL_FORMS)
def test_local_address_forms_are_blocked_before_connecting(listener: Listener, host: str) -> None:
    with pytest.raises(NodeFailed, match="blocked") as failure:
        call(f"http://{host}:{listener.server_address[1]}/")
    assert failure.value.retryable is False
    assert listener.hits == 0


@pytest.mark.parametrize("url", ELSEWHERE)
def test_metadata_private_and_non_http_targets_are_blocked(listener: Listener, url: str) -> None:
    with pytest.raises(NodeFailed, match="blocked"):
        call(url)
    assert listener.hits == 0


def test_a_dns_name_resolving_to_a_private_address_is_blocked(
    listener: Listener, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ssrf, "resolve_host", lambda host, port: ["127.0.0.1"])
    with pytest.raises(NodeFailed, match="blocked") as failure:
        call(f"http://rebind.attacker.example:{listener.server_address[1]}/")
    assert listener.hits == 0
    assert "127.0.0.1" not in str(failure.value.as_error())


@pytest.mark.parametrize(
    ("host", "resolved"),
    [("localhost", "127.0.0.1"), ("127.1", "127.0.0.1"), ("2852039166", "169.254.169.254"),
     ("0251.0376.0251.0376", "169.254.169.254"), ("0xa9fea9fe", "169.254.169.254")],
)  # fmt: skip
def test_refusals_name_the_host_as_written_never_the_address_it_resolved_to(
    listener: Listener, host: str, resolved: str
) -> None:
    with pytest.raises(NodeFailed) as failure:
        call(f"http://{host}:{listener.server_address[1]}/")
    error = failure.value.as_error()
    assert resolved not in str(error)
    assert f"'{host}' resolves to a non-public address" in error["message"]
    assert "A2N_HTTP_ALLOW_NETWORKS" in error["message"]


def test_the_same_listener_is_reachable_once_the_operator_allows_loopback(
    listener: Listener, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Proves the blocked cases above were blocked by the guard, not by a dead listener.
    monkeypatch.setenv("A2N_HTTP_ALLOW_NETWORKS", '["127.0.0.0/8"]')
    reset_settings()
    call(f"http://127.1:{listener.server_address[1]}/")
    assert listener.hits == 1
