"""The marketplace over HTTP through the local runtime: a workspace publishes its own package, a
platform admin approves it, another workspace finds, installs, upgrades (a breaking version refused
with the changelog, a compatible one re-pinning the workflow) and uninstalls it (409 while used);
reviews are one per user; refusals carry JSON pointers."""

from __future__ import annotations

import uuid
from typing import Any

from e2e_support import ApiClient, RegisteredUser, register_user
from integration_support import acme_manifest


def platform_admin(api: ApiClient) -> RegisteredUser:
    from a2n.cli import main

    admin = register_user(api, name="Platform Admin")
    assert main(["admin", "grant", admin.email]) == 0
    return admin


def own_manifest(name: str, version: str, **changes: Any) -> dict[str, Any]:
    manifest = acme_manifest(version, name=name, changelog=f"{version}: what changed")
    manifest["publisher"] = f"Publisher of {name}"
    manifest.update(changes)
    return manifest


def decide(admin: RegisteredUser, name: str, version: str, decision: str = "approve") -> None:
    path = f"/admin/marketplace/packages/{name}/versions/{version}/decision"
    answer = admin.client.post(path, {"decision": decision})
    assert answer.status == 200 and answer.json["status"] == f"{decision}d", answer.body


def test_publish_approve_install_upgrade_and_uninstall_a_package_of_ones_own(
    api: ApiClient, user: RegisteredUser, other_user: RegisteredUser
) -> None:
    admin = platform_admin(api)
    name = f"acme-{uuid.uuid4().hex[:8]}"

    published = user.client.post("/marketplace/packages", {"manifest": own_manifest(name, "1.0.0")})
    assert published.status == 201 and published.json["status"] == "pending", published.body
    assert user.client.post("/marketplace/packages", {"manifest": own_manifest(name, "1.0.0")}).status == 409
    assert other_user.client.get(f"/marketplace/packages?q={name}").json["items"] == []  # not listed yet
    assert other_user.client.post("/integrations", {"package": name}).status == 404
    assert user.client.get("/admin/marketplace/versions").status == 403
    queued = admin.client.get("/admin/marketplace/versions").json["items"]
    assert {
        "name": name,
        "version": "1.0.0",
        "status": "pending",
        "publisher": f"Publisher of {name}",
    } in queued
    decide(admin, name, "1.0.0")

    found = other_user.client.get(f"/marketplace/packages?q={name}").json["items"]
    assert [(p["name"], p["latestVersion"], p["verifiedPublisher"]) for p in found] == [
        (name, "1.0.0", False)
    ]
    assert other_user.client.post("/integrations", {"package": name}).status == 201
    node = {
        "id": "add",
        "type": "integration",
        "config": {"package": name, "action": "create_contact", "input": {"email": "ada@example.com"}},
    }
    credential = other_user.client.post(
        "/credentials", {"name": "acme", "type": f"{name}:key", "data": {"key": "k-1"}}
    )
    node["credentialId"] = credential.json["id"]
    definition = {
        "nodes": [{"id": "start", "type": "trigger.manual", "config": {}}, node],
        "connections": [{"source": "start", "target": "add"}],
    }
    workflow = other_user.client.post("/workflows", {"name": "uses acme", "definition": definition})
    assert workflow.status == 201, workflow.body
    assert workflow.json["definition"]["nodes"][1]["config"]["version"] == "1.0.0"  # the workflow records it

    breaking = own_manifest(name, "2.0.0")
    breaking["actions"]["create_contact"]["input"]["required"] = ["email", "company"]
    assert user.client.post("/marketplace/packages", {"manifest": breaking}).status == 201
    decide(admin, name, "2.0.0")
    plan = other_user.client.get(f"/integrations/{name}/upgrade")
    assert plan.status == 200 and plan.json["toVersion"] == "2.0.0", plan.body
    assert [c["version"] for c in plan.json["changelog"]] == ["2.0.0"]
    assert [(b["workflowId"], b["pointer"]) for b in plan.json["breaking"]] == [
        (workflow.json["id"], "/nodes/1/config/input")
    ]
    assert other_user.client.put(f"/integrations/{name}", {"version": "2.0.0"}).status == 409

    assert user.client.post("/marketplace/packages", {"manifest": own_manifest(name, "1.1.0")}).status == 201
    decide(admin, name, "1.1.0")
    upgraded = other_user.client.put(f"/integrations/{name}", {"version": "1.1.0"})
    assert upgraded.status == 200 and [m["id"] for m in upgraded.json["migrated"]] == [workflow.json["id"]]
    saved = other_user.client.get(f"/workflows/{workflow.json['id']}").json
    assert saved["definition"]["nodes"][1]["config"]["version"] == "1.1.0"

    listed = other_user.client.get(f"/marketplace/packages/{name}").json
    assert listed["package"]["installCount"] == 1
    assert [v["version"] for v in listed["versions"]] == ["2.0.0", "1.1.0", "1.0.0"]
    used = other_user.client.delete(f"/integrations/{name}")
    assert used.status == 409 and [w["id"] for w in used.json["workflows"]] == [workflow.json["id"]]
    assert other_user.client.delete(f"/integrations/{name}?force=true").status == 204
    assert other_user.client.get(f"/marketplace/packages/{name}").json["package"]["installCount"] == 0


def test_a_manifest_that_fails_its_checks_is_refused_with_pointers_and_nothing_is_published(
    user: RegisteredUser,
) -> None:
    name = f"acme-{uuid.uuid4().hex[:8]}"
    bad = own_manifest(name, "1.0.0")
    bad["actions"]["create_contact"]["request"]["url"] = "https://elsewhere.example/contacts"
    bad["actions"]["create_contact"]["credentials"] = ["undeclared"]
    schema_breaking = own_manifest(name, "1.0.0", title="x" * 201, description="bell\u0007")

    refused = user.client.post("/marketplace/packages", {"manifest": bad})
    invalid = user.client.post("/marketplace/packages", {"manifest": schema_breaking})

    assert refused.status == 422, refused.body
    assert [e["pointer"] for e in refused.json["errors"]] == [
        "/manifest/actions/create_contact/credentials/0",
        "/manifest/actions/create_contact/request/url",
    ]
    assert invalid.status == 422, invalid.body
    assert sorted(e["pointer"] for e in invalid.json["errors"]) == [
        "/manifest/description",
        "/manifest/title",
    ]
    assert user.client.get(f"/marketplace/packages/{name}").status == 404
    taken = own_manifest("slack", "9.0.0")
    assert user.client.post("/marketplace/packages", {"manifest": taken}).status == 409
    reserved = own_manifest(name, "1.0.0", publisher="A2N")
    assert user.client.post("/marketplace/packages", {"manifest": reserved}).status == 422


def test_reviews_are_one_per_user_and_editable_and_publishers_can_be_verified(
    api: ApiClient, user: RegisteredUser
) -> None:
    admin = platform_admin(api)
    assert (
        user.client.put("/marketplace/packages/slack/reviews/mine", {"rating": 4}).status == 404
    )  # not installed
    user.client.post("/integrations", {"package": "slack"})

    first = user.client.put("/marketplace/packages/slack/reviews/mine", {"rating": 2, "body": "<b>meh</b>"})
    second = user.client.put(
        "/marketplace/packages/slack/reviews/mine", {"rating": 5, "body": "Works well.\nThanks"}
    )
    control = user.client.put("/marketplace/packages/slack/reviews/mine", {"rating": 5, "body": "bell\u0007"})
    too_long = user.client.put("/marketplace/packages/slack/reviews/mine", {"rating": 5, "body": "x" * 2001})
    off_scale = user.client.put("/marketplace/packages/slack/reviews/mine", {"rating": 6})

    assert first.status == 200 and first.json["body"] == "<b>meh</b>"  # plain text, kept as typed
    assert second.status == 200 and second.json["id"] == first.json["id"]
    assert [r.status for r in (control, too_long, off_scale)] == [422, 422, 422]
    mine = [
        r
        for r in user.client.get("/marketplace/packages/slack/reviews?limit=100").json["items"]
        if r["id"] == first.json["id"]
    ]
    assert [(r["rating"], r["body"]) for r in mine] == [(5, "Works well.\nThanks")]
    assert user.email not in user.client.get("/marketplace/packages/slack/reviews").body.decode()

    verified = admin.client.put("/admin/marketplace/publishers/A2N", {"verified": True})
    assert verified.status == 200
    listed = user.client.get("/marketplace/packages?category=communication").json["items"]
    assert [p["verifiedPublisher"] for p in listed if p["name"] == "slack"] == [True]
    collections = {
        c["slug"]: c["packages"] for c in user.client.get("/marketplace/collections").json["items"]
    }
    assert "slack" in collections["messaging"]
    in_collection = user.client.get("/marketplace/packages?collection=messaging").json["items"]
    assert {p["name"] for p in in_collection} == {"slack", "discord", "telegram"}
    assert (
        user.client.put("/admin/marketplace/collections/ai", {"title": "AI", "packages": ["openai"]}).status
        == 403
    )


def test_an_export_names_its_package_versions_and_an_import_resolves_them(
    user: RegisteredUser, other_user: RegisteredUser
) -> None:
    user.client.post("/integrations", {"package": "github"})
    credential = user.client.post(
        "/credentials", {"name": "gh", "type": "github:token", "data": {"token": "t"}}
    )
    node = {
        "id": "issue",
        "type": "integration",
        "credentialId": credential.json["id"],
        "config": {
            "package": "github",
            "action": "create_issue",
            "input": {"owner": "octocat", "repo": "Hello-World", "title": "{{ trigger.body.title }}"},
        },
    }
    definition = {
        "nodes": [{"id": "start", "type": "trigger.manual", "config": {}}, node],
        "connections": [{"source": "start", "target": "issue"}],
    }
    workflow = user.client.post("/workflows", {"name": "issues", "definition": definition}).json

    exported = user.client.get(f"/workflows/{workflow['id']}/export").json
    assert exported["packages"] == {"github": "1.1.0"}
    assert exported["definition"]["nodes"][1]["config"]["version"] == "1.1.0"

    missing = other_user.client.post("/workflows/import", exported)
    assert missing.status == 422, missing.body
    assert (
        "/definition/nodes/1/config/package",
        "install github 1.1.0 first (POST /integrations), then import again",
    ) in [(e["pointer"], e["message"]) for e in missing.json["errors"]]
    assert other_user.client.post("/integrations", {"package": "github"}).status == 201
    other_user.client.post("/credentials", {"name": "gh", "type": "github:token", "data": {"token": "t2"}})
    imported = other_user.client.post("/workflows/import", exported)
    assert imported.status == 201, imported.body
    assert imported.json["definition"]["nodes"][1]["config"]["version"] == "1.1.0"
