"""Factory for realistic API Gateway HTTP API (payload format 2.0) events, as the authorizer passes them."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import urlencode

from a2n.auth.principal import Principal, authorizer_context

MEMBER = Principal(user_id="u-1", workspace_id="w-1", auth_type="jwt")


def http_event(
    method: str = "POST",
    path: str = "/workflows",
    *,
    route_key: str | None = None,
    json_body: Any = None,
    body: bytes | str | None = None,
    content_type: str | None = "application/json",
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    path_params: dict[str, str] | None = None,
    principal: Principal | None = MEMBER,
    base64_body: bool = False,
) -> dict[str, Any]:
    """An event as API Gateway delivers it; ``body`` bytes are sent base64 like a binary body."""
    if json_body is not None:
        body = json.dumps(json_body)
    all_headers = {
        "accept": "application/json",
        "authorization": "Bearer secret-token-canary",
        "host": "api.example.com",
        "user-agent": "pytest/1.0",
        "x-forwarded-for": "203.0.113.9",
        **({"content-type": content_type} if content_type and body is not None else {}),
        **{k.lower(): v for k, v in (headers or {}).items()},
    }
    if isinstance(body, bytes) or (base64_body and body is not None):
        raw = body if isinstance(body, bytes) else body.encode()
        body, base64_body = base64.b64encode(raw).decode(), True
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key or f"{method} {path}",
        "rawPath": path,
        "rawQueryString": urlencode(query or {}),
        "headers": all_headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "api1",
            "domainName": "api.example.com",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.9",
                "userAgent": "pytest/1.0",
            },
            "requestId": "req-123",
            "routeKey": route_key or f"{method} {path}",
            "stage": "$default",
            "time": "01/Jan/2025:00:00:00 +0000",
            "timeEpoch": 1735689600000,
        },
        "isBase64Encoded": base64_body,
    }
    if body is not None:
        event["body"] = body
    if query:
        event["queryStringParameters"] = query
    if path_params:
        event["pathParameters"] = path_params
    if principal is not None:
        event["requestContext"]["authorizer"] = {"lambda": authorizer_context(principal)}
    return event


def problem_of(result: dict[str, Any]) -> dict[str, Any]:
    assert result["headers"]["Content-Type"] == "application/problem+json"
    problem: dict[str, Any] = json.loads(result["body"])
    assert problem["status"] == result["statusCode"]
    return problem
