"""The authorizer context encoding: exact round trip, and anything malformed is a 401."""

from __future__ import annotations

from typing import Any

import pytest
from api_events import http_event, problem_of

from a2n.api.http import Request, route
from a2n.auth.principal import Principal, authorizer_context, principal_from_context
from a2n.errors import Unauthorized

KEY = Principal(
    user_id="u-1",
    workspace_id="w-1",
    auth_type="api_key",
    scopes=frozenset({"workflows:read", "executions:write"}),
    api_key_id="k-1",
)
SESSION = Principal(user_id="u-2", workspace_id="w-2", auth_type="jwt")
SIGNED_IN = Principal(
    user_id="u-3", workspace_id="w-3", auth_type="jwt", session_id="5e55104e-0000-4000-8000-000000000003"
)


def test_context_values_are_all_strings_as_api_gateway_requires() -> None:
    context = authorizer_context(KEY)
    assert context == {
        "userId": "u-1",
        "workspaceId": "w-1",
        "authType": "api_key",
        "scopes": "executions:write workflows:read",
        "apiKeyId": "k-1",
    }
    assert all(isinstance(value, str) for value in context.values())


@pytest.mark.parametrize("principal", [KEY, SESSION, SIGNED_IN], ids=["api-key", "jwt", "jwt-session"])
def test_context_round_trips(principal: Principal) -> None:
    assert principal_from_context(authorizer_context(principal)) == principal


@pytest.mark.parametrize(
    "change",
    [
        {"userId": ""},
        {"userId": None},
        {"userId": 5},
        {"workspaceId": "w 1"},
        {"workspaceId": "x" * 65},
        {"authType": "admin"},
        {"sessionId": "not a session id"},
        {"scopes": ["workflows:read"]},
        {"scopes": "workflows:read DROP TABLE"},
        {"apiKeyId": None},
    ],
)
def test_a_malformed_context_is_unauthorized(change: dict[str, Any]) -> None:
    context: dict[str, Any] = {**authorizer_context(KEY), **change}
    with pytest.raises(Unauthorized):
        principal_from_context({k: v for k, v in context.items() if v is not None})


def test_a_jwt_context_carrying_an_api_key_id_is_unauthorized() -> None:
    with pytest.raises(Unauthorized):
        principal_from_context({**authorizer_context(SESSION), "apiKeyId": "k-1"})


@route
def whoami(request: Request) -> tuple[int, Any]:
    return 200, {"userId": request.principal.user_id, "scopes": request.principal.scopes}


def test_a_route_reads_the_principal_from_the_event() -> None:
    result = whoami(http_event(method="GET", path="/me", principal=KEY), None)
    assert result["statusCode"] == 200
    assert result["body"] == '{"userId":"u-1","scopes":["executions:write","workflows:read"]}'


def test_a_route_without_authorizer_context_answers_401() -> None:
    assert problem_of(whoami(http_event(method="GET", path="/me", principal=None), None))["status"] == 401


def test_request_exposes_client_metadata_and_idempotency_key() -> None:
    event = http_event(
        headers={"Idempotency-Key": "order-42"}, query={"limit": "5"}, path_params={"id": "wf-1"}
    )
    request = Request.from_event(event, max_body_bytes=100)
    assert (request.client_ip, request.user_agent, request.request_id) == (
        "203.0.113.9",
        "pytest/1.0",
        "req-123",
    )
    assert request.idempotency_key == "order-42"
    assert request.query == {"limit": "5"} and request.path_param("id") == "wf-1"


def test_an_unprintable_idempotency_key_is_400() -> None:
    @route
    def execute(request: Request) -> tuple[int, Any]:
        return 202, {"key": request.idempotency_key}

    result = execute(http_event(headers={"Idempotency-Key": "a\tb"}), None)
    assert problem_of(result)["status"] == 400
    assert execute(http_event(), None)["body"] == '{"key":null}'
