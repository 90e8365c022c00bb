"""GET /health through its Lambda handler: an API Gateway v2 response with the real database state."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest
from lambda_handlers import FakeLambdaContext, load_function, sample_event

from a2n.db.session import reset_engine
from a2n.settings import reset_settings


@pytest.fixture
def database_down(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with socket.socket() as s:  # a port nothing listens on once the socket closes
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("A2N_DATABASE_URL", f"postgresql://postgres@127.0.0.1:{port}/a2n")
    monkeypatch.setenv("A2N_DATABASE_CONNECT_TIMEOUT_S", "2")
    reset_settings()
    reset_engine()
    yield
    monkeypatch.undo()
    reset_settings()
    reset_engine()


def test_health_answers_200_json_when_the_database_is_up(database_url: str) -> None:
    handler = load_function("functions/api/health").lambda_handler

    response = handler(sample_event("apigw-http-v2-health.json"), FakeLambdaContext())

    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "application/json"
    assert response["headers"]["Cache-Control"] == "no-store"
    body = json.loads(response["body"])
    assert body["status"] == "ok"
    assert body["database"] == "ok"


def test_health_answers_503_degraded_when_the_database_is_down(database_down: None) -> None:
    handler = load_function("functions/api/health").lambda_handler

    response = handler(sample_event("apigw-http-v2-health.json"), FakeLambdaContext())

    assert response["statusCode"] == 503
    assert json.loads(response["body"])["database"] == "unavailable"
