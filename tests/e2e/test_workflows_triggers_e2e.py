"""Workflows and their triggers over HTTP through the local runtime: workflows from each built-in
template, a webhook secret never echoed, and a deleted workflow whose webhook, schedule and manual
run are gone."""

from __future__ import annotations

from urllib.parse import urlsplit

from e2e_support import ApiClient, RegisteredUser, wait_for_execution

MASK = "********"




def test_each_template_becomes_a_workflow_that_validates_and_runs(user: RegisteredUser) -> None:
    templates = user.client.get("/templates?source=builtin").json["items"]
    assert templates

    for template in templates:
        created = user.client.post("/workflows", {"templateId": template["id"]})
        assert created.status == 201, created.body
        workflow = created.json
        assert (workflow["name"], workflow["version"]) == (template["name"], 1)
        assert workflow["definition"] == template["definition"]
        check = user.client.post("/workflows/validate", {"definition": workflow["definition"]})
        assert check.status == 200, check.body

        started = user.client.post(f"/workflows/{workflow['id']}/execute", {"input": {}})
        assert started.status == 202, started.body
        # The templates' URLs point at example hosts, so a run may fail there; it must still end.
        assert wait_for_execution(user, started.json["executionId"])["status"] in {"SUCCEEDED", "FAILED"}

        activation = user.client.post(f"/workflows/{workflow['id']}/activate")
        hmac = [
            n
            for n in workflow["definition"]["nodes"]
            if (n.get("config", {}).get("auth") or {}).get("type") == "hmac"
        ]
        if hmac:  # SECURITY 26: no secret yet, so it cannot go live
            assert activation.status == 422, activation.body
        else:
            assert activation.status == 200 and activation.json["isActive"] is True, activation.body
            user.client.post(f"/workflows/{workflow['id']}/deactivate")


def test_a_template_with_a_secret_set_afterwards_activates_and_never_shows_it(user: RegisteredUser) -> None:
    workflow = user.client.post("/workflows", {"templateId": "github-push-notify", "name": "Pushes"}).json
    definition = workflow["definition"]
    definition["nodes"][0]["config"]["auth"]["secret"] = "e2e-template-secret"

    saved = user.client.put(f"/workflows/{workflow['id']}", {"name": "Pushes", "definition": definition})

    assert saved.status == 200, saved.body
    assert "e2e-template-secret" not in saved.body.decode()
    assert saved.json["definition"]["nodes"][0]["config"]["auth"]["secret"] == MASK
    # Saved as a draft: what runs (version 1) still has no secret, so it cannot go live yet.
    assert user.client.post(f"/workflows/{workflow['id']}/activate").status == 422
    published = user.client.post(f"/workflows/{workflow['id']}/publish")
    assert published.status == 200, published.body
    assert "e2e-template-secret" not in published.body.decode()
    assert published.json["publishedVersion"] == 2 and published.json["hasUnpublishedChanges"] is False
    activation = user.client.post(f"/workflows/{workflow['id']}/activate")
    assert activation.status == 200, activation.body
    version = user.client.get(f"/workflows/{workflow['id']}/versions/2")
    assert "e2e-template-secret" not in version.body.decode()


def test_template_id_problems_are_422_with_pointers(user: RegisteredUser) -> None:
    unknown = user.client.post("/workflows", {"templateId": "no-such-template"})
    both = user.client.post("/workflows", {"templateId": "uptime-check", "definition": {"nodes": []}})
    neither = user.client.post("/workflows", {"name": "x"})

    assert unknown.status == 422 and [e["pointer"] for e in unknown.json["errors"]] == ["/templateId"]
    assert both.status == 422 and [e["pointer"] for e in both.json["errors"]] == ["/templateId"]
    assert neither.status == 422 and [e["pointer"] for e in neither.json["errors"]] == ["/definition"]


def test_a_deleted_workflow_loses_its_webhook_and_manual_runs(api: ApiClient, user: RegisteredUser) -> None:
    definition = {
        "nodes": [
            {"id": "hook", "type": "trigger.webhook", "config": {"method": "POST"}},
            {"id": "tick", "type": "trigger.schedule", "config": {"expression": "rate(1 hour)"}},
            {"id": "done", "type": "noop", "config": {}},
        ],
        "connections": [{"source": "hook", "target": "done"}, {"source": "tick", "target": "done"}],
    }
    workflow_id = user.client.post("/workflows", {"name": "gone", "definition": definition}).json["id"]
    activation = user.client.post(f"/workflows/{workflow_id}/activate")
    assert activation.status == 200, activation.body
    hook = next(t for t in activation.json["triggers"] if t["type"] == "WEBHOOK")
    path = urlsplit(hook["webhookUrl"]).path
    assert api.post(path, {"n": 1}).status == 202

    assert user.client.delete(f"/workflows/{workflow_id}").status == 204

    assert api.post(path, {"n": 2}).status == 404
    assert user.client.post(f"/workflows/{workflow_id}/execute", {"input": {}}).status == 404
    assert user.client.post(f"/workflows/{workflow_id}/activate").status == 404
