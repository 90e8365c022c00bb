"""Workflows routes of API.md: CRUD, versions and restore, export/import and validate.

Route functions parse the request, call one service function (a2n.services.workflows) and shape
the response; the wire models below are also what the OpenAPI document publishes.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import Field

from a2n.api.http import Request, Response
from a2n.api.openapi import IF_MATCH, QueryParam, RouteDoc
from a2n.api.pagination import page_request
from a2n.api.schemas import CamelModel, PageOf, RequestBody, ResponseBody, UtcDatetime, WarningOut
from a2n.errors import NotFound, Problem, ValidationFailed

if TYPE_CHECKING:
    from a2n.db.repositories.workflows import WorkflowFilter
    from a2n.services.workflows import VersionView, WorkflowDraft, WorkflowView

# --- wire models ----------------------------------------------------------------------------------

Name = Annotated[str, Field(min_length=1, max_length=200)]
Description = Annotated[str, Field(max_length=2000)]
Tag = Annotated[str, Field(min_length=1, max_length=64)]
Tags = Annotated[list[Tag], Field(max_length=50)]
Definition = Annotated[dict[str, Any], Field(description="The workflow definition (docs/nodes.md)")]
Category = Annotated[str, Field(min_length=1, max_length=64)]


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
    folder_id: uuid.UUID | None = None
    category: Category | None = None


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
    packages: dict[Annotated[str, Field(max_length=63)], Annotated[str, Field(max_length=64)]] | None = Field(
        default=None, max_length=100, description="Package versions the nodes use (each node names its own)"
    )


class WorkflowStats(ResponseBody):
    execution_count: int
    success_count: int
    failure_count: int
    last_executed_at: UtcDatetime | None = None


class WorkflowSummary(ResponseBody):
    id: uuid.UUID
    name: str
    description: str | None = None
    version: int = Field(description="The draft head: the newest saved version (what editors see)")
    published_version: int | None = Field(default=None, description="The version triggers run")
    is_active: bool
    tags: list[str]
    category: str | None = None
    folder_id: uuid.UUID | None = None
    archived_at: UtcDatetime | None = None
    created_at: UtcDatetime
    updated_at: UtcDatetime
    stats: WorkflowStats


class PublishedOut(ResponseBody):
    version: int
    published_at: UtcDatetime | None = None
    published_by: uuid.UUID | None = None
    definition: dict[str, Any]


class ScheduleOut(ResponseBody):
    """A schedule or poll trigger and its next fires, whether or not the workflow is active."""

    node_id: str
    type: str
    expression: str
    timezone: str
    next_fire_times: list[str] = Field(
        description="The next 5 fire times in the trigger's time zone (ISO 8601 with its offset); "
        "empty when the schedule never fires again"
    )


class WorkflowOut(WorkflowSummary):
    # Every answer with a whole workflow carries its version as the ETag (workflow_response).
    response_headers: ClassVar[tuple[str, ...]] = ("ETag",)

    definition: dict[str, Any] = Field(description="The draft head's definition")
    warnings: list[WarningOut] = Field(
        default_factory=list,
        description="What will not work as saved, e.g. a URL naming a private address (not an error)",
    )
    published: PublishedOut | None = Field(
        default=None, description="What triggers and published runs execute"
    )
    has_unpublished_changes: bool = False
    schedules: list[ScheduleOut] = Field(
        default_factory=list, description="The draft's schedule and poll triggers with their next fires"
    )


class PublishIn(RequestBody):
    version: Annotated[int, Field(ge=1)] | None = Field(default=None, description="Default: the draft head")


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


class WorkflowFilterIn(CamelModel):
    """``?active=&tag=&q=&category=&folderId=&includeSubfolders=&archived=``; limit and cursor are
    read by page_request."""

    active: bool | None = None
    tag: Tag | None = None
    q: Annotated[str, Field(max_length=200)] | None = None
    category: Category | None = None
    folder_id: uuid.UUID | Literal["root"] | None = None
    include_subfolders: bool = False
    archived: bool = False

    def as_filter(self) -> WorkflowFilter:
        from a2n.db.repositories.workflows import WorkflowFilter

        words = None if self.q is None else tuple(_WORD.findall(self.q.lower()))[:_MAX_WORDS]
        return WorkflowFilter(
            active=self.active, tag=self.tag, words=words, category=self.category,
            folder_id=self.folder_id if isinstance(self.folder_id, uuid.UUID) else None,
            root_only=self.folder_id == "root", include_subfolders=self.include_subfolders,
            archived=self.archived,
        )  # fmt: skip


_WORD = re.compile(r"\w+")
_MAX_WORDS = 10


# --- shaping --------------------------------------------------------------------------------------


def _summary(view: WorkflowView) -> WorkflowSummary:
    return WorkflowSummary(**_summary_fields(view))


def _summary_fields(view: WorkflowView) -> dict[str, Any]:
    stats = WorkflowStats(
        execution_count=view.execution_count,
        success_count=view.success_count,
        failure_count=view.failure_count,
        last_executed_at=view.last_executed_at,
    )
    return {
        "id": view.id, "name": view.name, "description": view.description, "version": view.version,
        "published_version": view.published.version if view.published else None,
        "is_active": view.is_active, "tags": view.tags, "category": view.category,
        "folder_id": view.folder_id, "archived_at": view.archived_at, "created_at": view.created_at,
        "updated_at": view.updated_at, "stats": stats,
    }  # fmt: skip


def _workflow_out(view: WorkflowView) -> WorkflowOut:
    published = view.published
    schedules = [
        ScheduleOut(node_id=s.node_id, type=s.type, expression=s.expression, timezone=s.timezone,
                    next_fire_times=[fire.isoformat() for fire in s.next_fire_times])
        for s in view.schedules
    ]  # fmt: skip
    return WorkflowOut(
        **_summary_fields(view),
        definition=view.definition or {},
        warnings=[WarningOut(pointer=w.pointer, message=w.message) for w in view.warnings],
        published=None if published is None else PublishedOut(
            version=published.version, published_at=published.published_at,
            published_by=published.published_by, definition=published.definition or {},
        ),
        has_unpublished_changes=published is None or published.version != view.version,
        schedules=schedules,
    )  # fmt: skip


def workflow_response(view: WorkflowView, status: int = 200) -> Response:
    # The version is the entity tag: a client sends it back in If-Match to avoid lost updates.
    return Response(status, _workflow_out(view), headers={"ETag": f'"{view.version}"'})


def _version_summary(view: VersionView) -> VersionSummary:
    return VersionSummary(
        version=view.version, created_at=view.created_at, created_by=view.created_by,
        change_note=view.change_note,
    )  # fmt: skip


def _version_out(view: VersionView) -> VersionOut:
    return VersionOut(**_version_summary(view).model_dump(), definition=view.definition or {})


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
            folder_id=body.folder_id,
            category=body.category,
            origin=request.origin,
        )
    else:
        assert body.name is not None and body.definition is not None  # _create_shape_problems
        draft = WorkflowDraft(
            body.name, body.definition, body.description, body.tags, body.variables,
            body.folder_id, body.category,
        )
        view = workflows.create_workflow(request.principal, draft, origin=request.origin)
    return workflow_response(view, 201)


def list_workflows(request: Request) -> Response:
    from a2n.services import workflows

    page = page_request(request.query)
    query = request.parse_query(WorkflowFilterIn)
    found = workflows.list_workflows(request.principal, page, query.as_filter())
    items = [_summary(v) for v in found.items]
    return Response(200, PageOf[WorkflowSummary](items=items, next_cursor=found.next_cursor))


def get_workflow(request: Request) -> Response:
    from a2n.services import workflows

    return workflow_response(workflows.get_workflow(request.principal, request.path_param("id")))


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
    return workflow_response(view)


def delete_workflow(request: Request) -> Response:
    from a2n.services import workflows

    workflows.delete_workflow(request.principal, request.path_param("id"), origin=request.origin)
    return Response.no_content()


def list_versions(request: Request) -> Response:
    from a2n.services import workflows

    found = workflows.list_versions(request.principal, request.path_param("id"), page_request(request.query))
    items = [_version_summary(v) for v in found.items]
    return Response(200, PageOf[VersionSummary](items=items, next_cursor=found.next_cursor))


def get_version(request: Request) -> Response:
    from a2n.services import workflows

    view = workflows.get_version(request.principal, request.path_param("id"), _version_param(request))
    return Response(200, _version_out(view))


def restore_version(request: Request) -> Response:
    from a2n.services import workflows

    view = workflows.restore_version(
        request.principal, request.path_param("id"), _version_param(request), origin=request.origin
    )
    # 200, not 201: the workflow gains a version; no new resource is created.
    return workflow_response(view)


def export_workflow(request: Request) -> Response:
    from a2n.services import workflows

    exported = workflows.export_workflow(request.principal, request.path_param("id"))
    return Response(200, WorkflowExport.model_validate(exported))


def import_workflow(request: Request) -> Response:
    from a2n.services import workflows
    from a2n.services.workflows import WorkflowDraft

    body = request.parse(WorkflowExport)
    draft = WorkflowDraft(
        name=body.name, description=body.description, definition=body.definition, tags=body.tags
    )
    return workflow_response(
        workflows.import_workflow(request.principal, draft, origin=request.origin), 201
    )


def publish_workflow(request: Request) -> Response:
    from a2n.services.publishing import publish_workflow as publish

    body = request.parse(PublishIn) if (request.raw_body or "").strip() else PublishIn()
    view = publish(request.principal, request.path_param("id"), body.version, origin=request.origin)
    return workflow_response(view)


def validate_workflow(request: Request) -> Response:
    from a2n.services import workflows

    body = request.parse(DefinitionIn)
    warnings = workflows.validate_workflow_definition(request.principal, body.definition)
    found = [WarningOut(pointer=w.pointer, message=w.message) for w in warnings]
    return Response(200, ValidationResult(valid=True, warnings=found))


# --- OpenAPI --------------------------------------------------------------------------------------

_TAGS = ("Workflows",)
_ID = "/workflows/{id}"
_PAGE_QUERY = (
    QueryParam("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
    QueryParam("cursor", {"type": "string"}),
)
_LIST_QUERY = (
    QueryParam("active", {"type": "boolean"}, description="only active (true) or inactive (false)"),
    QueryParam("tag", {"type": "string", "minLength": 1, "maxLength": 64}),
    QueryParam(
        "q", {"type": "string", "maxLength": 200},
        description="full-text search over name, tags and description: every word, as a prefix",
    ),
    QueryParam("category", {"type": "string", "minLength": 1, "maxLength": 64}),
    QueryParam(
        "folderId", {"type": "string"}, description="a folder id (its workflows), or `root` (in no folder)"
    ),
    QueryParam("includeSubfolders", {"type": "boolean"}, description="with folderId: its subfolders too"),
    QueryParam("archived", {"type": "boolean"}, description="true: deleted workflows not yet purged"),
    *_PAGE_QUERY,
)  # fmt: skip

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
        request_headers=(IF_MATCH,),
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
    RouteDoc(
        "POST",
        f"{_ID}/publish",
        "Publish a version: what triggers and published runs execute (re-syncs triggers)",
        PublishIn,
        WorkflowOut,
        tags=_TAGS,
        errors=(422,),
    ),
)
