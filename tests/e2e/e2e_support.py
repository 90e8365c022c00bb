"""What e2e tests share besides fixtures: an HTTP client for the local API and user registration.

Imported by name (``from e2e_support import …``): a module called ``conftest`` would collide with the
other test packages' conftest modules.
"""

from __future__ import annotations

import http.client
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import conformance
from waiting import wait_until

PASSWORD = "correct horse battery staple"


@dataclass
class ApiResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class ApiClient:
    """Minimal HTTP client for the local API; ``token`` is sent as a Bearer credential."""

    base_url: str
    token: str | None = None
    default_headers: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        token: str | None = None,
    ) -> ApiResponse:
        parts = urlsplit(self.base_url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        sent = {**self.default_headers, **(headers or {})}
        bearer = token if token is not None else self.token
        if bearer:
            sent.setdefault("Authorization", f"Bearer {bearer}")
        if json_body is not None:
            body = json.dumps(json_body).encode()
            sent.setdefault("Content-Type", "application/json")
        try:
            conn.request(method, path, body=body, headers=sent)
            resp = conn.getresponse()
            answer = ApiResponse(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
        finally:
            conn.close()
        # Every answer must be one the published OpenAPI document declares (status, type, schema).
        conformance.check(method, path, answer.status, answer.headers, answer.body)
        return answer

    def get(self, path: str, **kw: Any) -> ApiResponse:
        return self.request("GET", path, **kw)

    def post(self, path: str, json_body: Any = None, **kw: Any) -> ApiResponse:
        return self.request("POST", path, json_body=json_body, **kw)

    def put(self, path: str, json_body: Any = None, **kw: Any) -> ApiResponse:
        return self.request("PUT", path, json_body=json_body, **kw)

    def patch(self, path: str, json_body: Any = None, **kw: Any) -> ApiResponse:
        return self.request("PATCH", path, json_body=json_body, **kw)

    def delete(self, path: str, **kw: Any) -> ApiResponse:
        return self.request("DELETE", path, **kw)

    def as_user(self, token: str) -> ApiClient:
        return ApiClient(self.base_url, token, dict(self.default_headers))


@dataclass
class RegisteredUser:
    email: str
    password: str
    user_id: str
    access_token: str
    refresh_token: str
    workspace_id: str
    client: ApiClient


def register_user(api: ApiClient, *, name: str = "Test User") -> RegisteredUser:
    """POST /auth/register a fresh user, then POST /auth/login (registering hands out no tokens);
    returns its tokens and an authenticated client."""
    email = f"user-{uuid.uuid4().hex[:10]}@example.com"
    resp = api.post("/auth/register", {"email": email, "password": PASSWORD, "name": name})
    assert resp.status == 202, resp.body
    resp = api.post("/auth/login", {"email": email, "password": PASSWORD})
    assert resp.status == 200, resp.body
    data = resp.json
    client = api.as_user(data["accessToken"])
    me = client.get("/me").json
    return RegisteredUser(
        email=email,
        password=PASSWORD,
        user_id=data["user"]["id"],
        access_token=data["accessToken"],
        refresh_token=data["refreshToken"],
        workspace_id=me["personalWorkspaceId"],
        client=client,
    )


ACTIVE = frozenset({"QUEUED", "RUNNING", "WAITING"})


def wait_for_execution(user: RegisteredUser, execution_id: str, *, timeout_s: float = 30) -> dict[str, Any]:
    """GET /executions/{id} until it is no longer active; its final body (fails after ``timeout_s``)."""

    def finished() -> dict[str, Any] | None:
        found = user.client.get(f"/executions/{execution_id}")
        return dict(found.json) if found.status == 200 and found.json["status"] not in ACTIVE else None

    return wait_until(finished, f"execution {execution_id} to finish", limit_s=timeout_s)
