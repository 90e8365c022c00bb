"""The account as a whole over HTTP through the local runtime: profile (and the schedule timezone it
sets), export, deletion leaving no personal data in any table (checked in the database), platform
administration, and API keys with a rate limit and an IP allow-list."""

from __future__ import annotations

import uuid

from e2e_support import PASSWORD, ApiClient, RegisteredUser
from mail_support import token_in, wait_for_mail
from sqlalchemy import create_engine, text

from a2n.db.url import to_pg8000_url

PROBLEM = "application/problem+json"
SCHEDULE = {
    "nodes": [{"id": "tick", "type": "trigger.schedule", "config": {"expression": "rate(1 hour)"}}],
    "connections": [],
}


def rows_mentioning(database_url: str, *needles: str) -> dict[str, int]:
    """Per table, how many rows hold any of ``needles`` anywhere (the whole row as text)."""
    engine = create_engine(to_pg8000_url(database_url))
    found: dict[str, int] = {}
    try:
        with engine.connect() as conn:
            tables = conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars().all()  # fmt: skip
            for table in tables:
                for needle in needles:
                    count = conn.execute(
                        text(f'SELECT count(*) FROM "{table}" t WHERE lower(t::text) LIKE :needle'),
                        {"needle": f"%{needle.lower()}%"},
                    ).scalar_one()
                    if count:
                        found[f"{table} ({needle})"] = int(count)
    finally:
        engine.dispose()
    return found


def test_the_profile_sets_the_default_timezone_of_new_schedules(user: RegisteredUser) -> None:
    bad = user.client.patch("/me", {"timezone": "Mars/Olympus"})
    assert bad.status == 422 and bad.json["errors"][0]["pointer"] == "/timezone"

    patched = user.client.patch("/me", {"timezone": "Europe/Paris", "locale": "fr-FR", "name": "Zoé"})
    assert patched.status == 200, patched.body
    assert (patched.json["timezone"], patched.json["locale"], patched.json["name"]) == (
        "Europe/Paris", "fr-FR", "Zoé")  # fmt: skip

    created = user.client.post("/workflows", {"name": "hourly", "definition": SCHEDULE})
    assert created.status == 201, created.body
    assert created.json["definition"]["nodes"][0]["config"]["timezone"] == "Europe/Paris"
    explicit = {**SCHEDULE, "nodes": [{**SCHEDULE["nodes"][0], "config": {"expression": "rate(1 hour)",
                                                                         "timezone": "UTC"}}]}  # fmt: skip
    kept = user.client.post("/workflows", {"name": "utc", "definition": explicit})
    assert kept.json["definition"]["nodes"][0]["config"]["timezone"] == "UTC"


def test_the_export_holds_the_users_data_and_no_secret(user: RegisteredUser) -> None:
    user.client.post("/workflows", {"name": "mine", "definition": SCHEDULE})
    user.client.post("/credentials", {"name": "gh", "type": "bearer", "data": {"token": "ghp_CANARY_export"}})
    key = user.client.post("/api-keys", {"name": "ci", "scopes": ["workflows:read"]}).json["key"]

    export = user.client.get("/me/export")

    assert export.status == 200
    body = export.body.decode()
    assert export.json["profile"]["email"] == user.email
    assert [w["name"] for w in export.json["workflows"]] == ["mine"]
    assert [c["name"] for c in export.json["credentials"]] == ["gh"]
    assert export.json["sessions"] and export.json["securityEvents"]
    for secret in ("ghp_CANARY_export", key, "passwordHash", "password_hash", "argon2", "totp"):
        assert secret not in body


def test_deleting_the_account_leaves_no_personal_data(
    api: ApiClient, user: RegisteredUser, other_user: RegisteredUser, database_url: str
) -> None:
    team = user.client.post("/workspaces", {"name": f"Team {uuid.uuid4().hex[:6]}"}).json["id"]
    member = {"email": other_user.email, "role": "MEMBER"}
    assert user.client.post(f"/workspaces/{team}/members", member).status == 201
    user.client.post("/workflows", {"name": "doomed", "definition": SCHEDULE})
    user.client.post("/credentials", {"name": "gh", "type": "bearer", "data": {"token": "ghp_gone"}})
    user.client.post("/api-keys", {"name": "ci", "scopes": ["workflows:read"]})
    assert rows_mentioning(database_url, user.email)

    blocked = user.client.request("DELETE", "/me", json_body={"password": PASSWORD})
    assert blocked.status == 409 and "last OWNER" in blocked.json["detail"]
    assert user.client.request("DELETE", "/me", json_body={"password": "wrong wrong wrong"}).status == 403
    promoted = user.client.patch(f"/workspaces/{team}/members/{other_user.user_id}", {"role": "OWNER"})
    assert promoted.status == 200

    deleted = user.client.request("DELETE", "/me", json_body={"password": PASSWORD})

    assert deleted.status == 204, deleted.body
    assert user.client.get("/me").status == 401
    assert api.post("/auth/login", {"email": user.email, "password": PASSWORD}).status == 401
    assert rows_mentioning(database_url, user.email, user.user_id, user.workspace_id) == {}
    assert other_user.client.get(f"/workspaces/{team}").status == 200  # the shared one lives on


def test_platform_admins_list_deactivate_reactivate_and_force_resets(
    api: ApiClient, user: RegisteredUser, other_user: RegisteredUser, database_url: str
) -> None:
    from a2n.cli import main

    assert user.client.get("/admin/users").status == 403
    assert main(["admin", "grant", user.email]) == 0
    admin = user.client

    listed = admin.get(f"/admin/users?q={other_user.email}")
    assert listed.status == 200 and [u["id"] for u in listed.json["items"]] == [other_user.user_id]

    assert admin.post(f"/admin/users/{other_user.user_id}/deactivate").json["isActive"] is False
    assert other_user.client.get("/me").status == 401
    assert api.post("/auth/login", {"email": other_user.email, "password": PASSWORD}).status == 401
    assert admin.post(f"/admin/users/{user.user_id}/deactivate").status == 409
    assert admin.post(f"/admin/users/{other_user.user_id}/reactivate").json["isActive"] is True
    assert api.post("/auth/login", {"email": other_user.email, "password": PASSWORD}).status == 200

    assert admin.post(f"/admin/users/{other_user.user_id}/password-reset").status == 204
    refused = api.post("/auth/login", {"email": other_user.email, "password": PASSWORD})
    assert refused.status == 403 and "password reset is required" in refused.json["detail"]
    reset = wait_for_mail(api, other_user.email, "password_reset")
    assert "administrator" in reset["text"]
    new_password = "an admin made me do it 77"
    chosen = {"token": token_in(reset), "password": new_password}
    assert api.post("/auth/password/reset", chosen).status == 204
    assert api.post("/auth/login", {"email": other_user.email, "password": new_password}).status == 200

    engine = create_engine(to_pg8000_url(database_url))
    with engine.connect() as conn:
        actions = conn.execute(text(
            "SELECT action FROM audit_logs WHERE actor_id = :admin AND action LIKE 'admin.%' ORDER BY ts"
        ), {"admin": user.user_id}).scalars().all()  # fmt: skip
    engine.dispose()
    assert actions == ["admin.user.deactivate", "admin.user.reactivate", "admin.user.force_password_reset"]


def test_api_keys_with_a_rate_limit_and_an_allow_list(api: ApiClient, user: RegisteredUser) -> None:
    limited = user.client.post("/api-keys", {"name": "slow", "scopes": ["workflows:read"],
                                             "rateLimitPerMinute": 2}).json  # fmt: skip
    walled = user.client.post("/api-keys", {"name": "office", "scopes": ["workflows:read"],
                                            "allowedCidrs": ["10.0.0.0/8"]}).json  # fmt: skip
    assert limited["rateLimitPerMinute"] == 2 and walled["allowedCidrs"] == ["10.0.0.0/8"]

    answers = [api.get("/workflows", token=limited["key"]) for _ in range(3)]
    assert [a.status for a in answers] == [200, 200, 429]
    assert answers[-1].headers["content-type"].startswith(PROBLEM)
    assert 1 <= int(answers[-1].headers["retry-after"]) <= 60

    outside = api.get("/workflows", token=walled["key"])  # the local gateway's client is 127.0.0.1
    assert outside.status == 403 and "allow-list" in outside.json["detail"]

    keys = {k["name"]: k for k in user.client.get("/api-keys").json["items"]}
    assert (keys["slow"]["useCount"], keys["slow"]["refusedCount"]) == (3, 1)
    assert (keys["office"]["useCount"], keys["office"]["refusedCount"]) == (1, 1)  # seen, and refused
    assert keys["office"]["lastUsedAt"] is not None
