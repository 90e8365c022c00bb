"""Notification delivery over HTTP through the local runtime (issue 13 item 7): a failed run puts a
notification in the rule owner's inbox and delivers it by email (the local mailbox), to a local
Slack-shaped receiver and to a webhook receiver whose Standard Webhooks signature the reference
library verifies; each channel's delivery log says so. Nothing of the run's data travels."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from e2e_support import ApiClient, RegisteredUser, wait_for_execution
from mail_support import wait_for_mail
from scripted_http import HitServer, RecordingServer
from standardwebhooks.webhooks import Webhook
from waiting import wait_until

CANARY = "canary-order-secret-7f3a"


@pytest.fixture
def receiver() -> Iterator[RecordingServer]:
    server = RecordingServer()
    yield server
    server.close()


@pytest.fixture
def missing() -> Iterator[HitServer]:
    server = HitServer(statuses=[404], path="/orders")
    yield server
    server.close()


def failing(url: str) -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "start", "type": "trigger.manual", "config": {}},
            {
                "id": "call",
                "type": "http_request",
                "config": {"method": "POST", "url": url, "body": "{{ trigger }}"},
            },
        ],
        "connections": [{"source": "start", "target": "call"}],
    }


def add_channel(user: RegisteredUser, body: dict[str, Any]) -> dict[str, Any]:
    created = user.client.post("/notification-channels", body)
    assert created.status == 201, created.body
    return dict(created.json)


def test_a_failed_run_reaches_the_inbox_email_slack_and_a_signed_webhook(
    api: ApiClient, user: RegisteredUser, receiver: RecordingServer, missing: HitServer
) -> None:
    workflow = user.client.post(
        "/workflows", {"name": "Orders sync", "definition": failing(missing.url)}
    ).json
    email = add_channel(user, {"kind": "email", "name": "me"})
    slack = add_channel(user, {"kind": "slack", "name": "#ops", "url": f"{receiver.url}/services/T0/B0/x"})
    hook = add_channel(user, {"kind": "webhook", "name": "pager", "url": f"{receiver.url}/hook"})
    rule = user.client.post(
        "/notification-rules",
        {
            "event": "execution.failed",
            "workflowId": workflow["id"],
            "channelIds": [email["id"], slack["id"], hook["id"]],
        },
    )
    assert rule.status == 201, rule.body

    started = user.client.post(f"/workflows/{workflow['id']}/execute", {"input": {"token": CANARY}})
    run = wait_for_execution(user, started.json["executionId"])
    assert run["status"] == "FAILED"

    inbox = wait_until(
        lambda: [
            n for n in user.client.get("/notifications").json["items"] if n["kind"] == "execution.failed"
        ],
        "the failure in the inbox",
    )
    assert inbox[0]["data"]["executionId"] == run["id"] and inbox[0]["data"]["workflowName"] == "Orders sync"
    wait_until(lambda: len(receiver.requests) == 2 or None, "the Slack and webhook deliveries")
    by_path = {path: (headers, body) for path, headers, body in receiver.requests}
    _, slack_body = by_path["/services/T0/B0/x"]
    assert json.loads(slack_body)["text"].startswith("Orders sync: run failed")
    hook_headers, hook_body = by_path["/hook"]
    delivered = Webhook(hook["signingSecret"]).verify(hook_body, hook_headers)  # the reference library
    assert delivered["type"] == "execution.failed" and delivered["data"]["executionId"] == run["id"]
    mail = wait_for_mail(api, user.email, "notice")
    assert "Orders sync: run failed" in json.dumps(mail)
    for sent in (slack_body, hook_body, json.dumps(inbox), json.dumps(mail)):
        assert CANARY not in (sent if isinstance(sent, str) else sent.decode())  # ids, names and links only
    for channel in (email, slack, hook):
        log = user.client.get(f"/notification-channels/{channel['id']}/deliveries")
        assert [(d["status"], d["event"]) for d in log.json["items"]] == [("delivered", "execution.failed")]
    assert "signingSecret" not in json.dumps(user.client.get("/notification-channels").json)


def test_channel_urls_are_guarded_and_api_keys_cannot_add_channels(user: RegisteredUser) -> None:
    metadata = user.client.post(
        "/notification-channels", {"kind": "webhook", "name": "x", "url": "http://169.254.169.254/latest"}
    )
    assert metadata.status == 422 and metadata.json["errors"][0]["pointer"] == "/url"
    key = user.client.post("/api-keys", {"name": "ci", "scopes": ["workspaces:admin", "workflows:write"]})
    assert key.status == 201, key.body
    by_key = user.client.post("/notification-channels", {"kind": "email", "name": "x"}, token=key.json["key"])
    assert by_key.status == 403
    assert user.client.post("/notification-rules", {"event": "execution.slow"}).status == 422


def test_the_audit_trail_holds_every_share_publish_moderation_and_rule_change(
    user: RegisteredUser, other_user: RegisteredUser
) -> None:
    """Issue 13 item 8, read back through GET /audit-logs as the workspace's OWNER sees it."""
    c = user.client
    colleague = other_user
    assert (
        c.post(
            f"/workspaces/{user.workspace_id}/members", {"email": colleague.email, "role": "MEMBER"}
        ).status
        == 201
    )
    workflow = c.post("/workflows", {"name": "Audited", "definition": failing("http://127.0.0.1:9/x")}).json
    path = f"/workflows/{workflow['id']}"
    share = c.post(f"{path}/shares", {"email": colleague.email, "level": "view"}).json
    assert c.delete(f"{path}/shares/{share['id']}").status == 204
    c.put(path, {"name": "Audited", "definition": failing("http://127.0.0.1:9/y")})
    assert c.post(f"{path}/publish", {}).status == 200
    theirs = colleague.client.post(
        f"{path}/comments", {"body": "hm"}, headers={"X-Workspace-Id": user.workspace_id}
    )
    assert theirs.status == 201, theirs.body
    assert c.delete(f"{path}/comments/{theirs.json['id']}").status == 204  # the OWNER moderates
    rule = c.post("/notification-rules", {"event": "execution.failed", "workflowId": workflow["id"]}).json
    assert c.delete(f"/notification-rules/{rule['id']}").status == 204

    workflow_trail = c.get(f"/audit-logs?entityType=workflow&entityId={workflow['id']}").json["items"]
    actions = [e["action"] for e in workflow_trail]
    for wanted in ("workflow.share", "workflow.unshare", "workflow.publish"):
        assert wanted in actions, actions
    moderated = [
        e for e in c.get("/audit-logs?entityType=comment").json["items"] if e["action"] == "comment.delete"
    ]
    assert moderated and moderated[0]["changes"]["moderated"] is True
    rules = c.get(f"/audit-logs?entityType=notification_rule&entityId={rule['id']}").json["items"]
    assert [e["action"] for e in rules] == ["notification_rule.delete", "notification_rule.create"]
