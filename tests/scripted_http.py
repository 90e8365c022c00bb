"""A local HTTP server for tests: answers from a script of statuses and counts every hit.

Shared by integration and e2e tests (this folder is on sys.path for both): the hit count is how tests
see side effects of the http_request node, e.g. that a duplicate delivery did not call twice.
"""

from __future__ import annotations

import http.server
import json
import threading
from typing import Any


class JsonHandler(http.server.BaseHTTPRequestHandler):
    """A quiet request handler with a JSON answer; test servers subclass it with their routes."""

    def send_json(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


def serve(handler: type[http.server.BaseHTTPRequestHandler]) -> http.server.ThreadingHTTPServer:
    """A threaded server on a free loopback port, serving in the background until shutdown()."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class HitServer:
    """Answers GET/POST on ``url`` with the next scripted status (then 200) and ``{"hit": n}``."""

    def __init__(self, statuses: list[int] | None = None, *, path: str = "/hook") -> None:
        self.hits = 0
        self.statuses = list(statuses or [])
        outer = self

        class Handler(JsonHandler):
            def do_POST(self) -> None:
                self.do_GET()

            def do_GET(self) -> None:
                outer.hits += 1
                self.send_json(outer.statuses.pop(0) if outer.statuses else 200, {"hit": outer.hits})

        self.server = serve(Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class RecordingServer:
    """Records every POST (path, lower-cased headers, raw body) and answers the next scripted status
    (then ``default``): a stand-in for a Slack incoming webhook or a webhook receiver."""

    def __init__(self, statuses: list[int] | None = None, *, default: int = 200) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.statuses = list(statuses or [])
        self.default = default
        outer = self

        class Handler(JsonHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                outer.requests.append((self.path, headers, body))
                self.send_json(outer.statuses.pop(0) if outer.statuses else outer.default, {"ok": True})

        self.server = serve(Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def bodies(self) -> list[Any]:
        return [json.loads(body) for _, _, body in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
