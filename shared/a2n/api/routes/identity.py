"""Identity routes of API.md: ``GET /me`` and the caller's API keys (create, list, revoke).

The plain API key appears in exactly one response: the create.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from pydantic import Field

from a2n.api.http import Request, Response
from a2n.api.openapi import QueryParam, RouteDoc
from a2n.api.pagination import Page, PageRequest, encode_cursor, page_request
from a2n.api.schemas import PageOf, RequestBody, ResponseBody, UtcDatetime

if TYPE_CHECKING:
    from a2n.db.repositories.base import Keyset


class WorkspaceRoleOut(ResponseBody):
    id: uuid.UUID
    name: str
    role: str


class MeOut(ResponseBody):
    id: uuid.UUID
    email: str
    name: str | None = None
    created_at: UtcDatetime
    workspaces: list[WorkspaceRoleOut]
    # Where requests without X-Workspace-Id act; null for an API key bound to another workspace.
    personal_workspace_id: uuid.UUID | None = None
    email_verified: bool = False
    two_factor_enabled: bool = False
    locale: str | None = None
    timezone: str | None = None
    avatar_url: str | None = None


class ApiKeyCreate(RequestBody):
    name: str = Field(min_length=1, max_length=200)
    scopes: list[str] = Field(min_length=1, max_length=20)
    expires_at: UtcDatetime | None = None
    # Requests per minute the authorizer lets through (429 + Retry-After beyond); null: no limit.
    rate_limit_per_minute: int | None = Field(default=None, ge=1, le=1_000_000)
    # CIDRs (IPv4 or IPv6) the key may be used from; empty: anywhere.
    allowed_cidrs: list[str] = Field(default_factory=list, max_length=20)


class ApiKeyOut(ResponseBody):
    id: uuid.UUID
    name: str
    prefix: str
    scopes: list[str]
    created_at: UtcDatetime
    expires_at: UtcDatetime | None = None
    last_used_at: UtcDatetime | None = None
    rate_limit_per_minute: int | None = None
    allowed_cidrs: list[str] = Field(default_factory=list)
    # Every request that presented it; refusedCount: those of them its own limits refused (over the
    # rate, outside the allow-list).
    use_count: int = 0
    refused_count: int = 0


class ApiKeyCreated(ApiKeyOut):
    key: str


def get_me(request: Request) -> Response:
    from a2n.services.auth import me

    view = me(request.principal)
    body = MeOut(
        id=view.user.id,
        email=view.user.email,
        name=view.user.name,
        created_at=view.user.created_at,
        workspaces=[WorkspaceRoleOut(id=w.id, name=w.name, role=w.role) for w in view.workspaces],
        personal_workspace_id=view.personal_workspace_id,
        email_verified=view.user.email_verified_at is not None,
        two_factor_enabled=view.user.totp_enabled_at is not None,
        locale=view.user.locale,
        timezone=view.user.timezone,
        avatar_url=view.user.avatar_url,
    )
    return Response(200, body)


def create_api_key(request: Request) -> Response:
    from a2n.services.api_keys import create_api_key as create

    body = request.parse(ApiKeyCreate)
    created = create(
        request.principal,
        body.name,
        body.scopes,
        body.expires_at,
        rate_limit_per_minute=body.rate_limit_per_minute,
        allowed_cidrs=body.allowed_cidrs,
        origin=request.origin,
    )
    out = ApiKeyCreated.model_validate(
        {**ApiKeyOut.model_validate(created.row).model_dump(), "key": created.plain}
    )
    return Response(201, out)


def list_api_keys(request: Request) -> Response:
    from a2n.services.api_keys import list_api_keys as list_keys

    page = page_request(request.query)
    found = list_keys(request.principal, limit=page.limit, after=keyset_after(page))
    last = found.next_keyset()
    next_cursor = encode_cursor(last.created_at, last.id) if last is not None else None
    return Response(200, Page([ApiKeyOut.model_validate(k) for k in found.items], next_cursor))


def delete_api_key(request: Request) -> Response:
    from a2n.services.api_keys import revoke_api_key

    revoke_api_key(request.principal, request.path_param("id"), origin=request.origin)
    return Response.no_content()


def keyset_after(page: PageRequest) -> Keyset | None:
    """Where a page of keys starts (newest first by creation), from the request's cursor."""
    from a2n.db.repositories.base import Keyset
    from a2n.errors import BadRequest

    if page.cursor is None:
        return None
    try:
        return Keyset(page.cursor.sort_key_datetime(), uuid.UUID(page.cursor.id))
    except ValueError:
        raise BadRequest("Invalid cursor") from None




_TAGS = ("identity",)
_PAGING = (QueryParam("limit", {"type": "integer", "minimum": 1, "maximum": 200}), QueryParam("cursor"))
ROUTES: tuple[RouteDoc, ...] = (
    RouteDoc("GET", "/me", "The caller and its workspaces", response_model=MeOut, tags=_TAGS),
    RouteDoc(
        "POST",
        "/api-keys",
        "Create an API key (the key is shown only in this response)",
        ApiKeyCreate,
        ApiKeyCreated,
        status=201,
        tags=_TAGS,
    ),
    RouteDoc(
        "GET",
        "/api-keys",
        "The caller's API keys in this workspace (never the key)",
        response_model=PageOf[ApiKeyOut],
        tags=_TAGS,
        query=_PAGING,
    ),
    RouteDoc(
        "DELETE",
        "/api-keys/{id}",
        "Revoke an API key; it fails from the next request",
        status=204,
        tags=_TAGS,
    ),
)
