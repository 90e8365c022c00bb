"""Auth over HTTP through the real template: register, login, refresh, logout, /me."""

from __future__ import annotations

import uuid

from e2e_support import PASSWORD, ApiClient, RegisteredUser


def test_register_then_me_shows_the_personal_workspace(api: ApiClient) -> None:
    email = f"e2e-{uuid.uuid4().hex[:8]}@example.com"
    created = api.post("/auth/register", {"email": email, "password": PASSWORD, "name": "Lin"})
    assert created.status == 201, created.body
    assert set(created.json) == {"user", "accessToken", "refreshToken", "expiresIn"}
    assert "passwordHash" not in created.json["user"]

    me = api.get("/me", token=created.json["accessToken"])
    assert me.status == 200, me.body
    assert me.json["email"] == email
    assert [(w["name"], w["role"]) for w in me.json["workspaces"]] == [("Lin's workspace", "OWNER")]


def test_register_validation_and_duplicates(api: ApiClient, user: RegisteredUser) -> None:
    short = api.post("/auth/register", {"email": "x@example.com", "password": "short"})
    assert short.status == 422 and short.json["errors"][0]["pointer"] == "/password"
    bad = api.post("/auth/register", {"email": "not-an-email", "password": PASSWORD})
    assert bad.status == 422
    dup = api.post("/auth/register", {"email": user.email.upper(), "password": PASSWORD})
    assert dup.status == 409
    assert dup.headers["content-type"].startswith("application/problem+json")


def test_login_refresh_logout_cycle(api: ApiClient, user: RegisteredUser) -> None:
    login = api.post("/auth/login", {"email": user.email, "password": PASSWORD})
    assert login.status == 200, login.body
    rotated = api.post("/auth/refresh", {"refreshToken": login.json["refreshToken"]})
    assert rotated.status == 200 and api.get("/me", token=rotated.json["accessToken"]).status == 200

    assert api.post("/auth/logout", {"refreshToken": rotated.json["refreshToken"]}).status == 204
    assert api.post("/auth/refresh", {"refreshToken": rotated.json["refreshToken"]}).status == 401
    assert api.post("/auth/logout", {"refreshToken": "never-issued"}).status == 204


def test_logout_refuses_the_sessions_access_token_on_the_next_request(
    api: ApiClient, user: RegisteredUser
) -> None:
    """Issue 9.3 / SECURITY 28: not up to 15 minutes later, when the token expires."""
    login = api.post("/auth/login", {"email": user.email, "password": PASSWORD}).json
    assert api.get("/me", token=login["accessToken"]).status == 200

    assert api.post("/auth/logout", {"refreshToken": login["refreshToken"]}).status == 204

    refused = api.get("/me", token=login["accessToken"])
    assert refused.status == 401 and refused.headers["www-authenticate"].startswith("Bearer")
    assert user.client.get("/me").status == 200  # the user's other session is untouched
