"""Credential sharing and the usage log over HTTP through the local runtime: a member attaches
another's credential only once it is shared for use; the usage log counts each step that used it;
revoking a share active workflows depend on is a 409 listing them, unless forced."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from e2e_support import ApiClient, RegisteredUser, register_user, wait_for_execution
from scripted_http import HitServer


@pytest.fixture
def target() -> Iterator[HitServer]:
    server = HitServer(path="/orders")
    yield server
    server.close()


def two_calls(url: str, credential_id: str) -> dict[str, Any]:
    call = {"type": "http_request", "credentialId": credential_id, "config": {"method": "GET", "url": url}}
    return {
        "nodes": [
            {"id": "start", "type": "trigger.manual", "config": {}},
            {"id": "a", **call},
            {"id": "b", **call},
        ],
        "connections": [{"source": "start", "target": "a"}, {"source": "a", "target": "b"}],
    }


def test_the_usage_log_counts_each_step_that_used_the_credential(
    user: RegisteredUser, target: HitServer
) -> None:
    credential = user.client.post(
        "/credentials", {"name": "orders-api", "type": "bearer", "data": {"token": "tk"}}
    )
    assert credential.status == 201 and credential.json["canUse"] is True, credential.body
    workflow = user.client.post(
        "/workflows", {"name": "Twice", "definition": two_calls(target.url, credential.json["id"])}
    )
    assert workflow.status == 201, workflow.body

    executions = []
    for _ in range(2):
        started = user.client.post(f"/workflows/{workflow.json['id']}/execute", {"input": {}})
        executions.append(wait_for_execution(user, started.json["executionId"]))

    assert [e["status"] for e in executions] == ["SUCCEEDED", "SUCCEEDED"] and target.hits == 4
    usage = user.client.get(f"/credentials/{credential.json['id']}/usage")
    assert usage.status == 200, usage.body
    assert sorted((u["executionId"], u["nodeId"]) for u in usage.json["items"]) == sorted(
        (e["id"], node) for e in executions for node in ("a", "b")
    )
    assert user.client.get(f"/credentials/{credential.json['id']}").json["usageCount"] == 4


def test_sharing_for_use_and_revoking_what_an_active_workflow_needs(
    api: ApiClient, user: RegisteredUser, target: HitServer
) -> None:
    member = register_user(api, name="Member")
    user.client.post(f"/workspaces/{user.workspace_id}/members", {"email": member.email, "role": "MEMBER"})
    as_member = {"X-Workspace-Id": user.workspace_id}
    credential = user.client.post(
        "/credentials", {"name": "shop", "type": "bearer", "data": {"token": "s"}}
    ).json
    body = {"name": "Borrowed", "definition": two_calls(target.url, credential["id"])}

    refused = member.client.post("/workflows", body, headers=as_member)
    assert (
        refused.status == 422 and refused.json["errors"][0]["pointer"] == "/definition/nodes/1/credentialId"
    )
    assert (
        user.client.post(
            f"/credentials/{credential['id']}/shares", {"email": member.email, "level": "read"}
        ).status
        == 422
    )
    share = user.client.post(f"/credentials/{credential['id']}/shares", {"email": member.email})
    assert share.status == 201 and share.json["level"] == "use", share.body
    workflow = member.client.post("/workflows", body, headers=as_member)
    assert workflow.status == 201, workflow.body
    assert member.client.post(f"/workflows/{workflow.json['id']}/activate", headers=as_member).status == 200
    assert (
        member.client.put(f"/credentials/{credential['id']}", {"name": "mine"}, headers=as_member).status
        == 403
    )

    blocked = user.client.delete(f"/credentials/{credential['id']}/shares/{share.json['id']}")
    assert blocked.status == 409 and blocked.json["workflows"] == [
        {"id": workflow.json["id"], "name": "Borrowed"}
    ]
    assert user.client.delete(f"/credentials/{credential['id']}").status == 409
    forced = user.client.delete(f"/credentials/{credential['id']}/shares/{share.json['id']}?force=true")
    assert forced.status == 204
    run = member.client.post(f"/workflows/{workflow.json['id']}/execute", {"input": {}}, headers=as_member)
    assert wait_for_execution(user, run.json["executionId"])["status"] == "FAILED"
