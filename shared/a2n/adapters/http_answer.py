"""Reads one HTTP/1.1 answer off a socket for http_keepalive: status line, headers, and a body framed
by Content-Length, by chunks or by the server closing. Strict on purpose: anything unexpected is an
HttpFramingError, and the lean path's caller then sends through botocore instead.
"""

from __future__ import annotations

import socket

MAX_HEAD, MAX_BODY = 64 * 1024, 16 * 1024 * 1024  # SQS answers are a few hundred bytes


class HttpFramingError(OSError):
    """The answer is not HTTP/1.x as this reader understands it."""


def read_answer(sock: socket.socket, first: bytes) -> tuple[int, bytes, bool]:
    """The status, the body, and whether the connection may carry another request; ``first`` is
    what was already received."""
    reader = _Reader(sock, first)
    status, body, keep_alive = reader.read()
    return status, body, keep_alive and not reader.data  # bytes past the answer: a confused server


class _Reader:
    """Reads one response: status line, headers, body by Content-Length, chunks, or until close."""

    def __init__(self, sock: socket.socket, data: bytes) -> None:
        self.sock, self.data = sock, data

    def read(self) -> tuple[int, bytes, bool]:
        status, fields, version = 100, {}, b""
        while 100 <= status < 200:  # interim answers (100 Continue) come before the real one
            head = self._until(b"\r\n\r\n", MAX_HEAD).split(b"\r\n")
            version, _, rest = head[0].partition(b" ")
            if not version.startswith(b"HTTP/1.") or not rest[:3].isdigit():
                raise HttpFramingError("not an HTTP/1.x status line")
            status = int(rest[:3])
            fields = dict(self._field(line) for line in head[1:])
        keep_alive = version == b"HTTP/1.1" and b"close" not in fields.get(b"connection", b"").lower()
        if fields.get(b"content-encoding", b"identity").lower() != b"identity":
            raise HttpFramingError("an encoded answer although identity was asked for")
        if status in (204, 304):
            return status, b"", keep_alive
        if b"transfer-encoding" in fields:
            if fields[b"transfer-encoding"].lower() != b"chunked":
                raise HttpFramingError("a transfer coding other than chunked")
            return status, self._chunked(), keep_alive
        if b"content-length" in fields:
            return status, self._exactly(int(fields[b"content-length"])), keep_alive
        while chunk := self.sock.recv(65536):  # neither: the body ends when the server closes
            self._append(chunk)
        body, self.data = self.data, b""
        return status, body, False

    def _chunked(self) -> bytes:
        parts = []
        while size := int(self._until(b"\r\n", MAX_HEAD).partition(b";")[0], 16):
            parts.append(self._exactly(size))
            if self._exactly(2) != b"\r\n":
                raise HttpFramingError("a chunk without its CRLF")
        while self._until(b"\r\n", MAX_HEAD):  # trailer fields, up to the empty line
            pass
        return b"".join(parts)

    def _until(self, mark: bytes, limit: int) -> bytes:
        while (end := self.data.find(mark)) < 0:
            if len(self.data) > limit:
                raise HttpFramingError("an answer line over the limit")
            self._more()
        taken, self.data = self.data[:end], self.data[end + len(mark) :]
        return taken

    def _exactly(self, size: int) -> bytes:
        if size > MAX_BODY:
            raise HttpFramingError("an answer over the limit")
        while len(self.data) < size:
            self._more()
        taken, self.data = self.data[:size], self.data[size:]
        return taken

    def _more(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed in the middle of an answer")
        self._append(chunk)

    def _append(self, chunk: bytes) -> None:
        if len(self.data) > MAX_BODY:
            raise HttpFramingError("an answer over the limit")
        self.data += chunk

    @staticmethod
    def _field(line: bytes) -> tuple[bytes, bytes]:
        name, colon, value = line.partition(b":")
        if not colon:
            raise HttpFramingError("a header line without a colon")
        return name.strip().lower(), value.strip()
