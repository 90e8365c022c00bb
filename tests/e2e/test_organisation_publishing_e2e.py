"""Organising and publishing over HTTP through the local runtime: a saved draft changes what a
webhook runs only once it is published; folders, search and un-archiving as a client uses them."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from e2e_support import ApiClient, RegisteredUser, wait_for_execution


def hook_to(label: str) -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "hook", "type": "trigger.webhook", "config": {"method": "POST", "mode": "sync"}},
            {"id": "reply", "type": "respond_webhook", "config": {"body": {"label": label}}},
        ],
        "connections": [{"source": "hook", "target": "reply"}],
    }


def test_a_draft_changes_what_the_webhook_runs_only_when_published(
    api: ApiClient, user: RegisteredUser
) -> None:
    created = user.client.post("/workflows", {"name": "Quote", "definition": hook_to("v1")}).json
    path = f"/workflows/{created['id']}"
    activation = user.client.post(f"{path}/activate")
    assert activation.status == 200, activation.body
    hook = urlsplit(activation.json["triggers"][0]["webhookUrl"]).path

    def answer() -> Any:
        delivered = api.post(hook, {"n": 1})
        assert delivered.status == 200, delivered.body
        return delivered.json

    assert answer() == {"label": "v1"}
    saved = user.client.put(path, {"name": "Quote", "definition": hook_to("v2")})
    assert saved.status == 200 and saved.json["version"] == 2 and saved.json["hasUnpublishedChanges"] is True
    assert answer() == {"label": "v1"}  # the draft is not what runs
    shown = user.client.get(path).json
    assert shown["published"]["version"] == 1 and shown["definition"]["nodes"][1]["config"]["body"] == {
        "label": "v2"
    }
    test_run = user.client.post(f"{path}/execute", {"input": {}, "version": "draft"})
    assert test_run.status == 202, test_run.body
    assert wait_for_execution(user, test_run.json["executionId"])["workflowVersion"] == 2

    published = user.client.post(f"{path}/publish", {})
    assert published.status == 200 and published.json["publishedVersion"] == 2, published.body

    assert answer() == {"label": "v2"}
    back = user.client.post(f"{path}/publish", {"version": 1})
    assert back.status == 200 and back.json["hasUnpublishedChanges"] is True
    assert answer() == {"label": "v1"}


def test_folders_search_and_unarchive_over_http(user: RegisteredUser) -> None:
    client = user.client
    sales = client.post("/folders", {"name": "Sales"})
    assert sales.status == 201, sales.body
    eu = client.post("/folders", {"name": "EU", "parentId": sales.json["id"]}).json
    assert client.post("/folders", {"name": "sales"}).status == 409
    assert client.post("/folders", {"name": "a/b"}).status == 422
    definition = hook_to("x")
    refunds = client.post(
        "/workflows",
        {"name": "Stripe refunds", "definition": definition, "tags": ["billing"], "folderId": eu["id"],
         "category": "Finance"},
    ).json  # fmt: skip
    client.post(
        "/workflows", {"name": "Order sync", "definition": definition, "description": "nightly refund"}
    )

    def listed(query: str) -> list[str]:
        found = client.get(f"/workflows?{query}")
        assert found.status == 200, found.body
        return sorted(item["name"] for item in found.json["items"])

    assert listed("q=refund") == ["Order sync", "Stripe refunds"]
    assert listed("q=refund%20bill") == ["Stripe refunds"]
    assert listed(f"folderId={sales.json['id']}") == []
    assert listed(f"folderId={sales.json['id']}&includeSubfolders=true") == ["Stripe refunds"]
    assert listed("folderId=root") == ["Order sync"]
    assert listed("category=finance") == ["Stripe refunds"]
    assert client.get("/workflows?folderId=nope").status == 422

    patched = client.patch(f"/workflows/{refunds['id']}", {"folderId": None, "category": None})
    assert patched.status == 200 and patched.json["version"] == 1, patched.body
    assert patched.json["folderId"] is None and patched.json["category"] is None
    assert client.patch(f"/workflows/{refunds['id']}", {"definition": {}}).status == 422
    assert client.delete(f"/folders/{sales.json['id']}").status == 409  # EU is still in it
    assert client.delete(f"/folders/{eu['id']}").status == 204

    assert client.delete(f"/workflows/{refunds['id']}").status == 204
    assert listed("archived=true") == ["Stripe refunds"]
    back = client.post(f"/workflows/{refunds['id']}/unarchive")
    assert back.status == 200 and back.json["archivedAt"] is None and back.json["isActive"] is False
    assert listed("q=stripe") == ["Stripe refunds"]


def test_another_tenant_cannot_touch_folders_or_unarchive(
    user: RegisteredUser, other_user: RegisteredUser
) -> None:
    folder = user.client.post("/folders", {"name": "Mine"}).json
    workflow = user.client.post("/workflows", {"name": "w", "definition": hook_to("x")}).json
    user.client.delete(f"/workflows/{workflow['id']}")

    assert other_user.client.patch(f"/folders/{folder['id']}", {"name": "theirs"}).status == 404
    assert other_user.client.delete(f"/folders/{folder['id']}").status == 404
    assert other_user.client.post(f"/workflows/{workflow['id']}/unarchive").status == 404
    assert other_user.client.get("/folders").json == {"items": [], "nextCursor": None}
