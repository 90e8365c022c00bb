"""Credentials the authorizer rejected reach the route marked ``authError``: the answer is a 401
problem with a Bearer challenge, and the route function never runs."""

from __future__ import annotations

from typing import Any

from api_events import http_event, problem_of

from a2n.api.http import Request, route


def test_rejected_credentials_get_401_before_the_route_function_runs() -> None:
    calls: list[Request] = []

    @route
    def create(request: Request) -> tuple[int, Any]:
        calls.append(request)
        return 201, {"ok": True}

    event = http_event(json_body={"name": "x"}, principal=None)
    event["requestContext"]["authorizer"] = {"lambda": {"authError": "Access token expired"}}
    result = create(event, None)

    assert calls == []
    assert result["statusCode"] == 401
    assert result["headers"]["WWW-Authenticate"].startswith("Bearer")
    assert problem_of(result)["detail"] == "Access token expired"


def test_a_valid_principal_still_reaches_the_route() -> None:
    @route
    def create(request: Request) -> tuple[int, Any]:
        return 201, {"user": request.principal.user_id}

    assert create(http_event(json_body={"name": "x"}), None)["statusCode"] == 201
