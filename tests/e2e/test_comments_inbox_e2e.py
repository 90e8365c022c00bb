"""Comments and the inbox over HTTP through the local runtime: a thread on a node with a mention
lands in the mentioned member's inbox; replies, resolve, edit and delete answer as documented; a
share received is in the recipient's inbox; marking read."""

from __future__ import annotations

from typing import Any

from e2e_support import ApiClient, RegisteredUser, register_user


def definition() -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "start", "type": "trigger.manual", "config": {}},
            {"id": "fetch", "type": "noop", "config": {}},
        ],
        "connections": [{"source": "start", "target": "fetch"}],
    }


def test_a_mention_on_a_node_reaches_the_inbox_and_the_thread_can_be_resolved(
    api: ApiClient, user: RegisteredUser
) -> None:
    colleague = register_user(api, name="Colleague")
    added = user.client.post(
        f"/workspaces/{user.workspace_id}/members", {"email": colleague.email, "role": "MEMBER"}
    )
    assert added.status == 201, added.body
    workflow = user.client.post("/workflows", {"name": "Orders", "definition": definition()}).json
    path = f"/workflows/{workflow['id']}/comments"

    thread = user.client.post(path, {"body": f"@{colleague.email} can fetch retry?", "nodeId": "fetch"})
    assert thread.status == 201, thread.body
    assert [m["email"] for m in thread.json["mentions"]] == [colleague.email]
    reply = colleague.client.post(
        path, {"body": "yes", "parentId": thread.json["id"]}, headers={"X-Workspace-Id": user.workspace_id}
    )
    assert reply.status == 201, reply.body

    assert colleague.client.get("/notifications/unread-count").json == {"unread": 1}
    inbox = colleague.client.get("/notifications?unread=true").json
    assert [(n["kind"], n["data"]["nodeId"]) for n in inbox["items"]] == [("comment.mention", "fetch")]
    read = colleague.client.post(f"/notifications/{inbox['items'][0]['id']}/read")
    assert read.status == 200 and read.json["read"] is True
    assert colleague.client.get("/notifications/unread-count").json == {"unread": 0}

    resolved = colleague.client.patch(f"{path}/{thread.json['id']}", {"resolved": True},
                                      headers={"X-Workspace-Id": user.workspace_id})  # fmt: skip
    assert resolved.status == 200 and resolved.json["resolved"] is True
    assert colleague.client.patch(f"{path}/{thread.json['id']}", {"body": "mine now"},
                                  headers={"X-Workspace-Id": user.workspace_id}).status == 403  # fmt: skip
    threads = user.client.get(f"{path}?nodeId=fetch").json
    assert [(c["replyCount"], c["resolved"]) for c in threads["items"]] == [(1, True)]
    replies = user.client.get(f"{path}?parentId={thread.json['id']}").json
    assert [c["body"] for c in replies["items"]] == ["yes"]
    assert user.client.post(path, {"body": "x", "nodeId": "missing"}).status == 422
    assert user.client.patch(f"{path}/{thread.json['id']}", {}).status == 422
    assert user.client.delete(f"{path}/{reply.json['id']}").status == 204  # the OWNER moderates
    assert user.client.get(f"{path}?parentId={thread.json['id']}").json["items"] == []


def test_a_share_received_lands_in_the_inbox(
    api: ApiClient, user: RegisteredUser, other_user: RegisteredUser
) -> None:
    workflow = user.client.post("/workflows", {"name": "Payroll", "definition": definition()}).json
    shared = user.client.post(
        f"/workflows/{workflow['id']}/shares", {"email": other_user.email, "level": "view"}
    )
    assert shared.status == 201, shared.body

    items = other_user.client.get("/notifications").json["items"]
    assert [(n["kind"], n["data"]["workflowId"]) for n in items] == [("share.received", workflow["id"])]
    marked = other_user.client.post("/notifications/read-all")
    assert marked.status == 200 and marked.json == {"marked": 1}
    assert other_user.client.get("/notifications?unread=true").json["items"] == []
    assert user.client.get("/notifications").json["items"] == []


def test_a_workspace_can_forbid_viewers_to_comment(api: ApiClient, user: RegisteredUser) -> None:
    viewer = register_user(api, name="Viewer")
    added = user.client.post(
        f"/workspaces/{user.workspace_id}/members", {"email": viewer.email, "role": "VIEWER"}
    )
    assert added.status == 201, added.body
    workflow = user.client.post("/workflows", {"name": "Orders", "definition": definition()}).json
    path, in_ws = f"/workflows/{workflow['id']}/comments", {"X-Workspace-Id": user.workspace_id}
    assert viewer.client.post(path, {"body": "looks good"}, headers=in_ws).status == 201

    policies = user.client.patch(f"/workspaces/{user.workspace_id}/policies", {"viewersMayComment": False})
    assert policies.status == 200 and policies.json["viewersMayComment"] is False, policies.body
    assert user.client.get(f"/workspaces/{user.workspace_id}").json["viewersMayComment"] is False
    refused = viewer.client.post(path, {"body": "one more"}, headers=in_ws)
    assert refused.status == 403, refused.body
    assert user.client.post(path, {"body": "members still may"}).status == 201
    assert (
        user.client.patch(f"/workspaces/{user.workspace_id}/policies", {"viewersMayComment": 0}).status == 422
    )
