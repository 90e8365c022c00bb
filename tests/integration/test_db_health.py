"""`check_health` reports the database honestly and never raises."""

from __future__ import annotations

import socket
from typing import Any

import pytest

import a2n
from a2n.services.health import check_health


@pytest.fixture
def unreachable_database(database_url: str, app_env: Any) -> None:
    with socket.socket() as s:  # a port nothing listens on once the socket closes
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app_env.setenv("A2N_DATABASE_URL", f"postgresql://postgres@127.0.0.1:{port}/a2n")
    app_env.setenv("A2N_DATABASE_CONNECT_TIMEOUT_S", "2")
    app_env.apply()


def test_health_is_ok_when_the_database_answers(database_url: str) -> None:
    assert check_health() == (200, {"status": "ok", "database": "ok", "version": a2n.__version__})


def test_health_is_503_degraded_when_the_database_is_unreachable(unreachable_database: None) -> None:
    status, body = check_health()

    assert status == 503
    assert body["status"] == "degraded"
    assert body["database"] == "unavailable"


def test_health_is_503_when_no_database_is_configured(app_env: Any) -> None:
    for name in ("A2N_DATABASE_URL", "DATABASE_URL", "A2N_DATABASE_SECRET_ARN"):
        app_env.delenv(name, raising=False)
    app_env.apply()

    assert check_health()[0] == 503
