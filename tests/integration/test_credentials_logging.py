"""SECURITY 21, log side: the real credential handlers at DEBUG log level, on success, on a 422,
on a 409 and on an envelope that no longer opens, print no byte of the credential data."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from credential_support import CANARY, local_keys, member
from lambda_handlers import FakeLambdaContext, load_function

from a2n.auth.principal import Principal, authorizer_context
from a2n.db.models import Credential
from a2n.observability import get_logger
from a2n.settings import reset_settings

pytestmark = pytest.mark.usefixtures("local_keys")
__all__ = ["local_keys"]


@pytest.fixture(autouse=True)
def debug_logs(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("A2N_LOG_LEVEL", "DEBUG")
    reset_settings()
    get_logger.cache_clear()
    yield
    get_logger.cache_clear()


def _event(method: str, path: str, principal: Principal, body: Any = None, **path_params: str) -> dict:
    route_path = "/credentials/{id}" if path_params else path
    return {
        "version": "2.0",
        "routeKey": f"{method} {route_path}",
        "rawPath": path,
        "headers": {"content-type": "application/json", "user-agent": "pytest"},
        "pathParameters": path_params or None,
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "http": {"method": method, "path": path, "sourceIp": "203.0.113.9"},
            "authorizer": {"lambda": authorizer_context(principal)},
        },
    }


def _call(function: str, event: dict) -> dict:
    handler = load_function(f"functions/api/{function}").lambda_handler
    return handler(event, FakeLambdaContext())


def test_handlers_never_log_or_return_the_data(db_session, capfd, caplog) -> None:
    caplog.set_level("DEBUG")
    me = member(db_session)
    p = me.principal
    good = {"name": "c", "type": "basic", "data": {"username": "u", "password": CANARY}}

    created = _call("credentials_create", _event("POST", "/credentials", p, good))
    cred_id = json.loads(created["body"])["id"]
    one = f"/credentials/{cred_id}"
    answers = [
        created,
        _call("credentials_create", _event("POST", "/credentials", p, good)),  # 409
        _call("credentials_create", _event("POST", "/credentials", p, {**good, "data": {"x": CANARY}})),
        _call("credentials_get", _event("GET", f"/credentials/{cred_id}", p, id=cred_id)),
        _call("credentials_list", _event("GET", "/credentials", p)),
        _call("credentials_update", _event("PUT", one, p, {"data": good["data"]}, id=cred_id)),
    ]
    row = db_session.get(Credential, uuid.UUID(cred_id))
    row.encrypted_data = row.encrypted_data[:-1] + bytes([row.encrypted_data[-1] ^ 1])  # tampered tag
    db_session.flush()
    answers.append(_call("credentials_get", _event("GET", f"/credentials/{cred_id}", p, id=cred_id)))

    assert [a["statusCode"] for a in answers] == [201, 409, 422, 200, 200, 200, 500]
    captured = capfd.readouterr()
    assert "request refused" in captured.out + captured.err + caplog.text  # the logs were on
    for text in (captured.out, captured.err, caplog.text, json.dumps(answers)):
        assert CANARY not in text
