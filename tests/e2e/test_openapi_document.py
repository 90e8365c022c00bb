"""GET /openapi.json over HTTP: public, OpenAPI 3.1, every $ref resolvable, the workflows
routes present with their request schemas, and cacheable (it only changes with a deploy)."""

from __future__ import annotations

from typing import Any

from e2e_support import ApiClient


def _refs(value: Any) -> set[str]:
    found: set[str] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("$ref"), str):
                found.add(item["$ref"])
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def test_openapi_json_is_public_and_self_consistent(api: ApiClient) -> None:
    resp = api.get("/openapi.json")

    assert resp.status == 200
    assert resp.headers["content-type"].startswith("application/json")
    assert "max-age" in resp.headers["cache-control"]
    doc = resp.json
    assert doc["openapi"].startswith("3.1")
    for ref in _refs(doc):
        section, kind, name = ref.removeprefix("#/").split("/")
        assert name in doc[section][kind], ref


def test_openapi_describes_the_workflows_routes(api: ApiClient) -> None:
    paths = api.get("/openapi.json").json["paths"]

    assert {"get", "post"} <= set(paths["/workflows"])
    assert {"get", "put", "delete"} <= set(paths["/workflows/{id}"])
    create = paths["/workflows"]["post"]
    assert create["security"] == [{"bearerAuth": []}]
    assert "201" in create["responses"] and "422" in create["responses"]
    assert "security" not in paths["/openapi.json"]["get"]
