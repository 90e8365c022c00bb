"""A pg8000 connection that sends each statement to Postgres in one round trip.

pg8000 1.31 runs a parameterised statement as three exchanges (Parse; Describe; Bind + Execute,
each closed by a Sync), and BEGIN and COMMIT as more: a node step paid ~20 round trips for its four
statements (§11). The extended query protocol allows the whole Parse/Bind/Describe/Execute sequence
before a single Sync, as libpq and asyncpg send it; this connection does that, and holds BEGIN back
so it travels with the transaction's first statement. Replies, errors and transaction states are
the protocol's own, so pg8000 decodes them unchanged.
"""

from __future__ import annotations

import struct
from datetime import datetime
from typing import Any

import pg8000.legacy
from pg8000.converters import make_params, timestamptz_in
from pg8000.core import Context

_BEGIN = "begin transaction"
_SYNC = b"S\x00\x00\x00\x04"
_DESCRIBE_PORTAL = b"D\x00\x00\x00\x06P\x00"
_EXECUTE_ALL_ROWS = b"E\x00\x00\x00\x09\x00\x00\x00\x00\x00"
_READY_FOR_QUERY = b"Z"
_TIMESTAMPTZ = 1184  # the type oid
_DESCRIPTIONS_KEPT = 512
_int16 = struct.Struct("!h").pack
_int32 = struct.Struct("!i").pack
_code_and_length = struct.Struct("!ci").unpack


def _message(code: bytes, body: bytes | bytearray) -> bytes:
    return code + _int32(len(body) + 4) + bytes(body)


def _timestamptz_in(text: str) -> Any:
    """fromisoformat reads Postgres' ISO output ~10x faster than pg8000's strptime; anything it
    cannot read (infinity, BC, years past 9999) goes to pg8000's own parser."""
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return timestamptz_in(text)


def _network_error() -> Exception:
    from pg8000.exceptions import InterfaceError

    error: Exception = InterfaceError("network error")  # the text SQLAlchemy reads as a disconnect
    return error


class PipelinedConnection(pg8000.legacy.Connection):  # type: ignore[misc]
    """pg8000's DB-API connection with one round trip per statement and BEGIN sent along."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._begin_pending = False
        self._row_descriptions: dict[bytes, tuple[Any, Any]] = {}
        super().__init__(*args, **kwargs)
        self.pg_types[_TIMESTAMPTZ] = _timestamptz_in

    # --- replies ---------------------------------------------------------------------------
    def handle_ROW_DESCRIPTION(self, data: bytes, context: Any) -> None:
        """A statement describes its columns with the same bytes every time: parse them once."""
        known = self._row_descriptions.get(data)
        if known is None:
            super().handle_ROW_DESCRIPTION(data, context)
            if len(self._row_descriptions) < _DESCRIPTIONS_KEPT:
                self._row_descriptions[data] = (context.columns, context.input_funcs)
            return
        context.columns, context.input_funcs = known
        if context.rows is None:
            context.rows = []

    def register_in_adapter(self, oid: int, in_func: Any) -> None:
        self._row_descriptions.clear()  # the parsed descriptions hold the old reader
        super().register_in_adapter(oid, in_func)

    def handle_messages(self, context: Any) -> None:
        """pg8000's reply loop with one buffered read per header and body (its own copies each
        message through a bytearray, a cost paid for every row of every statement)."""
        read, handlers = self._sock.read, self.message_types
        code = None
        while code != _READY_FOR_QUERY:
            try:
                header = read(5)
                code, length = _code_and_length(header)
                body = read(length - 4)
            except (OSError, struct.error) as error:  # reset, timeout, or a short read at EOF
                raise _network_error() from error
            if len(body) != length - 4:
                raise _network_error()
            handlers[code](body, context)
        if context.error is not None:
            raise context.error

    # --- transactions ----------------------------------------------------------------------
    def commit(self) -> None:
        pending, self._begin_pending = self._begin_pending, False
        if pending or not self._in_transaction:  # nothing ran: pg8000 would still send COMMIT
            return
        super().commit()

    def rollback(self) -> None:
        self._begin_pending = False
        super().rollback()

    # --- statements ------------------------------------------------------------------------
    def execute_simple(self, statement: str) -> Any:
        if statement == _BEGIN and not self.autocommit:
            self._begin_pending = True  # sent with the next statement
            return Context(statement)
        contexts = self._take_begin()
        return self._exchange(contexts, _message(b"Q", self._text(statement)), Context(statement))

    def execute_unnamed(self, statement: str, vals: Any = (), oids: Any = (), stream: Any = None) -> Any:
        if stream is not None:  # COPY streams keep pg8000's own exchange
            self._send_begin_now()
            return super().execute_unnamed(statement, vals=vals, oids=oids, stream=stream)
        if self._begin_pending and statement in ("commit", "rollback"):
            self._begin_pending = False
            return Context(statement)
        contexts = self._take_begin()
        parse = bytearray(b"\x00" + self._text(statement) + _int16(len(oids)))
        for oid in oids:
            parse += _int32(0 if oid == -1 else oid)
        bind = bytearray(b"\x00\x00" + _int16(0))  # unnamed portal and statement; text parameters
        params = make_params(self.py_types, vals)
        bind += _int16(len(params))
        for value in params:
            if value is None:
                bind += _int32(-1)
            else:
                encoded = value.encode(self._client_encoding)
                bind += _int32(len(encoded)) + encoded
        bind += _int16(0)  # text results
        request = _message(b"P", parse) + _message(b"B", bind) + _DESCRIBE_PORTAL + _EXECUTE_ALL_ROWS + _SYNC
        return self._exchange(contexts, request, Context(statement))

    # --- plumbing --------------------------------------------------------------------------
    def _text(self, statement: str) -> bytes:
        return statement.encode(self._client_encoding) + b"\x00"

    def _take_begin(self) -> list[tuple[bytes, Any]]:
        """The held-back BEGIN as a simple query to send ahead of the next statement."""
        if not self._begin_pending:
            return []
        self._begin_pending = False
        return [(_message(b"Q", self._text(_BEGIN)), Context(_BEGIN))]

    def _send_begin_now(self) -> None:
        for request, context in self._take_begin():
            self._exchange([], request, context)

    def _exchange(self, before: list[tuple[bytes, Any]], request: bytes, context: Any) -> Any:
        """Write everything in one go, then read each part's replies up to its ReadyForQuery. Every
        reply is read before an error is raised, so the connection stays in step with the server."""
        from pg8000.exceptions import InterfaceError

        contexts = [ctx for _, ctx in before] + [context]
        try:
            self._sock.write(b"".join([req for req, _ in before] + [request]))
            self._sock.flush()
        except (OSError, AttributeError, ValueError) as error:
            raise InterfaceError("network error") from error
        first_error: BaseException | None = None
        for ctx in contexts:
            try:
                self.handle_messages(ctx)
            except Exception as error:
                first_error = first_error or error
                if isinstance(error, InterfaceError):
                    break  # the socket is gone: nothing more to read
        if first_error is not None:
            raise first_error
        return context
