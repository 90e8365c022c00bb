"""Comments on a workflow: threads with an optional node anchor, replies, ``@email`` mentions,
edit, resolve/unresolve and delete."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, StrictBool

from a2n.api.http import Request, Response
from a2n.api.openapi import QueryParam, RouteDoc
from a2n.api.pagination import page_request
from a2n.api.schemas import CamelModel, PageOf, RequestBody, ResponseBody, UtcDatetime
from a2n.errors import Problem, ValidationFailed

if TYPE_CHECKING:
    from a2n.services.comments import CommentView

Body = Annotated[str, Field(min_length=1, max_length=5000)]
NodeId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class CommentIn(RequestBody):
    body: Body = Field(description="Text; `@someone@example.com` mentions a member of the workspace")
    parent_id: uuid.UUID | None = Field(default=None, description="Reply to this thread")
    node_id: NodeId | None = Field(default=None, description="Anchor a new thread to one node")


class CommentChange(RequestBody):
    body: Body | None = None
    resolved: StrictBool | None = None


class PersonOut(ResponseBody):
    id: uuid.UUID
    email: str


class CommentOut(ResponseBody):
    id: uuid.UUID
    workflow_id: uuid.UUID
    parent_id: uuid.UUID | None = None
    node_id: str | None = None
    author: PersonOut | None = None
    body: str | None = Field(default=None, description="null once deleted (a thread's tombstone)")
    mentions: list[PersonOut]
    resolved: bool
    resolved_at: UtcDatetime | None = None
    resolved_by: uuid.UUID | None = None
    edited_at: UtcDatetime | None = None
    deleted: bool
    reply_count: int
    created_at: UtcDatetime


class CommentFilterIn(CamelModel):
    parent_id: uuid.UUID | None = None
    node_id: NodeId | None = None
    resolved: bool | None = None


def _body(view: CommentView) -> dict[str, Any]:
    return CommentOut.model_validate(view).model_dump(by_alias=True, mode="json")


def create_comment(request: Request) -> Response:
    from a2n.services.comments import CommentDraft, add_comment

    body = request.parse(CommentIn)
    draft = CommentDraft(body=body.body, parent_id=body.parent_id, node_id=body.node_id)
    return Response(
        201, _body(add_comment(request.principal, request.path_param("id"), draft, origin=request.origin))
    )


def list_comments(request: Request) -> Response:
    from a2n.services.comments import CommentFilter
    from a2n.services.comments import list_comments as comments

    query = request.parse_query(CommentFilterIn)
    wanted = CommentFilter(parent_id=query.parent_id, node_id=query.node_id, resolved=query.resolved)
    found = comments(request.principal, request.path_param("id"), wanted, page_request(request.query))
    return Response(200, {"items": [_body(v) for v in found.items], "nextCursor": found.next_cursor})


def update_comment(request: Request) -> Response:
    from a2n.services.comments import update_comment as update

    body = request.parse(CommentChange)
    for field in ("body", "resolved"):
        if field in body.model_fields_set and getattr(body, field) is None:
            raise ValidationFailed([Problem(f"/{field}", "cannot be null")])
    if not body.model_fields_set:
        raise ValidationFailed([Problem("", "send body and/or resolved")])
    view = update(
        request.principal,
        request.path_param("id"),
        request.path_param("commentId"),
        body=body.body,
        resolved=body.resolved,
        origin=request.origin,
    )
    return Response(200, _body(view))


def delete_comment(request: Request) -> Response:
    from a2n.services.comments import delete_comment as delete

    delete(
        request.principal, request.path_param("id"), request.path_param("commentId"), origin=request.origin
    )
    return Response.no_content()


_TAGS = ("Comments",)
_COMMENTS = "/workflows/{id}/comments"

ROUTES: tuple[RouteDoc, ...] = (
    RouteDoc(
        "POST",
        _COMMENTS,
        "Comment on a workflow (a thread, or a reply), mentioning members",
        CommentIn,
        CommentOut,
        201,
        tags=_TAGS,
        errors=(422, 429),
    ),
    RouteDoc(
        "GET",
        _COMMENTS,
        "List a workflow's threads (or one thread's replies), oldest first",
        None,
        PageOf[CommentOut],
        tags=_TAGS,
        query=(
            QueryParam("parentId", {"type": "string", "format": "uuid"}, description="a thread's replies"),
            QueryParam("nodeId", {"type": "string"}, description="threads anchored to this node"),
            QueryParam("resolved", {"type": "boolean"}),
            QueryParam("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
            QueryParam("cursor", {"type": "string"}),
        ),
    ),
    RouteDoc(
        "PATCH",
        f"{_COMMENTS}/{{commentId}}",
        "Edit a comment (its author) or resolve/unresolve a thread",
        CommentChange,
        CommentOut,
        tags=_TAGS,
        errors=(422, 429),
    ),
    RouteDoc(
        "DELETE",
        f"{_COMMENTS}/{{commentId}}",
        "Delete a comment (its author, or a workspace ADMIN)",
        None,
        None,
        204,
        tags=_TAGS,
    ),
)
