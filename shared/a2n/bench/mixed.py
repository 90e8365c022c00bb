"""The mixed sync workflow of issue 10: webhook → http_request (a local server) → 5 pure → http_request →
2 pure, answered by its last node. Measures exec/s, latency, and what each execution costs in node steps
(= SQS messages, the I/O nodes only when pure nodes run inline) and in the webhook's own invocation."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from a2n.bench.webhooks import SECRET


class _Answer(BaseHTTPRequestHandler):
    """Answers every request at once with a small JSON body (the I/O nodes' far end)."""

    def do_GET(self) -> None:
        body = json.dumps({"ok": True, "path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:  # quiet: the bench prints its own progress
        return


@contextmanager
def local_server() -> Iterator[str]:
    """A loopback HTTP server for the run; its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def mixed_workflow(base_url: str, *, inline: bool) -> dict[str, Any]:
    """hook → call1 → p1…p5 → call2 → q1, q2 (sync; the answer is q2's output, which echoes seq)."""
    auth = {"type": "hmac", "preset": "generic", "secret": SECRET}
    seq = {"seq": "{{ trigger.body.seq }}"}
    chain: list[dict[str, Any]] = [
        {"id": "hook", "type": "trigger.webhook", "config": {"method": "POST", "mode": "sync", "auth": auth}},
        {"id": "call1", "type": "http_request", "config": {"method": "GET", "url": f"{base_url}/one"}},
        *({"id": f"p{i}", "type": "transform", "config": {"value": {**seq, "step": i}}} for i in range(1, 6)),
        {"id": "call2", "type": "http_request", "config": {"method": "GET", "url": f"{base_url}/two"}},
        {"id": "q1", "type": "transform", "config": {"value": {**seq, "status": "{{ input.status }}"}}},
        {"id": "q2", "type": "transform", "config": {"value": {"seq": "{{ input.seq }}"}}},
    ]  # fmt: skip
    return {
        "nodes": chain,
        "connections": [{"source": a["id"], "target": b["id"]} for a, b in itertools.pairwise(chain)],
        "settings": {"inlinePureNodes": inline},
    }
