"""Workspaces routes of API.md: create, list, read (with members), delete; add, re-role, remove members;
and, for ADMINs, every member's API keys in the workspace (list, revoke).

Route functions parse the request, call one service function and shape the response.
"""

from __future__ import annotations

import uuid

from pydantic import Field

from a2n.api.http import Request, Response
from a2n.api.openapi import QueryParam, RouteDoc
from a2n.api.pagination import Page, encode_cursor, page_request
from a2n.api.routes.identity import ApiKeyOut, keyset_after
from a2n.api.schemas import PageOf, RequestBody, ResponseBody
from a2n.auth.policy import Role


class WorkspaceCreate(RequestBody):
    name: str = Field(min_length=1, max_length=200)


class MemberAdd(RequestBody):
    email: str = Field(min_length=3, max_length=254)
    role: Role


class MemberRoleUpdate(RequestBody):
    role: Role


class WorkspaceOut(ResponseBody):
    id: uuid.UUID
    name: str
    slug: str
    role: str


class MemberOut(ResponseBody):
    user_id: uuid.UUID
    email: str
    role: str


class WorkspaceDetailOut(WorkspaceOut):
    members: list[MemberOut]
    require_verified_email: bool = False
    require_two_factor: bool = False
    viewers_may_comment: bool = True


class WorkspaceApiKeyOut(ApiKeyOut):
    """A member's key as its workspace's ADMINs see it: whose it is, never the key itself."""

    user_id: uuid.UUID
    user_email: str | None = None


class WorkspaceList(ResponseBody):
    items: list[WorkspaceOut]
    next_cursor: str | None = None


def create_workspace(request: Request) -> Response:
    from a2n.services.workspaces import create_workspace as create

    body = request.parse(WorkspaceCreate)
    return Response(
        201, WorkspaceOut.model_validate(create(request.principal, body.name, origin=request.origin))
    )


def list_workspaces(request: Request) -> Response:
    from a2n.services.workspaces import list_workspaces as list_mine

    # A person belongs to a handful of workspaces: one page, with the list envelope of API.md.
    items = [WorkspaceOut.model_validate(w) for w in list_mine(request.principal)]
    return Response(200, WorkspaceList(items=items))


def get_workspace(request: Request) -> Response:
    from a2n.services.workspaces import get_workspace as get

    detail = get(request.principal, request.path_param("id"))
    body = WorkspaceDetailOut(
        **WorkspaceOut.model_validate(detail.workspace).model_dump(),
        members=[MemberOut.model_validate(m) for m in detail.members],
        require_verified_email=detail.policies.require_verified_email,
        require_two_factor=detail.policies.require_two_factor,
        viewers_may_comment=detail.policies.viewers_may_comment,
    )
    return Response(200, body)


def delete_workspace(request: Request) -> Response:
    from a2n.services.workspaces import delete_workspace as delete

    delete(request.principal, request.path_param("id"), origin=request.origin)
    return Response.no_content()


def list_workspace_api_keys(request: Request) -> Response:
    from a2n.services.api_keys import list_workspace_api_keys as list_keys

    page = page_request(request.query)
    found = list_keys(request.principal, request.path_param("id"), limit=page.limit, after=keyset_after(page))
    items = [
        WorkspaceApiKeyOut.model_validate(
            {**ApiKeyOut.model_validate(key).model_dump(), "user_id": key.user_id,
             "user_email": found.owner_emails.get(key.user_id)}
        )
        for key in found.keys.items
    ]  # fmt: skip
    last = found.keys.next_keyset()
    return Response(200, Page(items, encode_cursor(last.created_at, last.id) if last is not None else None))


def revoke_workspace_api_key(request: Request) -> Response:
    from a2n.services.api_keys import revoke_workspace_api_key as revoke

    revoke(request.principal, request.path_param("id"), request.path_param("keyId"), origin=request.origin)
    return Response.no_content()


def add_member(request: Request) -> Response:
    from a2n.services.workspaces import add_member as add

    body = request.parse(MemberAdd)
    member = add(request.principal, request.path_param("id"), body.email, body.role, origin=request.origin)
    return Response(201, MemberOut.model_validate(member))


def update_member(request: Request) -> Response:
    from a2n.services.workspaces import update_member as update

    body = request.parse(MemberRoleUpdate)
    member = update(
        request.principal,
        request.path_param("id"),
        request.path_param("userId"),
        body.role,
        origin=request.origin,
    )
    return Response(200, MemberOut.model_validate(member))


def remove_member(request: Request) -> Response:
    from a2n.services.workspaces import remove_member as remove

    remove(request.principal, request.path_param("id"), request.path_param("userId"), origin=request.origin)
    return Response.no_content()




_TAGS = ("workspaces",)
ROUTES: tuple[RouteDoc, ...] = (
    RouteDoc(
        "POST",
        "/workspaces",
        "Create a workspace (the caller becomes OWNER)",
        WorkspaceCreate,
        WorkspaceOut,
        status=201,
        tags=_TAGS,
    ),
    RouteDoc("GET", "/workspaces", "The caller's workspaces", response_model=WorkspaceList, tags=_TAGS),
    RouteDoc(
        "GET",
        "/workspaces/{id}",
        "A workspace with its members",
        response_model=WorkspaceDetailOut,
        tags=_TAGS,
    ),
    RouteDoc(
        "DELETE",
        "/workspaces/{id}",
        "Delete a workspace (OWNER; not the personal one)",
        status=204,
        tags=_TAGS,
        errors=(409,),
    ),
    RouteDoc(
        "POST",
        "/workspaces/{id}/members",
        "Add a registered user (ADMIN+)",
        MemberAdd,
        MemberOut,
        status=201,
        tags=_TAGS,
        errors=(409,),
    ),
    RouteDoc(
        "PATCH",
        "/workspaces/{id}/members/{userId}",
        "Change a member's role",
        MemberRoleUpdate,
        MemberOut,
        tags=_TAGS,
        errors=(409,),
    ),
    RouteDoc(
        "DELETE",
        "/workspaces/{id}/members/{userId}",
        "Remove a member (their API keys in the workspace are revoked)",
        status=204,
        tags=_TAGS,
        errors=(409,),
    ),
    RouteDoc(
        "GET",
        "/workspaces/{id}/api-keys",
        "Every member's live API keys in the workspace (ADMIN+; never the key)",
        response_model=PageOf[WorkspaceApiKeyOut],
        tags=_TAGS,
        query=(QueryParam("limit", {"type": "integer", "minimum": 1, "maximum": 200}), QueryParam("cursor")),
    ),
    RouteDoc(
        "DELETE",
        "/workspaces/{id}/api-keys/{keyId}",
        "Revoke any member's API key (ADMIN+); it fails from the next request",
        status=204,
        tags=_TAGS,
    ),
)
