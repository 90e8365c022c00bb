"""Sharing workflows: a workflow's shares (create, list, change, revoke) and the shared-with-me list.

What each level allows on each route is the policy's (a2n.auth.policy.SHARE_GRANTS); these routes
only manage the shares themselves (MEMBER+ of the workflow's workspace, signed in).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, StrictBool

from a2n.api.http import Request, Response
from a2n.api.openapi import QueryParam, RouteDoc
from a2n.api.pagination import page_request
from a2n.api.schemas import PageOf, RequestBody, ResponseBody, UtcDatetime
from a2n.db.enums import ShareLevel
from a2n.errors import Problem, ValidationFailed

if TYPE_CHECKING:
    from a2n.services.shares import SharedWithMe, ShareView

Email = Annotated[str, Field(min_length=3, max_length=254)]


class ShareIn(RequestBody):
    """Exactly one grantee: a user's ``email``, or ``workspace: true`` for every member of the
    workflow's workspace."""

    email: Email | None = None
    workspace: StrictBool | None = None
    level: ShareLevel
    expires_at: UtcDatetime | None = None


class ShareChange(RequestBody):
    level: ShareLevel | None = None
    expires_at: UtcDatetime | None = Field(default=None, description="null removes the expiry")


class ShareOut(ResponseBody):
    id: uuid.UUID
    workflow_id: uuid.UUID
    grantee_user_id: uuid.UUID | None = Field(default=None, description="null: the whole workspace")
    grantee_email: str | None = None
    level: ShareLevel
    effective_level: ShareLevel | None = Field(
        default=None, description="What it allows today: view outside the workspace; null once expired"
    )
    expires_at: UtcDatetime | None = None
    created_at: UtcDatetime


class SharedWorkflowOut(ResponseBody):
    share_id: uuid.UUID
    workflow_id: uuid.UUID
    name: str
    description: str | None = None
    workspace_id: uuid.UUID
    workspace_name: str
    level: ShareLevel
    shared_by: str | None = None
    expires_at: UtcDatetime | None = None
    created_at: UtcDatetime


def _share_body(view: ShareView) -> dict[str, Any]:
    return ShareOut.model_validate(view).model_dump(by_alias=True, mode="json")


def create_share(request: Request) -> Response:
    from a2n.services.shares import ShareRequest, share_workflow

    body = request.parse(ShareIn)
    if (body.email is None) == (body.workspace is not True):
        raise ValidationFailed([Problem("/email", "send either email or workspace: true")])
    wanted = ShareRequest(email=body.email, level=body.level, expires_at=body.expires_at)
    view = share_workflow(request.principal, request.path_param("id"), wanted, origin=request.origin)
    return Response(201, _share_body(view))


def list_shares(request: Request) -> Response:
    from a2n.services.shares import list_shares as shares

    found = shares(request.principal, request.path_param("id"), page_request(request.query))
    return Response(200, {"items": [_share_body(v) for v in found.items], "nextCursor": found.next_cursor})


def update_share(request: Request) -> Response:
    from a2n.services.shares import UNSET
    from a2n.services.shares import update_share as update

    body = request.parse(ShareChange)
    if "level" in body.model_fields_set and body.level is None:
        raise ValidationFailed([Problem("/level", "cannot be null")])
    view = update(
        request.principal,
        request.path_param("id"),
        request.path_param("shareId"),
        level=body.level,
        expires_at=body.expires_at if "expires_at" in body.model_fields_set else UNSET,
        origin=request.origin,
    )
    return Response(200, _share_body(view))


def revoke_share(request: Request) -> Response:
    from a2n.services.shares import revoke_share as revoke

    revoke(request.principal, request.path_param("id"), request.path_param("shareId"), origin=request.origin)
    return Response.no_content()


def shared_with_me(request: Request) -> Response:
    from a2n.services.shares import shared_with_me as shared

    found = shared(request.principal, page_request(request.query))
    items = [_shared_body(v) for v in found.items]
    return Response(200, {"items": items, "nextCursor": found.next_cursor})


def _shared_body(view: SharedWithMe) -> dict[str, Any]:
    return SharedWorkflowOut.model_validate(view).model_dump(by_alias=True, mode="json")


_TAGS = ("Sharing",)
_PAGE = (
    QueryParam("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
    QueryParam("cursor", {"type": "string"}),
)
_SHARES = "/workflows/{id}/shares"

ROUTES: tuple[RouteDoc, ...] = (
    RouteDoc(
        "POST",
        _SHARES,
        "Share a workflow with a user or its whole workspace",
        ShareIn,
        ShareOut,
        201,
        tags=_TAGS,
        errors=(409, 422),
    ),
    RouteDoc("GET", _SHARES, "List a workflow's shares", None, PageOf[ShareOut], tags=_TAGS, query=_PAGE),
    RouteDoc(
        "PATCH",
        f"{_SHARES}/{{shareId}}",
        "Change a share's level or expiry",
        ShareChange,
        ShareOut,
        tags=_TAGS,
        errors=(422,),
    ),
    RouteDoc(
        "DELETE",
        f"{_SHARES}/{{shareId}}",
        "Revoke a share (effective on the next request)",
        None,
        None,
        204,
        tags=_TAGS,
    ),
    RouteDoc(
        "GET",
        "/shared-with-me",
        "Workflows shared with me",
        None,
        PageOf[SharedWorkflowOut],
        tags=_TAGS,
        query=_PAGE,
    ),
)
