"""SECURITY 14, 17-20 over HTTP: every non-public route of template.yaml refuses anonymous and forged
callers before its handler runs; JWT forgeries, refresh reuse, key scopes/revocation and lockout."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_support import PASSWORD, ApiClient, RegisteredUser, register_user

from a2n.auth.api_keys import new_api_key
from a2n.local.runtime import LocalRuntime
from a2n.local.template import load_template

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = {
    ("GET", "/health"),
    ("GET", "/openapi.json"),
    ("POST", "/auth/register"),
    ("POST", "/auth/login"),
    ("POST", "/auth/refresh"),
    ("POST", "/auth/logout"),
    # Issue 12: account flows before (or instead of) signing in.
    ("POST", "/auth/login/2fa"),
    ("POST", "/auth/verify-email"),
    ("POST", "/auth/password/forgot"),
    ("POST", "/auth/password/reset"),
    ("POST", "/auth/email/confirm"),
    ("GET", "/auth/oidc/{provider}/authorize"),
    ("POST", "/auth/oidc/{provider}/callback"),
    ("POST", "/auth/oidc/link"),
    # Issue 14: the OAuth2 provider sends the browser back here (the state is the key).
    ("GET", "/oauth2/callback"),
    ("ANY", "/webhooks/{token}"),
    ("ANY", "/webhooks/{token}/{rest+}"),
}
# Read at collection: a route added to template.yaml later is swept without touching this file.
ROUTES = sorted(
    {(r.method, r.path, r.authorizer is None) for r in load_template(ROOT / "template.yaml").routes}
)
PROTECTED = [(method, path) for method, path, public in ROUTES if not public]
# API Gateway answers a missing identity header itself (the authorizer never ran). Invalid credentials
# reach the route marked by the authorizer, and `route()` answers 401 problem+json before the route
# function runs: the same body on every route shows that no route code ran.
GATEWAY_REFUSALS = {401: {"message": "Unauthorized"}, 403: {"message": "Forbidden"}}


def _concrete(path: str) -> str:
    return re.sub(r"{[^}]+\+}", "a/b", re.sub(r"{[^}+]+}", str(uuid.uuid4()), path))


def _send(api: ApiClient, method: str, path: str, token: str | None = None) -> tuple[int, object]:
    verb = "POST" if method == "ANY" else method
    response = api.request(
        verb, _concrete(path), json_body={} if verb in ("POST", "PUT", "PATCH") else None, token=token or ""
    )
    return response.status, response.json


def test_the_public_routes_are_exactly_api_md_s_list() -> None:
    assert {(method, path) for method, path, public in ROUTES if public} == PUBLIC
    assert len(PROTECTED) >= 10


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_every_protected_route_refuses_missing_and_forged_credentials(
    api: ApiClient, method: str, path: str
) -> None:
    assert _send(api, method, path) == (401, GATEWAY_REFUSALS[401])
    for forged in ("garbage", "eyJhbGciOiJIUzI1NiJ9.e30.c2ln", new_api_key().plain, "a2n_" + "A" * 49):
        status, body = _send(api, method, path, forged)
        assert status == 401, (method, path, forged, status, body)
        assert isinstance(body, dict) and body.get("type", "").endswith("/unauthorized"), body
        assert set(body) == {"type", "title", "status", "detail"}, body


@pytest.mark.parametrize(
    "path",
    [
        "/workflows.json",
        "/WORKFLOWS",
        "/workflows/",
        "/%2fworkflows",
        "/workflows/%2e%2e/me",
        "/ME",
        "/me/",
        "/api-keys/../me",
        "//me",
    ],
)
def test_path_tricks_never_reach_a_protected_handler_unauthenticated(api: ApiClient, path: str) -> None:
    for method in ("GET", "POST"):
        response = api.request(method, path)
        assert response.status in (401, 403, 404, 405), (method, path, response.status)
        assert (
            not response.headers.get("content-type", "").startswith("application/problem+json")
            or response.status == 404
        )


@pytest.fixture
def stack_keys(stack: LocalRuntime, key_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """The stack's JWT keyring, to forge tokens that differ from a real one in exactly one claim."""
    from a2n.auth.tokens import load_keyring
    from a2n.settings import reset_settings

    monkeypatch.setenv("A2N_LOCAL_KEY_DIR", str(key_dir))
    reset_settings()
    yield load_keyring()
    reset_settings()


def test_jwt_forgeries_are_refused(api: ApiClient, user: RegisteredUser, stack_keys: object) -> None:
    import jwt

    key = stack_keys.current  # type: ignore[attr-defined]
    now = int(time.time())
    good = {
        "iss": "a2n",
        "aud": "a2n-api",
        "sub": user.user_id,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
        "sid": str(uuid.uuid4()),
    }
    header = {"kid": key.kid}
    forged = [
        jwt.encode(good, None, algorithm="none", headers=header),
        jwt.encode(good, "another-key-of-at-least-32-bytes!!", algorithm="HS256", headers=header),
        jwt.encode(
            {**good, "exp": now - 120, "iat": now - 900, "nbf": now - 900}, key.secret, "HS256", header
        ),
        jwt.encode({**good, "aud": "someone-else"}, key.secret, "HS256", header),
        jwt.encode({**good, "iss": "evil"}, key.secret, "HS256", header),
        jwt.encode({**good, "sub": str(uuid.uuid4())}, key.secret, "HS256", header),
        jwt.encode({k: v for k, v in good.items() if k != "sid"}, key.secret, "HS256", header),
    ]
    assert api.get("/me", token=jwt.encode(good, key.secret, "HS256", header)).status == 200  # control
    for token in forged:
        refused = api.get("/me", token=token)
        assert refused.status == 401 and refused.headers["www-authenticate"].startswith("Bearer"), token


def test_reused_refresh_token_revokes_the_family(api: ApiClient, user: RegisteredUser) -> None:
    rotated = api.post("/auth/refresh", {"refreshToken": user.refresh_token})
    assert rotated.status == 200
    assert api.post("/auth/refresh", {"refreshToken": user.refresh_token}).status == 401
    assert api.post("/auth/refresh", {"refreshToken": rotated.json["refreshToken"]}).status == 401


def test_api_key_scopes_revocation_and_workspace_binding(
    api: ApiClient, user: RegisteredUser, other_user: RegisteredUser
) -> None:
    created = user.client.post("/api-keys", {"name": "ro", "scopes": ["workflows:read"]})
    assert created.status == 201, created.body
    key = created.json["key"]
    listed = user.client.get("/api-keys").json["items"]
    assert [k["prefix"] for k in listed] == [created.json["prefix"]] and "key" not in listed[0]

    assert api.get("/me", token=key).status == 200
    assert api.post("/api-keys", {"name": "x", "scopes": ["workflows:read"]}, token=key).status == 403
    assert api.post("/workspaces", {"name": "x"}, token=key).status == 403
    assert api.get(f"/workspaces/{other_user.workspace_id}", token=key).status == 404
    assert api.get("/me", token=key, headers={"X-Workspace-Id": other_user.workspace_id}).status == 403

    assert user.client.delete(f"/api-keys/{created.json['id']}").status == 204
    assert api.get("/me", token=key).status == 401


def test_another_tenants_workspace_ids_are_404(user: RegisteredUser, other_user: RegisteredUser) -> None:
    foreign = other_user.workspace_id
    assert user.client.get(f"/workspaces/{foreign}").status == 404
    assert user.client.delete(f"/workspaces/{foreign}").status == 404
    assert (
        user.client.post(f"/workspaces/{foreign}/members", {"email": user.email, "role": "OWNER"}).status
        == 404
    )
    assert (
        user.client.patch(f"/workspaces/{foreign}/members/{other_user.user_id}", {"role": "VIEWER"}).status
        == 404
    )
    assert user.client.delete(f"/workspaces/{foreign}/members/{other_user.user_id}").status == 404
    smuggled = user.client.post("/workspaces", {"name": "x", "id": foreign, "workspaceId": foreign})
    assert smuggled.status == 422  # SECURITY 16: mass assignment refused


def test_lockout_after_repeated_failures_with_the_same_message(api: ApiClient) -> None:
    victim, ghost = register_user(api), f"ghost-{uuid.uuid4().hex}@example.com"
    unknown = api.post("/auth/login", {"email": ghost, "password": "x" * 12})
    for _ in range(5):
        wrong = api.post("/auth/login", {"email": victim.email, "password": "wrong password"})
        assert wrong.status == 401 and wrong.json["detail"] == unknown.json["detail"]
    locked = api.post("/auth/login", {"email": victim.email, "password": PASSWORD})
    assert locked.status == 429 and int(locked.headers["retry-after"]) >= 1
    for _ in range(4):  # the email without an account locks out the same way: nothing to tell apart
        assert api.post("/auth/login", {"email": ghost, "password": "x" * 12}).status == 401
    ghost_locked = api.post("/auth/login", {"email": ghost, "password": "x" * 12})
    assert ghost_locked.status == 429 and ghost_locked.json == locked.json
    assert int(ghost_locked.headers["retry-after"]) >= 1
