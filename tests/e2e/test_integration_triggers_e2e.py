"""App triggers over HTTP through the local runtime: a package's webhook trigger verifies the
provider's own signature, starts only the workflows whose event filter names the delivered event,
answers the provider's handshake without a run, and checks Telegram's secret token header."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from e2e_support import ApiClient, RegisteredUser, wait_for_execution

from a2n.webhooks.signatures import sign_request

SECRET = "e2e-app-trigger-secret"
# https://docs.github.com/en/webhooks/webhook-events-and-payloads#issues (abridged example payload)
ISSUE_OPENED = json.dumps(
    {
        "action": "opened",
        "issue": {"number": 1347, "title": "Found a bug"},
        "repository": {"name": "Hello-World", "owner": {"login": "octocat"}},
    }
).encode()


def installed(user: RegisteredUser, package: str) -> None:
    answer = user.client.post("/integrations", {"package": package})
    assert answer.status in (201, 409), answer.body  # 409: this user's workspace has it already


def app_workflow(user: RegisteredUser, trigger: dict[str, Any], name: str) -> tuple[str, str]:
    """A workflow started by ``trigger`` (an app trigger config), activated; its id and webhook path."""
    nodes = [
        {"id": "hook", "type": "trigger.integration", "config": trigger},
        {"id": "shape", "type": "transform", "config": {"value": {"seen": "{{ trigger.body }}"}}},
    ]
    definition = {"nodes": nodes, "connections": [{"source": "hook", "target": "shape"}]}
    created = user.client.post("/workflows", {"name": name, "definition": definition})
    assert created.status == 201, created.body
    assert SECRET not in created.body.decode()
    activation = user.client.post(f"/workflows/{created.json['id']}/activate")
    assert activation.status == 200, activation.body
    return created.json["id"], urlsplit(activation.json["triggers"][0]["webhookUrl"]).path


def github_headers(event: str, body: bytes, secret: str = SECRET) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": f"d-{event}-{datetime.now(UTC).timestamp()}",
    }
    return headers | sign_request("github", secret.encode(), body, datetime.now(UTC))


def github_trigger(events: list[str]) -> dict[str, Any]:
    return {"package": "github", "trigger": "webhook", "events": events, "auth": {"secret": SECRET}}


def test_a_signed_github_issues_delivery_starts_only_the_workflow_filtering_issues(
    api: ApiClient, user: RegisteredUser
) -> None:
    installed(user, "github")
    on_issues, issues_path = app_workflow(user, github_trigger(["issues.opened"]), "on issues")
    on_push, push_path = app_workflow(user, github_trigger(["push"]), "on push")

    started = api.request(
        "POST", issues_path, body=ISSUE_OPENED, headers=github_headers("issues", ISSUE_OPENED)
    )
    filtered = api.request(
        "POST", push_path, body=ISSUE_OPENED, headers=github_headers("issues", ISSUE_OPENED)
    )

    assert started.status == 202, started.body
    run = wait_for_execution(user, started.json["executionId"])
    assert run["status"] == "SUCCEEDED" and run["triggerData"]["body"]["issue"]["number"] == 1347
    assert "x-hub-signature-256" not in run["triggerData"]["headers"]
    assert filtered.status == 200 and filtered.json == {"ignored": True, "event": "issues.opened"}
    runs = user.client.get(f"/executions?workflowId={on_push}").json["items"]
    assert runs == []
    log = user.client.get(f"/workflows/{on_push}/triggers/hook/deliveries").json["items"]
    assert [(entry["outcome"], entry["status"]) for entry in log] == [("filtered", 200)]
    wrong = api.request(
        "POST",
        issues_path,
        body=ISSUE_OPENED,
        headers=github_headers("issues", ISSUE_OPENED, secret="another secret"),
    )
    assert wrong.status == 401
    assert on_issues != on_push


def test_an_app_trigger_with_a_secret_cannot_go_live_without_one(user: RegisteredUser) -> None:
    installed(user, "github")
    nodes = [
        {
            "id": "hook",
            "type": "trigger.integration",
            "config": {"package": "github", "trigger": "webhook", "events": ["push"]},
        }
    ]
    created = user.client.post("/workflows", {"name": "no secret", "definition": {"nodes": nodes}})
    assert created.status == 201, created.body

    activation = user.client.post(f"/workflows/{created.json['id']}/activate")

    assert activation.status == 422, activation.body
    assert [e["pointer"] for e in activation.json["errors"]] == ["/definition/nodes/0/config/auth/secret"]


def test_an_unknown_event_in_the_filter_is_refused_at_save(user: RegisteredUser) -> None:
    installed(user, "github")
    nodes = [{"id": "hook", "type": "trigger.integration", "config": github_trigger(["issues", "nonsense"])}]

    saved = user.client.post("/workflows", {"name": "bad filter", "definition": {"nodes": nodes}})

    assert saved.status == 422, saved.body
    assert [e["pointer"] for e in saved.json["errors"]] == ["/definition/nodes/0/config/events/1"]


def test_slacks_url_verification_is_answered_after_its_signature_without_a_run(
    api: ApiClient, user: RegisteredUser
) -> None:
    # https://api.slack.com/events/url_verification
    installed(user, "slack")
    trigger = {"package": "slack", "trigger": "events", "events": ["app_mention"], "auth": {"secret": SECRET}}
    workflow_id, path = app_workflow(user, trigger, "slack events")
    challenge = json.dumps(
        {
            "token": "Jhj5dZrVaK7ZwHHjRyZWjbDl",
            "type": "url_verification",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        }
    ).encode()
    mention = json.dumps(
        {
            "type": "event_callback",
            "event_id": "Ev0PV52K21",
            "event": {"type": "app_mention", "text": "<@U0LAN0Z89> hi", "channel": "C0LAN2Q65"},
        }
    ).encode()

    def signed(body: bytes) -> dict[str, str]:
        return {"Content-Type": "application/json"} | sign_request(
            "slack", SECRET.encode(), body, datetime.now(UTC)
        )

    handshake = api.request("POST", path, body=challenge, headers=signed(challenge))
    unsigned = api.request("POST", path, body=challenge, headers={"Content-Type": "application/json"})
    event = api.request("POST", path, body=mention, headers=signed(mention))

    assert handshake.status == 200 and handshake.json == {
        "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    }
    assert unsigned.status == 401
    assert event.status == 202, event.body
    run = wait_for_execution(user, event.json["executionId"])
    assert run["triggerData"]["body"]["event"]["text"] == "<@U0LAN0Z89> hi"
    runs = user.client.get(f"/executions?workflowId={workflow_id}").json["items"]
    assert [r["id"] for r in runs] == [event.json["executionId"]]


def test_telegram_updates_start_a_run_only_with_the_secret_token(
    api: ApiClient, user: RegisteredUser
) -> None:
    # https://core.telegram.org/bots/api#setwebhook (X-Telegram-Bot-Api-Secret-Token) and #update
    installed(user, "telegram")
    trigger = {"package": "telegram", "trigger": "updates", "events": ["message"], "auth": {"secret": SECRET}}
    _, path = app_workflow(user, trigger, "telegram")
    update = json.dumps(
        {
            "update_id": 10000,
            "message": {"message_id": 1365, "text": "/start", "chat": {"id": 1111111, "type": "private"}},
        }
    ).encode()
    json_type = {"Content-Type": "application/json"}

    no_token = api.request("POST", path, body=update, headers=json_type)
    wrong = api.request(
        "POST", path, body=update, headers=json_type | {"X-Telegram-Bot-Api-Secret-Token": "nope"}
    )
    right = api.request(
        "POST", path, body=update, headers=json_type | {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    )

    assert (no_token.status, wrong.status) == (401, 401)
    assert right.status == 202, right.body
    run = wait_for_execution(user, right.json["executionId"])
    assert run["triggerData"]["body"]["message"]["text"] == "/start"
    assert "x-telegram-bot-api-secret-token" not in run["triggerData"]["headers"]


def test_stripe_events_start_a_run_only_for_the_event_types_filtered(
    api: ApiClient, user: RegisteredUser
) -> None:
    # https://docs.stripe.com/webhooks#verify-manually (Stripe-Signature: t=…,v1=…) and the event object
    installed(user, "stripe")
    trigger = {
        "package": "stripe",
        "trigger": "events",
        "events": ["payment_intent.succeeded"],
        "auth": {"secret": SECRET},
    }
    _, path = app_workflow(user, trigger, "stripe")

    def event(kind: str) -> bytes:
        return json.dumps(
            {
                "id": f"evt_{kind}",
                "object": "event",
                "type": kind,
                "data": {"object": {"id": "pi_3MtwBwLkdIwHu7ix28a3tqPa", "amount": 2000}},
            }
        ).encode()

    def signed(body: bytes) -> dict[str, str]:
        return {"Content-Type": "application/json"} | sign_request(
            "stripe", SECRET.encode(), body, datetime.now(UTC)
        )

    paid = api.request(
        "POST",
        path,
        body=event("payment_intent.succeeded"),
        headers=signed(event("payment_intent.succeeded")),
    )
    refunded = api.request(
        "POST", path, body=event("charge.refunded"), headers=signed(event("charge.refunded"))
    )

    assert paid.status == 202, paid.body
    assert (
        wait_for_execution(user, paid.json["executionId"])["triggerData"]["body"]["data"]["object"]["amount"]
        == 2000
    )
    assert refunded.status == 200 and refunded.json == {"ignored": True, "event": "charge.refunded"}


def test_a_forced_uninstall_stops_the_packages_app_triggers(api: ApiClient, user: RegisteredUser) -> None:
    installed(user, "github")
    _, path = app_workflow(user, github_trigger(["issues"]), "until uninstalled")
    before = api.request("POST", path, body=ISSUE_OPENED, headers=github_headers("issues", ISSUE_OPENED))
    assert before.status == 202

    assert user.client.delete("/integrations/github").status == 409
    assert user.client.delete("/integrations/github?force=true").status == 204

    after = api.request("POST", path, body=ISSUE_OPENED, headers=github_headers("issues", ISSUE_OPENED))
    assert after.status == 404
