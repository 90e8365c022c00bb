"""``GET /templates`` over HTTP: the built-in templates with valid definitions and no secrets."""

from __future__ import annotations

from e2e_support import ApiClient, RegisteredUser


def test_templates_are_listed_valid_and_secret_free(api: ApiClient, user: RegisteredUser) -> None:
    assert api.get("/templates").status == 401

    listed = user.client.get("/templates")

    assert listed.status == 200 and set(listed.json) == {"items", "nextCursor"}
    ids = {t["id"] for t in listed.json["items"]}
    assert {"github-push-notify", "uptime-check", "stripe-event-router"} <= ids
    for template in listed.json["items"]:
        assert {"id", "name", "description", "category", "definition"} <= set(template)
        check = user.client.post("/workflows/validate", {"definition": template["definition"]})
        assert check.status == 200, (template["id"], check.body)
        for node in template["definition"]["nodes"]:
            assert "secret" not in (node.get("config", {}).get("auth") or {})
