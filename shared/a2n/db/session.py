"""The process-wide engine and session factory, built on first use and reused while warm.

On Lambda one container serves one request at a time, so the pool holds one connection by default;
pre-ping replaces a connection the server or the pooler closed while the container was frozen.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

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
    return create_engine(
        url,
        connect_args=connect_args_for(url, settings),
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        pool_pre_ping=True,
        # Serverless Postgres and poolers drop idle connections; recycle before they do.
        pool_recycle=300,
    )
