"""GET /openapi.json over HTTP: public, OpenAPI 3.1, every $ref resolvable, the workflows
routes present with their request schemas, and cacheable (it only changes with a deploy)."""

from __future__ import annotations

import uuid
from typing import Any

import conformance
import pytest
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


JSON = "application/json"


def test_the_conformance_check_refuses_what_the_document_does_not_declare() -> None:
    # Every e2e response passes through conformance.check (e2e_support.ApiClient): it must be able to fail.
    problem = b'{"type":"x","title":"t","status":418,"detail":"d"}'
    with pytest.raises(conformance.ContractBroken, match="does not list"):
        conformance.check("GET", "/workflows", 418, {"content-type": "application/problem+json"}, problem)
    with pytest.raises(conformance.ContractBroken, match="schema refuses at /items"):
        conformance.check("GET", "/workflows", 200, {"content-type": "application/json"}, b'{"items": 3}')
    with pytest.raises(conformance.ContractBroken, match="without its required etag"):
        conformance.check("GET", f"/workflows/{uuid.uuid4()}", 200, {"content-type": JSON}, b"{}")
    extra_header = {"content-type": JSON, "retry-after": "5"}
    with pytest.raises(conformance.ContractBroken, match="retry-after header the document does not declare"):
        conformance.check("GET", "/me", 200, extra_header, b"{}")
    conformance.check("GET", "/no/such/route", 404, {}, b'{"message":"Not Found"}')  # the gateway's, not ours
