"""Sharing over HTTP through the local runtime: two users in two workspaces, a workflow shared at each
level, and every route of the workflow answering exactly as that level allows (routes by levels).

Bob acts in his own (personal) workspace throughout; he is also a VIEWER of Alice's, so run and edit
shares count in full for him. Carol belongs to no workspace of Alice's: only view reaches her.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from e2e_support import ApiClient, ApiResponse, RegisteredUser, register_user

LEVELS = (None, "view", "run", "edit")
RANK = {None: 0, "view": 1, "run": 2, "edit": 3}


def definition(label: str = "v1") -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "start", "type": "trigger.manual", "config": {}},
            {"id": "hook", "type": "trigger.webhook", "config": {"method": "POST"}},
            {"id": "out", "type": "transform", "config": {"value": {"label": label}}},
        ],
        "connections": [{"source": "start", "target": "out"}, {"source": "hook", "target": "out"}],
    }


@dataclass(frozen=True)
class Route:
    """A route of one workflow, the least share level that allows it (None: no share ever does), and
    the status it answers when allowed."""

    name: str
    needs: str | None
    ok: int
    call: Callable[[ApiClient, str], ApiResponse]


ROUTES = (
    Route("GET workflow", "view", 200, lambda c, w: c.get(f"/workflows/{w}")),
    Route("GET versions", "view", 200, lambda c, w: c.get(f"/workflows/{w}/versions")),
    Route("GET version", "view", 200, lambda c, w: c.get(f"/workflows/{w}/versions/1")),
    Route("GET export", "view", 200, lambda c, w: c.get(f"/workflows/{w}/export")),
    Route("GET comments", "view", 200, lambda c, w: c.get(f"/workflows/{w}/comments")),
    Route("POST comment", "view", 201,
          lambda c, w: c.post(f"/workflows/{w}/comments", {"body": "looks good"})),
    Route("POST execute", "run", 202, lambda c, w: c.post(f"/workflows/{w}/execute", {"input": {}})),
    Route("POST execute draft", "edit", 202,
          lambda c, w: c.post(f"/workflows/{w}/execute", {"input": {}, "version": "draft"})),
    Route("PUT workflow", "edit", 200,
          lambda c, w: c.put(f"/workflows/{w}", {"name": "x", "definition": definition("v2")})),
    Route("PATCH details", "edit", 200, lambda c, w: c.patch(f"/workflows/{w}", {"description": "by bob"})),
    Route("POST restore", "edit", 200, lambda c, w: c.post(f"/workflows/{w}/versions/1/restore")),
    Route("POST publish", "edit", 200, lambda c, w: c.post(f"/workflows/{w}/publish", {})),
    Route("POST activate", "edit", 200, lambda c, w: c.post(f"/workflows/{w}/activate")),
    Route("GET deliveries", "edit", 200, lambda c, w: c.get(f"/workflows/{w}/triggers/hook/deliveries")),
    Route("POST deactivate", "edit", 200, lambda c, w: c.post(f"/workflows/{w}/deactivate")),
    Route("PATCH folder", None, 200, lambda c, w: c.patch(f"/workflows/{w}", {"folderId": None})),
    Route("GET shares", None, 200, lambda c, w: c.get(f"/workflows/{w}/shares")),
    Route("POST shares", None, 201,
          lambda c, w: c.post(f"/workflows/{w}/shares", {"workspace": True, "level": "view"})),
    Route("DELETE workflow", None, 204, lambda c, w: c.delete(f"/workflows/{w}")),
)  # fmt: skip


def expected(route: Route, level: str | None) -> int:
    if route.needs is not None and RANK[level] >= RANK[route.needs]:
        return route.ok
    return 404 if level is None else 403


@pytest.fixture(scope="module")
def people(stack: Any) -> dict[str, RegisteredUser]:
    api = ApiClient(stack.url)
    alice, bob, carol = (register_user(api, name=n) for n in ("Alice", "Bob", "Carol"))
    added = alice.client.post(
        f"/workspaces/{alice.workspace_id}/members", {"email": bob.email, "role": "VIEWER"}
    )
    assert added.status == 201, added.body
    return {"alice": alice, "bob": bob, "carol": carol}


@pytest.mark.parametrize("level", LEVELS)
def test_every_workflow_route_answers_as_the_share_level_allows(
    people: dict[str, RegisteredUser], level: str | None
) -> None:
    alice, bob = people["alice"], people["bob"]
    workflow = alice.client.post(
        "/workflows", {"name": f"shared at {level}", "definition": definition()}
    ).json
    if level is not None:
        granted = alice.client.post(
            f"/workflows/{workflow['id']}/shares", {"email": bob.email, "level": level}
        )
        assert granted.status == 201, granted.body

    answers = {route.name: route.call(bob.client, workflow["id"]).status for route in ROUTES}

    assert answers == {route.name: expected(route, level) for route in ROUTES}


def test_outside_the_workspace_a_share_is_view_only(people: dict[str, RegisteredUser]) -> None:
    alice, carol = people["alice"], people["carol"]
    workflow = alice.client.post("/workflows", {"name": "for carol", "definition": definition()}).json
    path = f"/workflows/{workflow['id']}/shares"

    for level in ("run", "edit"):
        refused = alice.client.post(path, {"email": carol.email, "level": level})
        assert refused.status == 422 and refused.json["errors"][0]["pointer"] == "/level", refused.body
    assert alice.client.post(path, {"email": carol.email, "level": "view"}).status == 201

    answers = {route.name: route.call(carol.client, workflow["id"]).status for route in ROUTES}
    assert answers == {route.name: expected(route, "view") for route in ROUTES}
    mine = carol.client.get("/shared-with-me").json
    assert [(s["name"], s["level"], s["sharedBy"]) for s in mine["items"]] == [
        ("for carol", "view", alice.email)
    ]


def test_revocation_applies_at_the_next_request_and_bad_shares_are_refused(
    people: dict[str, RegisteredUser],
) -> None:
    alice, bob = people["alice"], people["bob"]
    workflow = alice.client.post("/workflows", {"name": "revoked", "definition": definition()}).json
    path = f"/workflows/{workflow['id']}/shares"
    granted = alice.client.post(path, {"email": bob.email, "level": "edit"}).json
    assert bob.client.get(f"/workflows/{workflow['id']}").status == 200

    assert alice.client.delete(f"{path}/{granted['id']}").status == 204

    assert bob.client.get(f"/workflows/{workflow['id']}").status == 404
    unknown = alice.client.post(path, {"email": "nobody-at-all@example.com", "level": "view"})
    assert unknown.status == 404 and unknown.headers["content-type"] == "application/problem+json"
    assert alice.client.post(path, {"email": alice.email, "level": "view"}).status == 409
    assert alice.client.post(path, {"email": bob.email, "level": "view"}).status == 201
    assert alice.client.post(path, {"email": bob.email, "level": "run"}).status == 409
    assert alice.client.post(path, {"email": bob.email, "workspace": True, "level": "run"}).status == 422
    assert alice.client.post(path, {"level": "run"}).status == 422
    assert bob.client.post(path, {"email": people["carol"].email, "level": "view"}).status == 403
