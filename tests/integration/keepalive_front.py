"""A keep-alive HTTP/1.1 front for moto: moto's werkzeug server closes every connection after one
answer, so connection reuse (and a server closing an idle kept-alive connection) can only be
tested through a front that keeps connections open until told to drop them, like an AWS endpoint.
It forwards each request to moto unchanged and records who sent it (the User-Agent)."""

from __future__ import annotations

import contextlib
import http.client
import socket
import socketserver
import threading
from dataclasses import dataclass, field
from typing import Any

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


@dataclass
class Seen:
    connection: int  # the front's count of client connections when the request came
    target: str
    user_agent: str


@dataclass
class KeepAliveFront:
    upstream_host: str
    upstream_port: int
    seen: list[Seen] = field(default_factory=list)
    _sockets: list[socket.socket] = field(default_factory=list)
    _connections: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: Any = None

    def start(self) -> str:
        front = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                with front._lock:
                    front._connections += 1
                    number = front._connections
                    front._sockets.append(self.connection)
                try:
                    while front._serve_one(number, self.rfile, self.wfile):
                        pass
                except OSError:
                    pass  # dropped by drop_connections()

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self.url

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        self.drop_connections()
        self._server.shutdown()
        self._server.server_close()

    def drop_connections(self) -> None:
        """Close every client connection from the server side, as an idle timeout does."""
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _serve_one(self, number: int, rfile: Any, wfile: Any) -> bool:
        request_line = rfile.readline()
        if not request_line:
            return False
        method, path, _ = request_line.decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        while (line := rfile.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        body = rfile.read(int(headers.get("content-length", "0")))
        self.seen.append(Seen(number, headers.get("x-amz-target", ""), headers.get("user-agent", "")))
        upstream = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=10)
        upstream.request(method, path, body, {k: v for k, v in headers.items() if k not in HOP_BY_HOP})
        answer = upstream.getresponse()
        data = answer.read()
        upstream.close()
        lines = [f"HTTP/1.1 {answer.status} {answer.reason}"]
        lines += [f"{k}: {v}" for k, v in answer.getheaders() if k.lower() not in HOP_BY_HOP]
        lines += [f"Content-Length: {len(data)}", "", ""]
        wfile.write("\r\n".join(lines).encode("latin-1") + data)
        wfile.flush()
        return True
