"""Liveness and database reachability for `GET /health`; never raises, so the route stays simple."""

from __future__ import annotations

from typing import Any

HEALTH_STATEMENT_TIMEOUT_MS = 2_000


def check_health() -> tuple[int, dict[str, Any]]:
    """(200, ok) when `SELECT 1` succeeds, else (503, degraded) — the reason goes to the log only."""
    import a2n

    try:
        _ping_database()
    except Exception:  # any failure means "unavailable"; callers must always get an answer
        from a2n.observability import get_logger

        get_logger().warning("health check: database unavailable", exc_info=True)
        return 503, {"status": "degraded", "database": "unavailable", "version": a2n.__version__}
    return 200, {"status": "ok", "database": "ok", "version": a2n.__version__}


def _ping_database() -> None:
    from a2n.db.queries import ping
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        ping(uow.session, timeout_ms=HEALTH_STATEMENT_TIMEOUT_MS)
