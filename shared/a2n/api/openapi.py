"""OpenAPI 3.1 document built from route descriptions and their pydantic models.

The route catalogue (one ``RouteDoc`` per API.md route) lives with the handlers; this module only
turns such a list into the document served at ``GET /openapi.json``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from a2n.api.response import JSON, PROBLEM_JSON

REF_TEMPLATE = "#/components/schemas/{model}"
_ANY_METHODS = ["get", "post", "put", "patch", "delete"]
_PATH_PARAM = re.compile(r"{([^}+]+)\+?}")

_ERROR_TITLES = {
    400: "Malformed request (bad JSON, content type or cursor)",
    401: "Missing or invalid credentials",
    403: "Authenticated but not allowed",
    404: "Not found (or in another workspace)",
    405: "Method not allowed (a webhook trigger accepts one method)",
    409: "Conflict",
    413: "Body too large",
    422: "Validation failed; one error per problem with a JSON pointer",
    429: "Too many attempts (sign-in) or execution starts (per workspace); retry after Retry-After seconds",
    502: "An upstream service refused or could not be reached: the identity provider, or the workflow "
    "run behind a sync webhook (failed, or answered what HTTP cannot carry)",
    503: "The database (or another service) is unreachable right now; retry after Retry-After seconds",
}

# Headers responses carry, declared once and named by routes and error responses.
RESPONSE_HEADERS: dict[str, dict[str, Any]] = {
    "ETag": {
        "description": 'The workflow\'s version as an entity tag ("3"); send it back in If-Match',
        "required": True,
        "schema": {"type": "string"},
    },
    "Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "string"}},
    "WWW-Authenticate": {
        "description": "The scheme to authenticate with (Bearer)",
        "schema": {"type": "string"},
    },
}
# Which error responses carry which headers (Retry-After is always sent with a 429).
_ERROR_HEADERS: dict[int, dict[str, dict[str, Any]]] = {
    401: {"WWW-Authenticate": RESPONSE_HEADERS["WWW-Authenticate"]},
    429: {"Retry-After": {**RESPONSE_HEADERS["Retry-After"], "required": True}},
    503: {"Retry-After": RESPONSE_HEADERS["Retry-After"]},
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["pointer", "message"],
                "properties": {
                    "pointer": {"type": "string"},
                    "message": {"type": "string"},
                    # Inside a multi-line string value (a code node's source): 1-based.
                    "line": {"type": "integer", "minimum": 1},
                    "column": {"type": "integer", "minimum": 1},
                },
            },
        },
    },
}


@dataclass(frozen=True)
class QueryParam:
    name: str
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})
    required: bool = False
    description: str = ""


@dataclass(frozen=True)
class HeaderParam:
    """A request header the route reads (Idempotency-Key, If-Match)."""

    name: str
    description: str
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})


IDEMPOTENCY_KEY = HeaderParam(
    "Idempotency-Key",
    "The same key within the idempotency window answers 200 with the first request's execution; "
    "the same key with a different body is a 409",
    {"type": "string", "minLength": 1, "maxLength": 255},
)
IF_MATCH = HeaderParam(
    "If-Match",
    'The version you read (its ETag, e.g. "3"): the change is refused (409) if another was saved since',
)

# ``?limit=&cursor=`` of a list route (a2n.api.pagination reads them).
PAGE_QUERY = (
    QueryParam("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
    QueryParam("cursor", description="nextCursor of the previous page"),
)


@dataclass(frozen=True)
class RouteDoc:
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "ANY"]
    path: str
    summary: str
    request_model: type[BaseModel] | None = None
    response_model: type[BaseModel] | None = None
    status: int = 200
    public: bool = False
    tags: tuple[str, ...] = ()
    query: tuple[QueryParam, ...] = ()
    # Extra error statuses beyond those implied by the route's shape (e.g. 409 on a create).
    errors: tuple[int, ...] = ()
    # Other successful answers: (status, body model), e.g. a login's 202 two-factor challenge.
    also: tuple[tuple[int, type[BaseModel]], ...] = ()
    request_headers: tuple[HeaderParam, ...] = ()
    # Names from RESPONSE_HEADERS that the success response carries (e.g. ETag).
    response_headers: tuple[str, ...] = ()
    # False when an empty body is accepted (the request model's fields are then all defaults).
    body_required: bool = True
    # Responses written out in full where a model cannot say it (the webhook's own answer, a raw
    # document); they replace what the rest would generate for that status.
    raw_responses: tuple[tuple[str, Any], ...] = ()

    def operation_id(self, method: str) -> str:
        words: list[str] = re.findall(r"[A-Za-z0-9]+", f"{method} {self.path}")
        return words[0] + "".join(word[:1].upper() + word[1:] for word in words[1:])


def build_openapi(
    routes: Sequence[RouteDoc], *, title: str = "A2N API", version: str = "1"
) -> dict[str, Any]:
    refs, schemas = _component_schemas(routes)
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        for method in _ANY_METHODS if route.method == "ANY" else [route.method.lower()]:
            # API Gateway's greedy "{rest+}" is not an OpenAPI template; publish it as "{rest}".
            path = route.path.replace("+}", "}")
            paths.setdefault(path, {})[method] = _operation(route, method, refs)
    _link_created_resources(paths, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": {**schemas, "Problem": PROBLEM_SCHEMA},
            "responses": {str(code): _problem_response(code, text) for code, text in _ERROR_TITLES.items()},
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An access token (JWT) or an API key (a2n_…)",
                }
            },
        },
    }


# A created or started resource's id, by the response field that carries it, and the path prefix
# of the operations it is the {id} of: OpenAPI links, so clients and fuzzers (schemathesis's stateful
# phase) can follow a create to the resource's own routes. Routes added later are linked too.
_LINKED_IDS = {"id": None, "executionId": "/executions"}


def _link_created_resources(paths: dict[str, dict[str, Any]], schemas: dict[str, Any]) -> None:
    for path, item in paths.items():
        operation = item.get("post")
        if operation is None:
            continue
        for status, response in operation["responses"].items():
            ref = response.get("content", {}).get(JSON, {}).get("schema", {}).get("$ref", "")
            properties = schemas.get(ref.rsplit("/", 1)[-1], {}).get("properties", {})
            links = {
                target["operationId"]: {
                    "operationId": target["operationId"],
                    "parameters": {"path.id": f"$response.body#/{field}"},
                }
                for field, prefix in _LINKED_IDS.items()
                if field in properties
                for target_path, target_item in paths.items()
                if target_path.startswith(f"{prefix or path}/{{id}}")
                for target in target_item.values()
            }
            if links and status.startswith("2"):
                response["links"] = links


def _component_schemas(
    routes: Sequence[RouteDoc],
) -> tuple[dict[tuple[type[BaseModel], JsonSchemaMode], str], dict[str, Any]]:
    wanted: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {}
    for route in routes:
        if route.request_model is not None:
            wanted[(route.request_model, "validation")] = None
        if route.response_model is not None:
            wanted[(route.response_model, "serialization")] = None
        for _, model in route.also:
            wanted[(model, "serialization")] = None
    if not wanted:
        return {}, {}
    keyed, document = models_json_schema(list(wanted), ref_template=REF_TEMPLATE)
    refs = {(model, mode): str(schema["$ref"]) for (model, mode), schema in keyed.items()}
    definitions: dict[str, Any] = document.get("$defs", {})
    return refs, definitions  # type: ignore[return-value]  # keys are the BaseModels we passed in


def _operation(
    route: RouteDoc, method: str, refs: dict[tuple[type[BaseModel], JsonSchemaMode], str]
) -> dict[str, Any]:
    operation: dict[str, Any] = {"operationId": route.operation_id(method), "summary": route.summary}
    if route.tags:
        operation["tags"] = list(route.tags)
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in _PATH_PARAM.findall(route.path)
    ]
    parameters += [
        {"name": q.name, "in": "query", "required": q.required, "schema": q.schema}
        | ({"description": q.description} if q.description else {})
        for q in route.query
    ]
    parameters += [
        {"name": h.name, "in": "header", "required": False, "schema": h.schema, "description": h.description}
        for h in route.request_headers
    ]
    if parameters:
        operation["parameters"] = parameters
    if route.request_model is not None:
        ref = refs[(route.request_model, "validation")]
        operation["requestBody"] = {
            "required": route.body_required,
            "content": {JSON: {"schema": {"$ref": ref}}},
        }
    operation["responses"] = _responses(route, refs)
    if not route.public:
        operation["security"] = [{"bearerAuth": []}]
    return operation


def _responses(route: RouteDoc, refs: dict[tuple[type[BaseModel], JsonSchemaMode], str]) -> dict[str, Any]:
    success: dict[str, Any] = {"description": "Success"}
    if route.response_model is not None and route.status != 204:
        ref = refs[(route.response_model, "serialization")]
        success["content"] = {JSON: {"schema": {"$ref": ref}}}
    # A model may say which headers always come with it (WorkflowOut: its version as the ETag).
    headers = (*route.response_headers, *getattr(route.response_model, "response_headers", ()))
    if headers:
        success["headers"] = {name: RESPONSE_HEADERS[name] for name in headers}
    responses: dict[str, Any] = {str(route.status): success}
    for status, model in route.also:
        ref = refs[(model, "serialization")]
        responses[str(status)] = {"description": "Success", "content": {JSON: {"schema": {"$ref": ref}}}}
        also_headers: tuple[str, ...] = getattr(model, "response_headers", ())
        if also_headers:
            responses[str(status)]["headers"] = {name: RESPONSE_HEADERS[name] for name in also_headers}
    for code in sorted(_error_codes(route)):
        responses[str(code)] = {"$ref": f"#/components/responses/{code}"}
    responses.update(dict(route.raw_responses))
    return responses


def _error_codes(route: RouteDoc) -> set[int]:
    # Any route may find the database unreachable (503 with Retry-After).
    codes = {400, 503, *route.errors}
    if route.request_model is not None or route.query:
        codes |= {413, 422} if route.request_model is not None else {422}
    if not route.public:
        # 429: an API key over its requests-per-minute limit (the authorizer decides, any route).
        codes |= {401, 403, 429}
    if "{" in route.path:
        codes.add(404)
    return {code for code in codes if code in _ERROR_TITLES}


def _problem_response(status: int, description: str) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": REF_TEMPLATE.format(model="Problem")}}},
    }
    if status in _ERROR_HEADERS:
        response["headers"] = _ERROR_HEADERS[status]
    return response
