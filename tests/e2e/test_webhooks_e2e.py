"""Webhooks over HTTP through the local runtime (``a2n dev``): activate, call with a GitHub-style
signature, see the execution succeed; replays 401; sync mode answers with respond_webhook; after
deactivation the URL is a 404."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from e2e_support import ApiClient, ApiResponse, RegisteredUser, wait_for_execution
from standardwebhooks.webhooks import Webhook

from a2n.webhooks.signatures import sign_request

SECRET = "gh-e2e-secret"
STANDARD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the form Standard Webhooks senders show
EVENT = json.dumps({"ref": "refs/heads/main", "pusher": {"name": "ada"}}).encode()


def webhook_workflow(auth: dict[str, Any], mode: str = "async", respond: bool = False) -> dict[str, Any]:
    nodes: list[dict[str, Any]] = [
        {"id": "hook", "type": "trigger.webhook", "config": {"method": "POST", "mode": mode, "auth": auth}},
        {"id": "shape", "type": "transform", "config": {"value": {"who": "{{ trigger.body.pusher.name }}"}}},
    ]
    connections = [{"source": "hook", "target": "shape"}]
    if respond:
        body = {"ok": True, "who": "{{ input.who }}"}
        nodes.append({"id": "reply", "type": "respond_webhook", "config": {"status": 201, "body": body}})
        connections.append({"source": "shape", "target": "reply"})
    return {"nodes": nodes, "connections": connections}


def activated(user: RegisteredUser, definition: dict[str, Any]) -> tuple[str, str]:
    created = user.client.post("/workflows", {"name": "hook", "definition": definition})
    assert created.status == 201, created.body
    workflow_id = created.json["id"]
    activation = user.client.post(f"/workflows/{workflow_id}/activate")
    assert activation.status == 200, activation.body
    assert activation.json["isActive"] is True
    url = activation.json["triggers"][0]["webhookUrl"]
    return workflow_id, urlsplit(url).path




def test_github_signed_delivery_runs_and_its_replay_is_refused(api: ApiClient, user: RegisteredUser) -> None:
    auth = {"type": "hmac", "preset": "github", "secret": SECRET}
    workflow_id, path = activated(user, webhook_workflow(auth))
    headers = {"Content-Type": "application/json", "X-GitHub-Event": "push"}
    headers |= sign_request("github", SECRET.encode(), EVENT, datetime.now(UTC))

    answer = api.request("POST", path, body=EVENT, headers=headers)

    assert answer.status == 202, answer.body
    run = wait_for_execution(user, answer.json["executionId"])
    assert run["status"] == "SUCCEEDED" and run["mode"] == "webhook"
    assert run["triggerData"]["body"]["pusher"] == {"name": "ada"}
    assert "x-hub-signature-256" not in run["triggerData"]["headers"]
    replay = api.request("POST", path, body=EVENT, headers=headers)
    assert replay.status == 401 and replay.headers["content-type"] == "application/problem+json"
    unsigned = api.request("POST", path, body=EVENT, headers={"Content-Type": "application/json"})
    assert unsigned.status == 401
    stored = user.client.get(f"/workflows/{workflow_id}").json["definition"]
    assert SECRET not in json.dumps(stored)


def test_stripe_and_slack_signatures_as_those_services_compute_them(
    api: ApiClient, user: RegisteredUser
) -> None:
    for preset in ("stripe", "slack"):
        _, path = activated(user, webhook_workflow({"type": "hmac", "preset": preset, "secret": SECRET}))
        signed = sign_request(preset, SECRET.encode(), EVENT, datetime.now(UTC))  # type: ignore[arg-type]
        answer = api.request("POST", path, body=EVENT, headers={"Content-Type": "application/json", **signed})
        assert answer.status == 202, (preset, answer.body)
        assert wait_for_execution(user, answer.json["executionId"])["status"] == "SUCCEEDED"


def test_standard_webhooks_signed_by_the_reference_library_runs_and_a_bad_secret_is_a_422(
    api: ApiClient, user: RegisteredUser
) -> None:
    _, path = activated(user, webhook_workflow({"type": "hmac", "preset": "standard-webhooks",
                                                "secret": STANDARD_SECRET}))  # fmt: skip
    now = datetime.now(UTC)
    signature = Webhook(STANDARD_SECRET).sign("msg_e2e_1", now, EVENT.decode())
    headers = {"Content-Type": "application/json", "webhook-id": "msg_e2e_1",
               "webhook-timestamp": str(int(now.timestamp())), "webhook-signature": signature}  # fmt: skip

    answer = api.request("POST", path, body=EVENT, headers=headers)

    assert answer.status == 202, answer.body
    run = wait_for_execution(user, answer.json["executionId"])
    assert run["status"] == "SUCCEEDED" and run["output"] == {"who": "ada"}
    assert "webhook-signature" not in run["triggerData"]["headers"]
    assert run["triggerData"]["headers"]["webhook-id"] == "msg_e2e_1"
    forged = {**headers, "webhook-signature": Webhook("whsec_" + "QUFB" * 8).sign("msg_e2e_2", now, "{}")}
    assert api.request("POST", path, body=EVENT, headers=forged).status == 401
    typo = webhook_workflow({"type": "hmac", "preset": "standard-webhooks", "secret": "whsec_not base64!"})
    refused = user.client.post("/workflows", {"name": "typo", "definition": typo})
    assert refused.status == 422
    assert [e["pointer"] for e in refused.json["errors"]] == ["/definition/nodes/0/config/auth/secret"]
    assert "not base64!" not in refused.body.decode()


def hmac(preset: str) -> dict[str, str]:
    return {"type": "hmac", "preset": preset, "secret": SECRET}


def deliveries(user: RegisteredUser, workflow_id: str, limit: int = 2) -> list[dict[str, Any]]:
    """Every page of the trigger's delivery log, newest first."""
    items: list[dict[str, Any]] = []
    url = f"/workflows/{workflow_id}/triggers/hook/deliveries?limit={limit}"
    while url:
        page = user.client.get(url)
        assert page.status == 200 and set(page.json) == {"items", "nextCursor"}, page.body
        items += page.json["items"]
        cursor = page.json["nextCursor"]
        url = f"/workflows/{workflow_id}/triggers/hook/deliveries?limit={limit}&cursor={cursor}"
        url = url if cursor else ""
    return items


def test_a_github_redeliver_gets_the_first_execution_and_the_owner_sees_every_delivery_and_why(
    api: ApiClient, user: RegisteredUser, other_user: RegisteredUser
) -> None:
    workflow_id, path = activated(user, webhook_workflow(hmac("github")))
    headers = {"Content-Type": "application/json", "X-GitHub-Event": "push", "X-GitHub-Delivery": "e2e-d-1"}
    headers |= sign_request("github", SECRET.encode(), EVENT, datetime.now(UTC))

    first = api.request("POST", path, body=EVENT, headers=headers)
    redelivered = api.request("POST", path, body=EVENT, headers=headers)  # GitHub's "Redeliver" button
    forged_headers = {**headers, "X-Hub-Signature-256": "sha256=" + "0" * 64}
    forged = api.request("POST", path, body=EVENT, headers=forged_headers)
    huge = api.request("POST", path, body=b"x" * 1_100_000, headers=headers)
    wrong_method = api.request("PUT", path, body=EVENT, headers=headers)

    assert (first.status, redelivered.status) == (202, 202) and redelivered.json == first.json
    assert (forged.status, huge.status, wrong_method.status) == (401, 413, 405)
    assert forged.json["detail"] == "Webhook authentication failed"  # the sender learns nothing more
    runs = user.client.get(f"/executions?workflowId={workflow_id}").json["items"]
    assert [run["id"] for run in runs] == [first.json["executionId"]]
    logged = deliveries(user, workflow_id)
    assert [(d["outcome"], d["status"]) for d in logged] == [
        ("wrong_method", 405), ("too_large", 413), ("bad_signature", 401), ("duplicate", 202),
        ("accepted", 202),
    ]  # fmt: skip
    assert {d["executionId"] for d in logged[3:]} == {first.json["executionId"]}
    assert {d["providerDeliveryId"] for d in logged} == {"e2e-d-1"}
    assert logged[2]["detail"] == "signature does not match" and logged[1]["sizeBytes"] >= 1_100_000
    assert json.dumps(logged).count(headers["X-Hub-Signature-256"]) == 0 and "ada" not in json.dumps(logged)
    stranger = other_user.client.get(f"/workflows/{workflow_id}/triggers/hook/deliveries")
    no_such_node = user.client.get(f"/workflows/{workflow_id}/triggers/shape/deliveries")
    assert stranger.status == no_such_node.status == 404


def test_a_stripe_retry_re_signed_later_answers_with_the_first_execution(
    api: ApiClient, user: RegisteredUser
) -> None:
    workflow_id, path = activated(user, webhook_workflow(hmac("stripe")))
    event = json.dumps({"id": "evt_e2e_retry", "type": "invoice.paid", "pusher": {"name": "ada"}}).encode()

    def send(ago_s: int) -> ApiResponse:
        signed = sign_request("stripe", SECRET.encode(), event, datetime.now(UTC) - timedelta(seconds=ago_s))
        return api.request("POST", path, body=event, headers={"Content-Type": "application/json"} | signed)

    first, retry, replayed_stale = send(60), send(0), send(400)

    assert (first.status, retry.status, replayed_stale.status) == (202, 202, 401)
    assert retry.json == first.json
    assert len(user.client.get(f"/executions?workflowId={workflow_id}").json["items"]) == 1
    outcomes = [d["outcome"] for d in deliveries(user, workflow_id, limit=50)]
    assert outcomes == ["stale", "duplicate", "accepted"]


def test_sync_mode_answers_with_the_respond_webhook_body(api: ApiClient, user: RegisteredUser) -> None:
    _, path = activated(user, webhook_workflow({"type": "none"}, mode="sync", respond=True))

    json_type = {"Content-Type": "application/json"}
    answer = api.request("POST", path + "/sub/path?x=1", body=EVENT, headers=json_type)

    assert answer.status == 201, answer.body
    assert answer.json == {"ok": True, "who": "ada"}


def test_deactivated_webhook_is_a_404_like_an_unknown_one(api: ApiClient, user: RegisteredUser) -> None:
    workflow_id, path = activated(user, webhook_workflow({"type": "none"}))
    assert api.request("GET", path).status == 405

    assert user.client.post(f"/workflows/{workflow_id}/deactivate").status == 200

    gone = api.request("POST", path, body=EVENT, headers={"Content-Type": "application/json"})
    unknown = api.request("POST", "/webhooks/" + "A" * 32, body=EVENT)
    assert gone.status == unknown.status == 404
    assert gone.json == unknown.json
