"""Credentials and the audit log over HTTP through the local runtime: the API.md shapes, 4xx
answers, tenancy (SECURITY 15), mass assignment (16) and the canary sweep of SECURITY 21: a
planted secret appears in no response, no log line and no database column but the ciphertext."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from e2e_support import ApiResponse, RegisteredUser
from sqlalchemy import create_engine, text

from a2n.db.url import connect_args_for, to_pg8000_url
from a2n.settings import Settings

CANARY = "canary-e2e-9c41-never-leak"
PROBLEM = "application/problem+json"
# canUse: whether the caller may attach it (credential sharing, issue 13); never anything of its data.
METADATA = {"id", "name", "type", "createdAt", "updatedAt", "expiresAt", "lastUsedAt", "isActive", "canUse"}


def _create(user: RegisteredUser, name: str = "stripe", **body: Any) -> dict[str, Any]:
    payload = {"name": name, "type": "bearer", "data": {"token": CANARY}, **body}
    resp = user.client.post("/credentials", payload, headers={"User-Agent": "e2e-agent/1"})
    assert resp.status == 201, resp.body
    return dict(resp.json)


def _problem(resp: ApiResponse, status: int) -> dict[str, Any]:
    assert resp.status == status, resp.body
    assert resp.headers["content-type"].startswith(PROBLEM)
    return dict(resp.json)


def _no_canary(*responses: ApiResponse) -> None:
    for resp in responses:
        assert CANARY.encode() not in resp.body
        assert CANARY not in json.dumps(resp.headers)


def test_credential_lifecycle_returns_metadata_only(user: RegisteredUser) -> None:
    created = _create(user, expiresAt="2099-01-01T00:00:00Z")
    assert set(created) == METADATA
    assert (created["type"], created["isActive"]) == ("bearer", True)
    assert created["expiresAt"] == "2099-01-01T00:00:00.000Z"
    path = f"/credentials/{created['id']}"

    listed = user.client.get("/credentials")
    got = user.client.get(path)
    replaced = user.client.put(path, {"name": "stripe-live", "data": {"token": CANARY + "-2"}})
    assert listed.status == got.status == replaced.status == 200
    assert [i["id"] for i in listed.json["items"]] == [created["id"]] and listed.json["nextCursor"] is None
    assert got.json["fields"] == ["token"] and set(got.json) == METADATA | {"fields", "usageCount"}
    assert replaced.json["name"] == "stripe-live"

    deleted = user.client.delete(path)
    assert deleted.status == 204
    _problem(user.client.get(path), 404)
    _no_canary(listed, got, replaced, deleted)


def test_invalid_data_is_422_with_pointers_and_no_echo(user: RegisteredUser) -> None:
    resp = user.client.post(
        "/credentials",
        {"name": "k", "type": "api_key", "data": {"key": CANARY, "in": CANARY, "name": f"bad {CANARY}"}},
    )
    body = _problem(resp, 422)
    assert {e["pointer"] for e in body["errors"]} == {"/data/in", "/data/name"}
    _no_canary(resp)
    assert _problem(user.client.post("/credentials", {"name": "k", "type": "nope", "data": {}}), 422)


@pytest.mark.parametrize("field", ["id", "workspaceId", "createdBy", "isActive", "keyId"])
def test_mass_assignment_fields_are_rejected(user: RegisteredUser, field: str) -> None:
    body = {"name": "m", "type": "bearer", "data": {"token": "t"}, field: str(uuid.uuid4())}
    posted = user.client.post("/credentials", body)
    assert f"/{field}" in {e["pointer"] for e in _problem(posted, 422)["errors"]}
    created = _create(user, name="m2")
    put = user.client.put(f"/credentials/{created['id']}", {field: str(uuid.uuid4())})
    assert f"/{field}" in {e["pointer"] for e in _problem(put, 422)["errors"]}


def test_duplicate_name_is_409(user: RegisteredUser) -> None:
    _create(user, name="dup")
    _problem(user.client.post("/credentials", {"name": "dup", "type": "bearer", "data": {"token": "t"}}), 409)


def test_another_workspace_gets_404_on_every_id_route(
    user: RegisteredUser, other_user: RegisteredUser
) -> None:
    path = f"/credentials/{_create(user)['id']}"
    _problem(other_user.client.get(path), 404)
    _problem(other_user.client.put(path, {"name": "stolen"}), 404)
    _problem(other_user.client.delete(path), 404)
    assert other_user.client.get("/credentials").json["items"] == []
    assert user.client.get(path).json["name"] == "stripe"


def test_credential_routes_need_authentication(api) -> None:
    assert api.get("/credentials").status == 401
    assert api.post("/credentials", {"name": "x", "type": "bearer", "data": {"token": "t"}}).status == 401
    assert api.get("/audit-logs").status == 401


def test_audit_log_lists_credential_actions_for_the_owner_with_filters(
    user: RegisteredUser, other_user: RegisteredUser
) -> None:
    created = _create(user)
    user.client.put(f"/credentials/{created['id']}", {"data": {"token": CANARY + "-3"}})

    resp = user.client.get(f"/audit-logs?entityType=credential&entityId={created['id']}")
    assert resp.status == 200, resp.body
    entries = resp.json["items"]
    assert [e["action"] for e in entries] == ["credential.update", "credential.create"]
    newest = entries[0]
    assert newest["actor"] == {"type": "user", "id": user.user_id, "email": user.email}
    assert newest["changes"] == {"fields": ["token"]}
    assert (newest["entityType"], newest["userAgent"]) == ("credential", None)
    assert entries[1]["userAgent"] == "e2e-agent/1" and entries[1]["ip"]
    assert other_user.client.get(f"/audit-logs?entityId={created['id']}").json["items"] == []
    page = user.client.get("/audit-logs?limit=1")
    assert len(page.json["items"]) == 1 and page.json["nextCursor"]
    _no_canary(resp, page)


@pytest.mark.parametrize("query", ["since=yesterday", "since=2024-01-01T00:00:00", "actorId=nope", "limit=0"])
def test_audit_log_bad_filters_are_422_at_their_query_pointer(user: RegisteredUser, query: str) -> None:
    name = query.split("=", maxsplit=1)[0]
    body = _problem(user.client.get(f"/audit-logs?{query}"), 422)
    assert [e["pointer"] for e in body["errors"]] == [f"#/query/{name}"]


def test_canary_is_in_no_log_line_and_no_column_but_the_ciphertext(
    user: RegisteredUser, database_url: str, capfd
) -> None:
    created = _create(user, name="canary", type="custom_headers", data={"headers": {"X-Secret": CANARY}})
    path = f"/credentials/{created['id']}"
    responses = [
        user.client.get(path),
        user.client.get("/credentials"),
        user.client.put(path, {"data": {"headers": {"X-Secret": CANARY}}, "name": "canary2"}),
        user.client.post(
            "/credentials", {"name": "bad", "type": "bearer", "data": {"token": 1, "x": CANARY}}
        ),
        user.client.get("/audit-logs"),
    ]
    _no_canary(*responses)

    logs = capfd.readouterr()
    assert CANARY not in logs.out and CANARY not in logs.err
    assert _columns_containing(database_url, CANARY) == []


def _columns_containing(database_url: str, needle: str) -> list[str]:
    """Every table.column of the public schema whose value contains ``needle`` (text or bytes)."""
    url = to_pg8000_url(database_url)
    engine = create_engine(url, connect_args=connect_args_for(url, Settings()))
    found = []
    try:
        with engine.connect() as conn:
            columns = conn.execute(text(
                "SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'public'"
            )).all()
            for table, column, data_type in columns:
                value = f'"{column}"'
                # bytea is searched as raw bytes; everything else through its text form.
                condition = (
                    f"position(convert_to(:needle, 'UTF8') in {value}) > 0" if data_type == "bytea"
                    else f"{value}::text LIKE '%' || :needle || '%'"
                )
                query = text(f'SELECT 1 FROM "{table}" WHERE {condition} LIMIT 1')
                hit = conn.execute(query, {"needle": needle})
                if hit.first() is not None:
                    found.append(f"{table}.{column}")
    finally:
        engine.dispose()
    return found
