"""The pool pings a connection before reuse only when it sat idle: one the server closed meanwhile
(a frozen Lambda, a pooler's idle timeout) is replaced, and back-to-back transactions skip the ping."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from a2n.db import session as db_session
from a2n.db.session import get_engine, reset_engine
from a2n.db.url import connect_args_for, to_pg8000_url
from a2n.settings import Settings


@pytest.fixture
def fresh_engine(database_url: str) -> Any:
    reset_engine()  # a new pool, so the test's connection is the only one
    yield get_engine()
    reset_engine()


def backend_pid() -> int:
    with get_engine().connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def count_pings(engine: Any, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    pings: list[int] = []
    real = engine.dialect.do_ping

    def counting(dbapi_connection: Any) -> bool:
        pings.append(1)
        return bool(real(dbapi_connection))

    monkeypatch.setattr(engine.dialect, "do_ping", counting)
    return pings


def test_a_connection_closed_by_the_server_while_idle_is_replaced_before_use(
    fresh_engine: Any, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = backend_pid()
    url = to_pg8000_url(database_url)
    admin = create_engine(url, connect_args=connect_args_for(url, Settings()), poolclass=NullPool)
    with admin.begin() as other:  # the pool's connection is idle now; the server ends it
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    monkeypatch.setattr(db_session, "PING_AFTER_IDLE_S", 0.0)  # as if it had sat idle for long

    second = backend_pid()

    assert second != first


def test_a_connection_returned_moments_ago_is_reused_without_a_ping(
    fresh_engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings = count_pings(fresh_engine, monkeypatch)
    first = backend_pid()
    second = backend_pid()
    assert (second, pings) == (first, [])


def test_an_idle_connection_is_pinged_and_kept_when_alive(
    fresh_engine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = backend_pid()
    pings = count_pings(fresh_engine, monkeypatch)
    monkeypatch.setattr(db_session, "PING_AFTER_IDLE_S", 0.0)
    second = backend_pid()
    assert (second, len(pings)) == (first, 1)


def test_the_server_ends_a_session_left_idle_and_the_next_use_reconnects(
    database_url: str, app_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A2N_DATABASE_IDLE_SESSION_TIMEOUT_S: a frozen container's pooled connection does not hold
    the database open (Aurora Serverless v2 pauses only without connections)."""
    from waiting import wait_until

    app_env.setenv("A2N_DATABASE_IDLE_SESSION_TIMEOUT_S", "1")
    app_env.apply()
    first = backend_pid()
    url = to_pg8000_url(database_url)
    admin = create_engine(url, connect_args=connect_args_for(url, Settings()), poolclass=NullPool)

    def gone() -> bool:
        with admin.connect() as other:
            query = text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid")
            return other.execute(query, {"pid": first}).scalar_one() == 0

    wait_until(gone, "the server to end the idle session")
    monkeypatch.setattr(db_session, "PING_AFTER_IDLE_S", 0.0)
    assert backend_pid() != first
