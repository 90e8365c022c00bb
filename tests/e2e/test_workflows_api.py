"""Workflows over HTTP through the local runtime: each route's success and its 4xx answers,
hostile definitions and bodies (SECURITY 10, 12), tenancy (15) and mass assignment (16)."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import pytest
from e2e_support import ApiClient, ApiResponse, RegisteredUser

PROBLEM = "application/problem+json"


def definition() -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "start", "type": "trigger.manual", "config": {}},
            {"id": "done", "type": "noop", "config": {}},
        ],
        "connections": [{"source": "start", "target": "done"}],
    }


def create(client: ApiClient, name: str = "Orders", **extra: Any) -> dict[str, Any]:
    resp = client.post("/workflows", {"name": name, "definition": definition(), **extra})
    assert resp.status == 201, resp.body
    body: dict[str, Any] = resp.json
    return body


def problem(resp: ApiResponse, status: int) -> dict[str, Any]:
    assert resp.status == status, resp.body
    assert resp.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = resp.json
    return body


def error_pointers(resp: ApiResponse) -> set[str]:
    return {e["pointer"] for e in problem(resp, 422)["errors"]}


def total(client: ApiClient) -> int:
    resp = client.get("/workflows?limit=200")
    assert resp.status == 200
    return len(resp.json["items"])


def test_create_then_get_returns_the_api_md_shape(user: RegisteredUser) -> None:
    created = create(user.client, tags=["sales"], description="d", variables={"region": "eu"})

    assert set(created) == {
        "id",
        "name",
        "description",
        "definition",
        "version",
        "isActive",
        "tags",
        "createdAt",
        "updatedAt",
        "stats",
        "warnings",
        # Collaboration (docs/collaboration.md)
        "category",
        "folderId",
        "archivedAt",
        "publishedVersion",
        "published",
        "hasUnpublishedChanges",
        "schedules",
    }
    assert created["warnings"] == [] and created["schedules"] == []
    # A new workflow's first version is what runs: nothing ran before it.
    assert created["publishedVersion"] == 1 and created["hasUnpublishedChanges"] is False
    assert created["published"]["definition"] == created["definition"]
    assert created["version"] == 1 and created["isActive"] is False and created["tags"] == ["sales"]
    assert created["definition"]["variables"] == {"region": "eu"}
    assert created["stats"] == {
        "executionCount": 0,
        "successCount": 0,
        "failureCount": 0,
        "lastExecutedAt": None,
    }
    assert created["createdAt"].endswith("Z")

    fetched = user.client.get(f"/workflows/{created['id']}")
    assert fetched.status == 200
    assert fetched.json == created
    assert fetched.headers["etag"] == '"1"'


def test_list_filters_and_leaves_out_definitions(user: RegisteredUser) -> None:
    create(user.client, "invoice 100%", tags=["billing"])
    create(user.client, "other")

    listed = user.client.get("/workflows?q=100%25&limit=10")
    assert listed.status == 200
    assert [w["name"] for w in listed.json["items"]] == ["invoice 100%"]
    assert "definition" not in listed.json["items"][0]
    assert [w["name"] for w in user.client.get("/workflows?tag=billing").json["items"]] == ["invoice 100%"]
    assert user.client.get("/workflows?active=true").json["items"] == []

    paged = user.client.get("/workflows?limit=1")
    assert paged.json["nextCursor"]
    following = user.client.get(f"/workflows?limit=1&cursor={paged.json['nextCursor']}")
    assert following.json["items"][0]["id"] != paged.json["items"][0]["id"]
    problem(user.client.get("/workflows?limit=0"), 422)
    problem(user.client.get("/workflows?cursor=%%%"), 400)
    problem(user.client.get("/workflows?active=maybe"), 422)


def test_put_bumps_version_versions_list_and_restore(user: RegisteredUser) -> None:
    wf = create(user.client)
    changed = definition()
    changed["nodes"][1]["name"] = "Renamed"

    put = user.client.put(
        f"/workflows/{wf['id']}",
        {"name": "v2", "definition": changed, "changeNote": "rename"},
        headers={"If-Match": '"1"'},
    )
    assert put.status == 200, put.body
    assert put.json["version"] == 2 and put.json["name"] == "v2"
    stale = user.client.put(
        f"/workflows/{wf['id']}", {"name": "v3", "definition": changed}, headers={"If-Match": "1"}
    )
    problem(stale, 409)

    versions = user.client.get(f"/workflows/{wf['id']}/versions").json
    assert [(v["version"], v["changeNote"]) for v in versions["items"]] == [(2, "rename"), (1, None)]
    assert versions["items"][0]["createdBy"] == user.user_id
    first = user.client.get(f"/workflows/{wf['id']}/versions/1")
    assert first.status == 200 and first.json["definition"] == definition()
    problem(user.client.get(f"/workflows/{wf['id']}/versions/9"), 404)
    problem(user.client.get(f"/workflows/{wf['id']}/versions/abc"), 404)

    restored = user.client.post(f"/workflows/{wf['id']}/versions/1/restore")
    assert restored.status == 200, restored.body
    assert restored.json["version"] == 3 and restored.json["definition"] == definition()


def test_delete_then_everything_about_it_is_404(user: RegisteredUser) -> None:
    wf = create(user.client)
    assert user.client.delete(f"/workflows/{wf['id']}").status == 204
    problem(user.client.get(f"/workflows/{wf['id']}"), 404)
    problem(user.client.delete(f"/workflows/{wf['id']}"), 404)
    problem(user.client.get(f"/workflows/{wf['id']}/versions"), 404)


def test_export_then_import_round_trips_without_secrets(
    user: RegisteredUser, other_user: RegisteredUser
) -> None:
    hooked = definition()
    hooked["nodes"][0] = {
        "id": "start",
        "type": "trigger.webhook",
        "config": {"auth": {"type": "header", "header": "X-Token", "secret": "canary-secret-42"}},
    }
    resp = user.client.post("/workflows", {"name": "hooked", "definition": hooked, "tags": ["x"]})
    assert resp.status == 201, resp.body
    wf = resp.json
    assert b"canary-secret-42" not in resp.body
    assert wf["definition"]["nodes"][0]["config"]["auth"]["secret"] == "********"

    exported = user.client.get(f"/workflows/{wf['id']}/export")
    assert exported.status == 200
    assert b"canary-secret-42" not in exported.body and b"********" not in exported.body
    document = exported.json
    assert document["a2nExport"] == 1 and document["name"] == "hooked" and document["tags"] == ["x"]

    imported = other_user.client.post("/workflows/import", document)
    assert imported.status == 201, imported.body
    assert imported.json["version"] == 1 and imported.json["id"] != wf["id"]
    assert "secret" not in imported.json["definition"]["nodes"][0]["config"]["auth"]

    with_name = copy.deepcopy(document)
    with_name["definition"]["nodes"][1] = {
        "id": "done",
        "type": "http_request",
        "credentialName": "missing",
        "config": {"method": "GET", "url": "https://example.com"},
    }
    assert error_pointers(other_user.client.post("/workflows/import", with_name)) == {
        "/definition/nodes/1/credentialName"
    }
    problem(other_user.client.post("/workflows/import", {**document, "a2nExport": 2}), 422)


def test_validate_answers_valid_or_every_problem(user: RegisteredUser) -> None:
    ok = user.client.post("/workflows/validate", {"definition": definition()})
    assert ok.status == 200 and ok.json == {"valid": True, "warnings": []}

    bad = definition()
    bad["nodes"].append({"id": "x", "type": "condition", "config": {"expression": "[[["}})
    bad["nodes"].append({"id": "y", "type": "who.knows"})
    bad["connections"].append({"source": "done", "target": "nowhere"})
    found = error_pointers(user.client.post("/workflows/validate", {"definition": bad}))
    assert {"/definition/nodes/2/config/expression", "/definition/nodes/3/type"} <= found
    assert any(p.startswith("/definition/connections/1") for p in found)


def test_node_types_lists_the_catalogue(user: RegisteredUser, api: ApiClient) -> None:
    resp = user.client.get("/node-types")
    assert resp.status == 200
    # The list envelope of every list route (issue 11 item 12): one page holds the catalogue.
    assert set(resp.json) == {"items", "nextCursor"} and resp.json["nextCursor"] is None
    types = {t["type"]: t for t in resp.json["items"]}
    assert {"trigger.manual", "trigger.webhook", "http_request", "condition", "noop"} <= set(types)
    assert types["condition"]["handles"]["outputs"] == ["true", "false"]
    assert "properties" in types["http_request"]["configSchema"]
    assert api.get("/node-types").status == 401


HOSTILE_DEFINITIONS = {
    "cycle": {
        "nodes": [
            {"id": "s", "type": "trigger.manual"},
            {"id": "a", "type": "noop"},
            {"id": "b", "type": "noop"},
        ],
        "connections": [
            {"source": "s", "target": "a"},
            {"source": "a", "target": "b"},
            {"source": "b", "target": "a"},
        ],
    },
    "dangling": {**definition(), "connections": [{"source": "start", "target": "ghost"}]},
    "unknown type": {"nodes": [{"id": "s", "type": "trigger.manual"}, {"id": "a", "type": "evil.exec"}]},
    "bad expression": {
        "nodes": [
            {"id": "s", "type": "trigger.manual"},
            {"id": "a", "type": "condition", "config": {"expression": "a.["}},
        ],
        "connections": [{"source": "s", "target": "a"}],
    },
    "wrong config type": {
        "nodes": [
            {"id": "s", "type": "trigger.manual"},
            {"id": "a", "type": "http_request", "config": {"url": 5}},
        ],
        "connections": [{"source": "s", "target": "a"}],
    },
}


@pytest.mark.parametrize("case", sorted(HOSTILE_DEFINITIONS))
def test_hostile_definitions_are_422_with_pointers_and_store_nothing(user: RegisteredUser, case: str) -> None:
    before = total(user.client)
    resp = user.client.post("/workflows", {"name": case, "definition": HOSTILE_DEFINITIONS[case]})
    assert all(p.startswith("/definition") for p in error_pointers(resp))
    assert total(user.client) == before


def test_deep_and_huge_bodies_are_refused_without_storing(user: RegisteredUser) -> None:
    before = total(user.client)
    deep = '{"name": "deep", "definition": ' + '{"a":' * 10_000 + "1" + "}" * 10_000 + "}"
    problem(
        user.client.post("/workflows", body=deep.encode(), headers={"Content-Type": "application/json"}), 400
    )
    huge = json.dumps({"name": "huge", "definition": {**definition(), "variables": {"x": "a" * 10_000_000}}})
    problem(
        user.client.post("/workflows", body=huge.encode(), headers={"Content-Type": "application/json"}), 413
    )
    assert total(user.client) == before


JSON_ROUTES = [
    ("POST", "/workflows"),
    ("PUT", "/workflows/{id}"),
    ("POST", "/workflows/import"),
    ("POST", "/workflows/validate"),
]
BAD_BODIES = {
    "not json": (b"name=x", "application/json"),
    "wrong content type": (b'{"name": "x"}', "text/plain"),
    "truncated": (b'{"name": "x", "definition": {', "application/json"),
    # A body that is not UTF-8 reaches the function base64-encoded, byte for byte; the route's own
    # UTF-8 check refuses it (e2e/test_edge_input_e2e.py has the same inside a JSON string).
    "invalid utf-8": (b'{"name": "x", \xff\xfe}', "application/json"),
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_malformed_bodies_are_400_on_every_json_route(user: RegisteredUser, case: str) -> None:
    wf = create(user.client)
    body, content_type = BAD_BODIES[case]
    for method, path in JSON_ROUTES:
        resp = user.client.request(
            method, path.format(id=wf["id"]), body=body, headers={"Content-Type": content_type}
        )
        problem(resp, 400)


ID_ROUTES = [
    ("GET", "/workflows/{id}", None),
    ("PUT", "/workflows/{id}", {"name": "stolen", "definition": definition()}),
    ("DELETE", "/workflows/{id}", None),
    ("GET", "/workflows/{id}/versions", None),
    ("GET", "/workflows/{id}/versions/1", None),
    ("POST", "/workflows/{id}/versions/1/restore", None),
    ("GET", "/workflows/{id}/export", None),
    # Collaboration: without a share, another workspace's workflow does not exist here either.
    ("PATCH", "/workflows/{id}", {"name": "stolen"}),
    ("POST", "/workflows/{id}/publish", {}),
    ("POST", "/workflows/{id}/unarchive", None),
    ("POST", "/workflows/{id}/execute", {"input": {}}),
    ("POST", "/workflows/{id}/shares", {"workspace": True, "level": "edit"}),
    ("GET", "/workflows/{id}/shares", None),
]


def test_another_workspace_gets_404_on_every_id_route(
    user: RegisteredUser, other_user: RegisteredUser
) -> None:
    wf = create(user.client)
    for method, path, body in ID_ROUTES:
        resp = other_user.client.request(method, path.format(id=wf["id"]), json_body=body)
        assert b"Orders" not in resp.body
        problem(resp, 404)
        # The same answer as for an id that exists nowhere: nothing to tell them apart.
        problem(other_user.client.request(method, path.format(id=uuid.uuid4()), json_body=body), 404)
    assert user.client.get(f"/workflows/{wf['id']}").json["version"] == 1


@pytest.mark.parametrize("field", ["id", "workspaceId", "createdBy", "version", "isActive"])
def test_server_owned_fields_in_bodies_are_422_and_nothing_applied(user: RegisteredUser, field: str) -> None:
    wf = create(user.client)
    before = total(user.client)
    value: Any = True if field == "isActive" else (7 if field == "version" else str(uuid.uuid4()))
    body = {"name": "mass", "definition": definition(), field: value}

    assert error_pointers(user.client.post("/workflows", body)) == {f"/{field}"}
    assert error_pointers(user.client.put(f"/workflows/{wf['id']}", body)) == {f"/{field}"}
    assert total(user.client) == before
    after = user.client.get(f"/workflows/{wf['id']}").json
    assert (after["name"], after["version"], after["isActive"]) == ("Orders", 1, False)


def calling(*urls: str) -> dict[str, Any]:
    nodes: list[dict[str, Any]] = [{"id": "start", "type": "trigger.manual", "config": {}}]
    nodes += [{"id": f"call{i}", "type": "http_request", "config": {"method": "GET", "url": url}}
              for i, url in enumerate(urls)]  # fmt: skip
    edges = [{"source": nodes[i]["id"], "target": nodes[i + 1]["id"]} for i in range(len(nodes) - 1)]
    return {"nodes": nodes, "connections": edges}


def test_a_url_naming_a_private_address_is_saved_and_activated_with_a_warning(user: RegisteredUser) -> None:
    # The e2e stack allows 127.0.0.0/8 (its tests call local servers): 10.x and metadata are not.
    private = calling("https://api.example.com/ok", "http://10.0.0.5:8080/x", "http://169.254.169.254/latest")
    pointers = {"/definition/nodes/2/config/url", "/definition/nodes/3/config/url"}

    validated = user.client.post("/workflows/validate", {"definition": private})
    created = user.client.post("/workflows", {"name": "Internal", "definition": private})
    workflow_id = created.json["id"]
    replaced = user.client.put(f"/workflows/{workflow_id}", {"name": "Internal", "definition": private})
    activated = user.client.post(f"/workflows/{workflow_id}/activate")

    assert (validated.status, created.status, replaced.status, activated.status) == (200, 201, 200, 200)
    for answer in (validated, created, replaced, activated):
        assert {w["pointer"] for w in answer.json["warnings"]} == pointers, answer.body
        assert all("A2N_HTTP_ALLOW_NETWORKS" in w["message"] for w in answer.json["warnings"])
    assert activated.json["isActive"] is True
    clean = user.client.post("/workflows", {"name": "Public", "definition": calling("https://api.example.com/")})
    assert clean.status == 201 and clean.json["warnings"] == []
    allowed = user.client.post("/workflows/validate", {"definition": calling("http://127.0.0.1:9/")})
    assert allowed.json["warnings"] == []  # inside the operator's allowed range: nothing to warn about
