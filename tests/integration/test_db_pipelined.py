"""PipelinedConnection against a real Postgres: one write per statement (BEGIN rides along), the same
results, errors and transaction states as pg8000's own exchange, and a connection that stays in step
with the server after every kind of failure."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from a2n.db.pipelined import PipelinedConnection
from a2n.db.session import get_engine


class CountingSocket:
    """Stands in for the connection's buffered socket and counts flushes: one flush is one request."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.flushes = 0

    def flush(self) -> None:
        self.flushes += 1
        self.inner.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture
def raw(database_url: str) -> Iterator[PipelinedConnection]:
    connection = get_engine().raw_connection()
    driver = connection.driver_connection
    assert isinstance(driver, PipelinedConnection)
    try:
        yield driver
    finally:
        connection.invalidate()  # tests below leave odd states behind; never return it to the pool


def counted(raw: PipelinedConnection) -> CountingSocket:
    sock = CountingSocket(raw._sock)
    raw._sock = sock
    return sock


def test_a_transaction_of_three_statements_costs_four_requests_with_begin_riding_along(
    raw: PipelinedConnection,
) -> None:
    sock = counted(raw)
    cursor = raw.cursor()
    cursor.execute("CREATE TEMP TABLE t (n int)")
    cursor.execute("INSERT INTO t VALUES (%s), (%s)", (1, 2))
    cursor.execute("SELECT sum(n) FROM t WHERE n > %s", (0,))
    assert list(cursor.fetchall()) == [[3]]
    raw.commit()
    assert sock.flushes == 4
    assert raw._transaction_status == b"I"  # committed: idle again


def test_values_round_trip_with_their_types(raw: PipelinedConnection) -> None:
    cursor = raw.cursor()
    ident = uuid.uuid4()
    when = datetime(2026, 11, 22, 5, 0, 1, 123456, tzinfo=UTC)
    cursor.execute(
        "SELECT %s::uuid, %s::timestamptz, %s::text, %s::jsonb, %s::int IS NULL",
        (str(ident), when, "zoë ✓", '{"a": [1, null]}', None),
    )
    (row,) = cursor.fetchall()
    assert row[0] == ident
    assert row[1] == when
    assert row[2] == "zoë ✓"
    assert row[3] == {"a": [1, None]}
    assert row[4] is True


def test_update_reports_its_row_count_and_a_statement_without_rows_has_no_result(
    raw: PipelinedConnection,
) -> None:
    cursor = raw.cursor()
    cursor.execute("CREATE TEMP TABLE u (n int)")
    cursor.execute("INSERT INTO u SELECT generate_series(1, %s)", (5,))
    cursor.execute("UPDATE u SET n = n + 1 WHERE n > %s", (2,))
    assert cursor.rowcount == 3
    assert cursor.description is None


def test_commit_or_rollback_with_nothing_run_sends_nothing(raw: PipelinedConnection) -> None:
    sock = counted(raw)
    raw.cursor()
    raw.commit()
    raw.rollback()
    assert sock.flushes == 0


def test_an_error_in_a_pipelined_statement_aborts_the_transaction_like_pg8000(
    raw: PipelinedConnection,
) -> None:
    cursor = raw.cursor()
    with pytest.raises(Exception, match="division by zero"):
        cursor.execute("SELECT 1 / %s", (0,))
    assert raw._transaction_status == b"E"  # BEGIN went through; the failure aborted the transaction
    with pytest.raises(Exception, match=r"in failed transaction|current transaction is aborted"):
        cursor.execute("SELECT %s::int", (1,))
    raw.rollback()
    cursor.execute("SELECT %s::int + 1", (1,))
    assert list(cursor.fetchall()) == [[2]]


def test_a_statement_that_does_not_parse_leaves_the_connection_in_step(raw: PipelinedConnection) -> None:
    cursor = raw.cursor()
    with pytest.raises(Exception, match="syntax error"):
        cursor.execute("SELEC %s", (1,))
    raw.rollback()
    cursor.execute("SELECT %s::text", ("still in step",))
    assert list(cursor.fetchall()) == [["still in step"]]


def test_statements_without_parameters_keep_the_simple_protocol_with_begin_sent_ahead(
    raw: PipelinedConnection,
) -> None:
    sock = counted(raw)
    cursor = raw.cursor()
    cursor.execute("CREATE TEMP TABLE m (n int); INSERT INTO m VALUES (7); SELECT n FROM m")
    assert list(cursor.fetchall()) == [[7]]
    assert sock.flushes == 1
    assert raw._transaction_status == b"T"
    raw.rollback()


def test_notices_from_the_server_are_collected(raw: PipelinedConnection) -> None:
    cursor = raw.cursor()
    cursor.execute("DO $$ BEGIN RAISE NOTICE 'hello %', 'there'; END $$")
    cursor.execute("SELECT %s::int", (1,))
    assert any(b"hello there" in notice.get(b"M", b"") for notice in raw.notices)


def test_autocommit_sends_no_begin(raw: PipelinedConnection) -> None:
    raw.autocommit = True
    cursor = raw.cursor()
    cursor.execute("SELECT %s::int", (1,))
    assert raw._transaction_status == b"I"


def test_a_connection_killed_by_the_server_is_reported_as_a_disconnect(database_url: str) -> None:
    engine = get_engine()
    with engine.connect() as victim:
        pid = victim.execute(text("SELECT pg_backend_pid()")).scalar_one()
        killer = create_engine(engine.url, poolclass=NullPool)  # the pool holds one connection
        with killer.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        killer.dispose()
        with pytest.raises(DBAPIError) as failure:
            victim.execute(text("SELECT :n"), {"n": 1})
        assert failure.value.connection_invalidated
    with engine.connect() as fresh:  # the pool replaced it
        assert fresh.execute(text("SELECT CAST(:n AS int)"), {"n": 2}).scalar_one() == 2


@pytest.mark.parametrize(
    "literal",
    [
        "2026-11-22 05:00:01.5+00",
        "2026-11-22 05:00:01+05:30",
        "1999-01-08 04:05:06.000001-08",
        "infinity",
        "-infinity",
        "0044-03-15 12:00:00+00 BC",
    ],
)
def test_timestamps_read_the_same_as_pg8000_reads_them(raw: PipelinedConnection, literal: str) -> None:
    from pg8000.converters import timestamptz_in

    cursor = raw.cursor()
    cursor.execute("SET TIME ZONE 'UTC'")
    cursor.execute("SELECT %s::timestamptz, %s::timestamptz::text", (literal, literal))
    ((value, as_text),) = cursor.fetchall()
    assert value == timestamptz_in(as_text)


def test_a_reader_registered_later_applies_to_statements_already_seen(raw: PipelinedConnection) -> None:
    cursor = raw.cursor()
    statement = "SELECT %s::json, %s::int"
    cursor.execute(statement, ('{"a": 1}', 1))
    assert list(cursor.fetchall()) == [[{"a": 1}, 1]]
    cursor.execute(statement, ('{"a": 2}', 2))  # the described columns come from the cache now
    assert list(cursor.fetchall()) == [[{"a": 2}, 2]]
    raw.register_in_adapter(114, lambda text: f"raw:{text}")
    cursor.execute(statement, ('{"a": 3}', 3))
    assert list(cursor.fetchall()) == [['raw:{"a": 3}', 3]]


def test_with_the_setting_off_the_engine_uses_pg8000s_own_connection(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A2N_DATABASE_PIPELINED=false: pg8000's own exchange, same results (the fallback)."""
    import pg8000.legacy

    from a2n.db.session import _build_engine
    from a2n.settings import reset_settings

    monkeypatch.setenv("A2N_DATABASE_PIPELINED", "false")
    reset_settings()
    try:
        engine = _build_engine()
        with engine.connect() as connection:
            driver = connection.connection.driver_connection
            assert type(driver) is pg8000.legacy.Connection
            assert connection.execute(text("SELECT :n + 1"), {"n": 41}).scalar_one() == 42
        engine.dispose()
    finally:
        monkeypatch.delenv("A2N_DATABASE_PIPELINED")
        reset_settings()
