"""The process-wide engine and session factory, built on first use and reused while warm.

On Lambda one container serves one request at a time, so the pool holds one connection by default;
a connection that sat idle is pinged before reuse, so one the server or the pooler closed while the
container was frozen is replaced.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

# SQLAlchemy's pool_pre_ping pings on every checkout: one extra round trip per transaction, two per
# node step (§11). A connection returned less than this long ago was just working; it skips the ping.
PING_AFTER_IDLE_S = 1.0
_IDLE_SINCE = "a2n_idle_since"

_lock = threading.Lock()
_engine: Engine | None = None
_sessions: sessionmaker[Session] | None = None


def get_engine() -> Engine:
    """The engine of this process (lazy; URL from settings or Secrets Manager)."""
    global _engine  # noqa: PLW0603 - one engine per container is the point
    if _engine is None:
        with _lock:
            if _engine is None:
                _engine = _build_engine()
    return _engine


def get_sessionmaker() -> sessionmaker[Session]:
    global _sessions  # noqa: PLW0603
    if _sessions is None:
        from sqlalchemy.orm import sessionmaker

        _sessions = sessionmaker(bind=get_engine(), expire_on_commit=False)
    return _sessions


def reset_engine() -> None:
    """Dispose of the engine (tests, the local runtime after changing settings)."""
    global _engine, _sessions
    with _lock:
        if _engine is not None:
            _engine.dispose()
        _engine, _sessions = None, None


def _build_engine() -> Engine:
    from sqlalchemy import create_engine

    from a2n.db.paramstyle import install_paramstyle_cache
    from a2n.db.url import connect_args_for, resolve_database_url
    from a2n.settings import get_settings

    install_paramstyle_cache()
    settings = get_settings()
    url = resolve_database_url(settings)
    engine = create_engine(
        url,
        connect_args=connect_args_for(url, settings),
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        # Serverless Postgres and poolers drop idle connections; recycle before they do.
        pool_recycle=300,
    )
    _ping_when_idle(engine)
    if settings.database_pipelined:
        _pipeline_statements(engine)
    return engine


def _pipeline_statements(engine: Engine) -> None:
    """Connect with PipelinedConnection: one round trip per statement instead of pg8000's three."""
    from sqlalchemy import event

    from a2n.db.pipelined import PipelinedConnection

    def connect(dialect: Any, record: Any, cargs: Any, cparams: Any) -> Any:
        return PipelinedConnection(*cargs, **cparams)

    event.listen(engine, "do_connect", connect)


def _ping_when_idle(engine: Engine) -> None:
    """Pre-ping, but only for a connection idle PING_AFTER_IDLE_S or more; a failed ping raises
    DisconnectionError, on which the pool discards the connection and checks out a new one."""
    from sqlalchemy import event, exc

    def fresh(dbapi_connection: Any, record: Any) -> None:
        if record is not None:  # None: an invalidated connection, never reused
            record.info[_IDLE_SINCE] = time.monotonic()

    def ping_if_idle(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if time.monotonic() - record.info.get(_IDLE_SINCE, 0.0) < PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise exc.DisconnectionError(f"idle connection failed its ping: {error}") from error

    event.listen(engine.pool, "connect", fresh)
    event.listen(engine.pool, "checkin", fresh)
    event.listen(engine.pool, "checkout", ping_if_idle)


def is_database_unavailable(error: BaseException) -> bool:
    """Did ``error`` come from not reaching Postgres (down, restarting, refusing connections, timing
    out) rather than from the statement itself? Callers answer 503 + Retry-After: retrying helps."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    if isinstance(error, InterfaceError | OperationalError | PoolTimeout):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated
