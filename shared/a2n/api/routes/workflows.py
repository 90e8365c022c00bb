"""Workflows routes of API.md: CRUD, versions and restore, export/import and validate.

Route functions parse the request, call one service function (a2n.services.workflows) and shape
the response; the wire models below are also what the OpenAPI document publishes.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field

from a2n.api.http import Request, Response
from a2n.api.openapi import QueryParam, RouteDoc
from a2n.api.pagination import page_request
from a2n.api.schemas import CamelModel, PageOf, RequestBody, ResponseBody, UtcDatetime, WarningOut
from a2n.errors import NotFound, Problem, ValidationFailed

if TYPE_CHECKING:
    from a2n.services.workflows import VersionView, WorkflowDraft, WorkflowView

# --- wire models ----------------------------------------------------------------------------------

Name = Annotated[str, Field(min_length=1, max_length=200)]
Description = Annotated[str, Field(max_length=2000)]
Tag = Annotated[str, Field(min_length=1, max_length=64)]
Tags = Annotated[list[Tag], Field(max_length=50)]
Definition = Annotated[dict[str, Any], Field(description="The workflow definition (ARCHITECTURE §4)")]


class WorkflowIn(RequestBody):
    """``POST /workflows`` and ``PUT /workflows/{id}``; ``variables`` lands in definition.variables."""

    name: Name
    description: Description | None = None
    definition: Definition
    tags: Tags = Field(default_factory=list)
    variables: dict[str, Any] | None = None


class WorkflowCreate(RequestBody):
    """``POST /workflows``: a ``definition`` (with ``name``), or a built-in ``templateId`` whose
    definition is copied (``name`` then defaults to the template's; ``variables`` override its own)."""

    name: Name | None = None
    description: Description | None = None
    definition: Definition | None = None
    template_id: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    tags: Tags = Field(default_factory=list)
    variables: dict[str, Any] | None = None


class WorkflowReplace(WorkflowIn):
    change_note: Annotated[str, Field(max_length=500)] | None = None


class DefinitionIn(RequestBody):
    definition: Definition


class WorkflowExport(RequestBody):
    """The portable document of ``GET /workflows/{id}/export``, accepted as-is by import."""

    a2n_export: Literal[1] = Field(alias="a2nExport")
    name: Name
    description: Description | None = None
    tags: Tags = Field(default_factory=list)
    definition: Definition


class WorkflowStats(ResponseBody):
    execution_count: int
    success_count: int
    failure_count: int
    last_executed_at: UtcDatetime | None = None


class WorkflowSummary(ResponseBody):
    id: uuid.UUID
    name: str
    description: str | None = None
    version: int
    is_active: bool
    tags: list[str]
    created_at: UtcDatetime
    updated_at: UtcDatetime
    stats: WorkflowStats


class WorkflowOut(WorkflowSummary):
    definition: dict[str, Any]
    warnings: list[WarningOut] = Field(
        default_factory=list,
        description="What will not work as saved, e.g. a URL naming a private address (not an error)",
    )


class VersionSummary(ResponseBody):
    version: int
    created_at: UtcDatetime
    created_by: uuid.UUID | None = None
    change_note: str | None = None


class VersionOut(VersionSummary):
    definition: dict[str, Any]


class ValidationResult(ResponseBody):
    valid: bool
    warnings: list[WarningOut] = Field(default_factory=list)


class WorkflowFilter(CamelModel):
    """``?active=&tag=&q=``; limit and cursor are read by page_request."""

    active: bool | None = None
    tag: Tag | None = None
    q: Annotated[str, Field(max_length=200)] | None = None


# --- shaping --------------------------------------------------------------------------------------


def _summary(view: WorkflowView) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": view.id,
        "name": view.name,
        "description": view.description,
        "version": view.version,
        "isActive": view.is_active,
        "tags": view.tags,
        "createdAt": view.created_at,
        "updatedAt": view.updated_at,
        "stats": {
            "executionCount": view.execution_count,
            "successCount": view.success_count,
            "failureCount": view.failure_count,
            "lastExecutedAt": view.last_executed_at,
        },
    }
    if view.definition is not None:
        body["definition"] = view.definition
        body["warnings"] = [w.as_dict() for w in view.warnings]
    return body


def _workflow_response(view: WorkflowView, status: int = 200) -> Response:
    # The version is the entity tag: a client sends it back in If-Match to avoid lost updates.
    return Response(status, _summary(view), headers={"ETag": f'"{view.version}"'})


def _version_body(view: VersionView) -> dict[str, Any]:
    body: dict[str, Any] = {
        "version": view.version,
        "createdAt": view.created_at,
        "createdBy": view.created_by,
        "changeNote": view.change_note,
    }
    if view.definition is not None:
        body["definition"] = view.definition
    return body


def _draft(body: WorkflowIn) -> WorkflowDraft:
    from a2n.services.workflows import WorkflowDraft

    return WorkflowDraft(
        name=body.name,
        description=body.description,
        definition=body.definition,
        tags=body.tags,
        variables=body.variables,
    )




def _version_param(request: Request) -> int:
    text = request.path_param("version")
    # A version is a positive integer; anything else names no version (404, like an unknown id).
    if not (text.isascii() and text.isdigit() and len(text) <= 9) or int(text) < 1:
        raise NotFound(f"Version {text[:20]!r} not found")
    return int(text)


_IF_MATCH = re.compile(r'^\s*(?:W/)?"?(\d{1,9})"?\s*$')


def _expected_version(request: Request) -> int | None:
    header = request.headers.get("if-match")
    if header is None or header.strip() == "*":
        return None
    match = _IF_MATCH.match(header)
    if match is None:
        raise ValidationFailed([Problem("#/headers/If-Match", 'must be a workflow version, e.g. "3"')])
    return int(match.group(1))


# --- routes ---------------------------------------------------------------------------------------


def _create_shape_problems(body: WorkflowCreate) -> list[Problem]:
    """Exactly one source of the definition; a name unless a template supplies one."""
    if body.template_id is not None:
        if body.definition is not None:
            return [Problem("/templateId", "send either templateId or definition, not both")]
        return []
    problems = (
        []
        if body.definition is not None
        else [Problem("/definition", "definition or templateId is required")]
    )
    if body.name is None:
        problems.append(Problem("/name", "Field required"))
    return problems


def create_workflow(request: Request) -> Response:
    from a2n.services import workflows
    from a2n.services.workflows import WorkflowDraft

    body = request.parse(WorkflowCreate)
    problems = _create_shape_problems(body)
    if problems:
        raise ValidationFailed(problems)
    if body.template_id is not None:
        view = workflows.create_workflow_from_template(
            request.principal,
            body.template_id,
            name=body.name,
            description=body.description,
            tags=body.tags,
            variables=body.variables,
            origin=request.origin,
        )
    else:
        assert body.name is not None and body.definition is not None  # _create_shape_problems
        draft = WorkflowDraft(body.name, body.definition, body.description, body.tags, body.variables)
        view = workflows.create_workflow(request.principal, draft, origin=request.origin)
    return _workflow_response(view, 201)


def list_workflows(request: Request) -> Response:
    from a2n.services import workflows

    page = page_request(request.query)
    query = request.parse_query(WorkflowFilter)
    found = workflows.list_workflows(
        request.principal, page, active=query.active, tag=query.tag, text=query.q
    )
    return Response(200, {"items": [_summary(v) for v in found.items], "nextCursor": found.next_cursor})


def get_workflow(request: Request) -> Response:
    from a2n.services import workflows

    return _workflow_response(workflows.get_workflow(request.principal, request.path_param("id")))


def replace_workflow(request: Request) -> Response:
    from a2n.services import workflows

    body = request.parse(WorkflowReplace)
    view = workflows.replace_workflow(
        request.principal,
        request.path_param("id"),
        _draft(body),
        change_note=body.change_note,
        expected_version=_expected_version(request),
        origin=request.origin,
    )
    return _workflow_response(view)


def delete_workflow(request: Request) -> Response:
    from a2n.services import workflows

    workflows.delete_workflow(request.principal, request.path_param("id"), origin=request.origin)
    return Response.no_content()


def list_versions(request: Request) -> Response:
    from a2n.services import workflows

    found = workflows.list_versions(request.principal, request.path_param("id"), page_request(request.query))
    return Response(200, {"items": [_version_body(v) for v in found.items], "nextCursor": found.next_cursor})


def get_version(request: Request) -> Response:
    from a2n.services import workflows

    view = workflows.get_version(request.principal, request.path_param("id"), _version_param(request))
    return Response(200, _version_body(view))


def restore_version(request: Request) -> Response:
    from a2n.services import workflows

    view = workflows.restore_version(
        request.principal, request.path_param("id"), _version_param(request), origin=request.origin
    )
    # 200, not 201: the workflow gains a version; no new resource is created.
    return _workflow_response(view)


def export_workflow(request: Request) -> Response:
    from a2n.services import workflows

    return Response(200, workflows.export_workflow(request.principal, request.path_param("id")))


def import_workflow(request: Request) -> Response:
    from a2n.services import workflows
    from a2n.services.workflows import WorkflowDraft

    body = request.parse(WorkflowExport)
    draft = WorkflowDraft(
        name=body.name, description=body.description, definition=body.definition, tags=body.tags
    )
    return _workflow_response(
        workflows.import_workflow(request.principal, draft, origin=request.origin), 201
    )


def validate_workflow(request: Request) -> Response:
    from a2n.services import workflows

    body = request.parse(DefinitionIn)
    warnings = workflows.validate_workflow_definition(request.principal, body.definition)
    return Response(200, {"valid": True, "warnings": [w.as_dict() for w in warnings]})


# --- OpenAPI --------------------------------------------------------------------------------------

_TAGS = ("Workflows",)
_ID = "/workflows/{id}"
_LIST_QUERY = (
    QueryParam("active", {"type": "boolean"}, description="only active (true) or inactive (false)"),
    QueryParam("tag", {"type": "string", "minLength": 1, "maxLength": 64}),
    QueryParam("q", {"type": "string", "maxLength": 200}, description="text in name or description"),
    QueryParam("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
    QueryParam("cursor", {"type": "string"}),
)
_PAGE_QUERY = _LIST_QUERY[3:]

ROUTES: tuple[RouteDoc, ...] = (
    RouteDoc(
        "POST",
        "/workflows",
        "Create a workflow (from a definition or a built-in templateId)",
        WorkflowCreate,
        WorkflowOut,
        201,
        tags=_TAGS,
    ),
    RouteDoc(
        "GET",
        "/workflows",
        "List workflows (without definitions)",
        None,
        PageOf[WorkflowSummary],
        tags=_TAGS,
        query=_LIST_QUERY,
    ),
    RouteDoc("GET", _ID, "Get a workflow", None, WorkflowOut, tags=_TAGS),
    RouteDoc(
        "PUT",
        _ID,
        "Replace a workflow (next version)",
        WorkflowReplace,
        WorkflowOut,
        tags=_TAGS,
        errors=(409,),
    ),
    RouteDoc("DELETE", _ID, "Delete a workflow", None, None, 204, tags=_TAGS),
    RouteDoc(
        "GET",
        f"{_ID}/versions",
        "List saved versions",
        None,
        PageOf[VersionSummary],
        tags=_TAGS,
        query=_PAGE_QUERY,
    ),
    RouteDoc("GET", f"{_ID}/versions/{{version}}", "Get one saved version", None, VersionOut, tags=_TAGS),
    RouteDoc(
        "POST",
        f"{_ID}/versions/{{version}}/restore",
        "Save an old version as the newest",
        None,
        WorkflowOut,
        tags=_TAGS,
        errors=(409, 422),
    ),
    RouteDoc("GET", f"{_ID}/export", "Export as portable JSON", None, WorkflowExport, tags=_TAGS),
    RouteDoc(
        "POST",
        "/workflows/import",
        "Import an exported workflow",
        WorkflowExport,
        WorkflowOut,
        201,
        tags=_TAGS,
    ),
    RouteDoc(
        "POST", "/workflows/validate", "Validate a definition", DefinitionIn, ValidationResult, tags=_TAGS
    ),
)
