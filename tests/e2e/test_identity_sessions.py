"""Auth over HTTP through the real template: register, login, refresh, logout, /me."""

from __future__ import annotations

import uuid

from e2e_support import PASSWORD, ApiClient, RegisteredUser


def test_register_then_login_then_me_shows_the_personal_workspace(api: ApiClient) -> None:
    email = f"e2e-{uuid.uuid4().hex[:8]}@example.com"
    created = api.post("/auth/register", {"email": email, "password": PASSWORD, "name": "Lin"})
    assert created.status == 202, created.body
    assert created.json["status"] == "pending" and "/auth/login" in created.json["detail"]

    login = api.post("/auth/login", {"email": email, "password": PASSWORD})
    assert login.status == 200, login.body
    assert set(login.json) == {"user", "accessToken", "refreshToken", "expiresIn"}
    assert "passwordHash" not in login.json["user"]
    me = api.get("/me", token=login.json["accessToken"])
    assert me.status == 200, me.body
    assert me.json["email"] == email
    assert [(w["name"], w["role"]) for w in me.json["workspaces"]] == [("Lin's workspace", "OWNER")]
    assert me.json["personalWorkspaceId"] == me.json["workspaces"][0]["id"]


def test_register_validation_and_known_emails_answer_like_new_ones(
    api: ApiClient, user: RegisteredUser
) -> None:
    """Issue 9.4: registering a known email (any case) answers exactly as a new one and changes nothing."""
    short = api.post("/auth/register", {"email": "x@example.com", "password": "short"})
    assert short.status == 422 and short.json["errors"][0]["pointer"] == "/password"
    bad = api.post("/auth/register", {"email": "not-an-email", "password": PASSWORD})
    assert bad.status == 422

    new_email = f"new-{uuid.uuid4().hex[:8]}@example.com"
    fresh = api.post("/auth/register", {"email": new_email, "password": PASSWORD})
    known = api.post("/auth/register", {"email": user.email.upper(), "password": "an attacker's choice"})
    assert (known.status, known.body) == (fresh.status, fresh.body) == (202, fresh.body)
    assert {k: v for k, v in known.headers.items() if k != "date"} == {
        k: v for k, v in fresh.headers.items() if k != "date"
    }
    assert api.post("/auth/login", {"email": user.email, "password": PASSWORD}).status == 200
    assert api.post("/auth/login", {"email": user.email, "password": "an attacker's choice"}).status == 401


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
