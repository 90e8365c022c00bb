"""Node templates over HTTP: a configured node saved by name keeps no credential and no secret,
the installed packages' shipped templates are listed beside it, using one gives the node to paste
into a definition, and only the workspace's own can be deleted."""

from __future__ import annotations

import json

from e2e_support import RegisteredUser


def test_save_list_use_and_delete_node_templates(user: RegisteredUser, other_user: RegisteredUser) -> None:
    user.client.post("/integrations", {"package": "slack"})
    hook = {
        "id": "hook",
        "type": "trigger.webhook",
        "credentialId": "8d1c7f4e-0f7a-4c43-9d5c-2f8e2b5b6a11",
        "config": {"method": "POST", "auth": {"type": "hmac", "preset": "github", "secret": "tpl-canary"}},
    }

    saved = user.client.post("/node-templates", {"name": "Signed GitHub hook", "node": hook})
    again = user.client.post("/node-templates", {"name": "Signed GitHub hook", "node": hook})
    broken = user.client.post(
        "/node-templates", {"name": "bad", "node": {"type": "http_request", "config": {"method": 7}}}
    )
    unknown = user.client.post("/node-templates", {"name": "bad", "node": {"type": "no.such.type"}})
    bad_input = user.client.post(
        "/node-templates",
        {
            "name": "bad",
            "node": {
                "type": "integration",
                "config": {"package": "slack", "action": "post_message", "input": {"channel": 5}},
            },
        },
    )

    assert saved.status == 201, saved.body
    assert "tpl-canary" not in saved.body.decode() and "credentialId" not in json.dumps(saved.json["node"])
    assert again.status == 409
    assert broken.status == 422 and broken.json["errors"][0]["pointer"].startswith("/node/config")
    assert unknown.status == 422 and [e["pointer"] for e in unknown.json["errors"]] == ["/node/type"]
    assert bad_input.status == 422 and "/node/config/input" in bad_input.json["errors"][0]["pointer"]

    listed = user.client.get("/node-templates?limit=100").json["items"]
    sources = {t["name"]: t["source"] for t in listed}
    assert sources["Signed GitHub hook"] == "workspace"
    assert sources["Slack: announce in #general"] == "package:slack"
    shipped = next(t for t in listed if t["name"] == "Slack: announce in #general")
    used = user.client.get(f"/node-templates/{shipped['id']}").json["node"]
    assert used["type"] == "integration" and used["config"]["package"] == "slack"
    assert used["config"]["version"] == "1.0.0" and used["config"]["action"] == "post_message"
    definition = {
        "nodes": [{"id": "start", "type": "trigger.manual", "config": {}}, {"id": "say", **used}],
        "connections": [{"source": "start", "target": "say"}],
    }
    checked = user.client.post("/workflows/validate", {"definition": definition})
    # The pasted node is valid as it is; only the credential (never part of a template) is missing.
    assert checked.status == 422
    assert [e["pointer"] for e in checked.json["errors"]] == ["/definition/nodes/1/credentialId"]

    assert other_user.client.get(f"/node-templates/{saved.json['id']}").status == 404
    assert other_user.client.delete(f"/node-templates/{saved.json['id']}").status == 404
    assert user.client.delete(f"/node-templates/{shipped['id']}").status == 409
    assert user.client.delete(f"/node-templates/{saved.json['id']}").status == 204
    assert user.client.get(f"/node-templates/{saved.json['id']}").status == 404
