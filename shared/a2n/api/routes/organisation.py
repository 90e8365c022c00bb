"""Organising workflows: folders, a workflow's details (``PATCH /workflows/{id}``) and un-archiving.

PATCH bodies say what they change: a field sent as ``null`` clears it, a field left out stays.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from a2n.api.http import Request, Response
from a2n.api.openapi import QueryParam, RouteDoc
from a2n.api.pagination import page_request
from a2n.api.routes.workflows import Category, Description, Name, Tags, WorkflowOut, workflow_response
from a2n.api.schemas import CamelModel, PageOf, RequestBody, ResponseBody, UtcDatetime
from a2n.errors import Problem, ValidationFailed

if TYPE_CHECKING:
    from a2n.services.organisation import FolderView

FolderName = Annotated[str, Field(min_length=1, max_length=120, pattern=r"^[^/\x00-\x1f]+$")]


class FolderIn(RequestBody):
    name: FolderName
    parent_id: uuid.UUID | None = Field(default=None, description="None: a top-level folder")


class FolderChange(RequestBody):
    """Rename and/or move; ``parentId: null`` moves to the top level."""

    name: FolderName | None = None
    parent_id: uuid.UUID | None = None


class FolderOut(ResponseBody):
    id: uuid.UUID
    name: str
    parent_id: uuid.UUID | None = None
    created_at: UtcDatetime
    updated_at: UtcDatetime


class FolderFilter(CamelModel):
    parent_id: Annotated[str, Field(max_length=40)] | None = None


class WorkflowDetailsIn(RequestBody):
    """What ``PATCH /workflows/{id}`` may change; never the definition (that is a new version)."""

    name: Name | None = None
    description: Description | None = None
    tags: Tags | None = None
    category: Category | None = None
    folder_id: uuid.UUID | None = None


def _folder_body(view: FolderView) -> FolderOut:
    return FolderOut.model_validate(view)


def _sent(body: RequestBody, field: str) -> bool:
    return field in body.model_fields_set


def create_folder(request: Request) -> Response:
    from a2n.services.organisation import create_folder as create

    body = request.parse(FolderIn)
    return Response(
        201, _folder_body(create(request.principal, body.name, body.parent_id, origin=request.origin))
    )


def list_folders(request: Request) -> Response:
    from a2n.services.organisation import list_folders as folders

    query = request.parse_query(FolderFilter)
    found = folders(request.principal, page_request(request.query), parent=query.parent_id)
    items = [_folder_body(f) for f in found.items]
    return Response(200, PageOf[FolderOut](items=items, next_cursor=found.next_cursor))


def update_folder(request: Request) -> Response:
    from a2n.services.organisation import UNCHANGED
    from a2n.services.organisation import update_folder as update

    body = request.parse(FolderChange)
    if _sent(body, "name") and body.name is None:
        raise ValidationFailed([Problem("/name", "a folder needs a name")])
    view = update(
        request.principal,
        request.path_param("id"),
        name=body.name if _sent(body, "name") else UNCHANGED,
        parent_id=body.parent_id if _sent(body, "parent_id") else UNCHANGED,
        origin=request.origin,
    )
    return Response(200, _folder_body(view))


def delete_folder(request: Request) -> Response:
    from a2n.services.organisation import delete_folder as delete

    delete(request.principal, request.path_param("id"), origin=request.origin)
    return Response.no_content()


def update_workflow_details(request: Request) -> Response:
    from a2n.services.organisation import UNCHANGED, WorkflowDetails, update_workflow_details

    body = request.parse(WorkflowDetailsIn)
    for required in ("name", "tags"):
        if _sent(body, required) and getattr(body, required) is None:
            raise ValidationFailed([Problem(f"/{required}", "cannot be null")])
    fields = ("name", "description", "tags", "category", "folder_id")
    details = WorkflowDetails(**{f: getattr(body, f) if _sent(body, f) else UNCHANGED for f in fields})
    view = update_workflow_details(
        request.principal, request.path_param("id"), details, origin=request.origin
    )
    return workflow_response(view)


def unarchive_workflow(request: Request) -> Response:
    from a2n.services.organisation import unarchive_workflow as unarchive

    return workflow_response(unarchive(request.principal, request.path_param("id"), origin=request.origin))


_TAGS = ("Folders",)
_PAGE = (
    QueryParam("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
    QueryParam("cursor", {"type": "string"}),
)

ROUTES: tuple[RouteDoc, ...] = (
    RouteDoc("POST", "/folders", "Create a folder (nested under parentId)", FolderIn, FolderOut, 201,
             tags=_TAGS, errors=(409, 422)),
    RouteDoc("GET", "/folders", "List folders", None, PageOf[FolderOut], tags=_TAGS, errors=(404,), query=(
        QueryParam("parentId", {"type": "string"},
                   description="a folder id (its subfolders), or `root`; an unknown folder is a 404"),
        *_PAGE,
    )),
    RouteDoc("PATCH", "/folders/{id}", "Rename or move a folder", FolderChange, FolderOut, tags=_TAGS,
             errors=(409, 422)),
    RouteDoc("DELETE", "/folders/{id}", "Delete an empty folder", None, None, 204, tags=_TAGS, errors=(409,)),
    RouteDoc("PATCH", "/workflows/{id}", "Change a workflow's name, description, tags, category or folder",
             WorkflowDetailsIn, WorkflowOut, tags=("Workflows",), errors=(422,)),
    RouteDoc("POST", "/workflows/{id}/unarchive", "Bring back a deleted workflow (inactive)", None,
             WorkflowOut,
             tags=("Workflows",)),
)  # fmt: skip
