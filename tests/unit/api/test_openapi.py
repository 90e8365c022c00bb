"""build_openapi: a valid 3.1 document whose refs resolve, with problem+json errors and bearer auth."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from a2n.api.openapi import QueryParam, RouteDoc, build_openapi
from a2n.api.schemas import PageOf, RequestBody, ResponseBody, UtcDatetime


class CreateWorkflow(RequestBody):
    name: str
    is_draft: bool = False


class Workflow(ResponseBody):
    id: str
    name: str
    created_at: UtcDatetime


ROUTES = [
    RouteDoc("GET", "/health", "Health", public=True, tags=("ops",)),
    RouteDoc("POST", "/workflows", "Create a workflow", CreateWorkflow, Workflow, status=201, errors=(409,)),
    RouteDoc(
        "GET",
        "/workflows",
        "List workflows",
        response_model=PageOf[Workflow],
        query=(QueryParam("limit", {"type": "integer", "minimum": 1, "maximum": 200}),),
    ),
    RouteDoc("DELETE", "/workflows/{id}", "Delete a workflow", status=204),
    RouteDoc("ANY", "/webhooks/{token}/{rest+}", "Webhook", public=True),
]


def refs_in(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs_in(item)


def resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_every_ref_in_the_document_resolves() -> None:
    document = build_openapi(ROUTES)
    assert document["openapi"] == "3.1.0"
    refs = set(refs_in(document))
    assert refs
    for ref in refs:
        assert ref.startswith("#/components/")
        resolve(document, ref)


def test_request_and_response_schemas_use_camel_case_names() -> None:
    document = build_openapi(ROUTES)
    create = document["paths"]["/workflows"]["post"]
    request_schema = resolve(document, create["requestBody"]["content"]["application/json"]["schema"]["$ref"])
    assert set(request_schema["properties"]) == {"name", "isDraft"}
    assert request_schema["additionalProperties"] is False
    response_schema = resolve(
        document, create["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    )
    assert set(response_schema["properties"]) == {"id", "name", "createdAt"}


def test_errors_are_problem_json_and_match_the_route_shape() -> None:
    document = build_openapi(ROUTES)
    create = document["paths"]["/workflows"]["post"]["responses"]
    # 429 on every authenticated route: an API key over its rate limit (issue 12).
    assert set(create) == {"201", "400", "401", "403", "409", "413", "422", "429", "503"}
    problem = resolve(document, create["422"]["$ref"])
    assert set(problem["content"]) == {"application/problem+json"}
    delete = document["paths"]["/workflows/{id}"]["delete"]
    assert set(delete["responses"]) == {"204", "400", "401", "403", "404", "429", "503"}
    assert "content" not in delete["responses"]["204"]


def test_only_non_public_routes_require_bearer_auth() -> None:
    document = build_openapi(ROUTES)
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert document["paths"]["/workflows"]["post"]["security"] == [{"bearerAuth": []}]
    assert "security" not in document["paths"]["/health"]["get"]
    assert "401" not in document["paths"]["/health"]["get"]["responses"]


def test_path_and_query_parameters_are_declared() -> None:
    document = build_openapi(ROUTES)
    webhook = document["paths"]["/webhooks/{token}/{rest}"]
    assert set(webhook) == {"get", "post", "put", "patch", "delete"}
    assert [p["name"] for p in webhook["post"]["parameters"]] == ["token", "rest"]
    listing = document["paths"]["/workflows"]["get"]
    assert listing["parameters"][0]["in"] == "query" and listing["parameters"][0]["schema"]["maximum"] == 200
    assert listing["operationId"] == "getWorkflows"
    operation_ids = [op["operationId"] for path in document["paths"].values() for op in path.values()]
    assert len(operation_ids) == len(set(operation_ids)) == 9


# --- the published document declares what the routes really do (issue 11 item 14) ------------------


def _published() -> dict[str, Any]:
    from a2n.api.catalogue import openapi_document

    return openapi_document()


def _response(document: dict[str, Any], operation: dict[str, Any], status: str) -> dict[str, Any]:
    found = operation["responses"][status]
    return resolve(document, found["$ref"]) if "$ref" in found else found


def test_execute_declares_its_idempotent_replay_its_header_and_an_optional_body() -> None:
    document = _published()
    execute = document["paths"]["/workflows/{id}/execute"]["post"]

    assert {"202", "200", "409", "429"} <= set(execute["responses"])
    assert execute["responses"]["200"]["content"] == execute["responses"]["202"]["content"]
    headers = {p["name"]: p for p in execute["parameters"] if p["in"] == "header"}
    assert "Idempotency-Key" in headers and headers["Idempotency-Key"]["required"] is False
    assert execute["requestBody"]["required"] is False


def test_every_workflow_answer_declares_its_etag_and_replace_reads_if_match() -> None:
    document = _published()
    answering_workflows = [
        (path, method, status, response)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        for status, response in operation["responses"].items()
        if response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
        == "#/components/schemas/WorkflowOut"
    ]

    assert len(answering_workflows) >= 5
    for path, method, status, response in answering_workflows:
        assert response["headers"]["ETag"]["required"] is True, (method, path, status)
    replace = document["paths"]["/workflows/{id}"]["put"]
    assert "If-Match" in {p["name"] for p in replace["parameters"] if p["in"] == "header"}


def test_refusals_that_end_by_themselves_declare_retry_after() -> None:
    document = _published()
    login = document["paths"]["/auth/login"]["post"]

    assert _response(document, login, "429")["headers"]["Retry-After"]["required"] is True
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if path != "/health":  # its 503 is the health report itself
                assert "Retry-After" in _response(document, operation, "503")["headers"], (method, path)


def test_webhooks_declare_the_sync_answer_and_every_refusal_they_send() -> None:
    document = _published()
    for method, operation in document["paths"]["/webhooks/{token}"].items():
        assert {"200", "202", "401", "404", "405", "413", "429", "502", "default"} <= set(
            operation["responses"]
        ), method
        assert "*/*" in operation["responses"]["200"]["content"]


def test_every_component_schema_has_its_own_plain_name() -> None:
    # Two models of one name (auth.SessionOut, accounts.SessionOut) become module-qualified names
    # ("a2n__api__routes__auth__SessionOut") that client generators cannot resolve: openapi-python-client
    # dropped POST /auth/login's 200 because of it. Give each response model a distinct name.
    qualified = [name for name in _published()["components"]["schemas"] if "__" in name]

    assert qualified == []
