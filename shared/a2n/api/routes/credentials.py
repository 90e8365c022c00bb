"""Credentials routes of API.md: create, list, get (with field names), replace, delete.

``data`` goes in and never comes out: responses carry metadata only, and its validation problems
are checked by a2n.services.credential_data with messages that never quote the submitted value.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, StrictBool

from a2n.api.http import Request, Response
from a2n.api.openapi import QueryParam, RouteDoc
from a2n.api.pagination import page_request
from a2n.api.schemas import CamelModel, PageOf, RequestBody, ResponseBody, UtcDatetime
from a2n.errors import Problem, ValidationFailed
from a2n.services.credential_data import CredentialType

if TYPE_CHECKING:
    from a2n.services.credentials import CredentialInfo

# --- wire models ----------------------------------------------------------------------------------

Name = Annotated[str, Field(min_length=1, max_length=200)]
# A type an installed integration package declares: ``<package>:<credential type>``.
PackageCredentialType = Annotated[
    str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}:[a-z][a-z0-9_]{0,62}$", max_length=128)
]
Data = Annotated[
    dict[str, Any],
    Field(description="Type-specific secret fields (docs/api.md, Credentials); write-only, never returned"),
]


class CredentialIn(RequestBody):
    name: Name
    type: CredentialType | PackageCredentialType
    data: Data
    expires_at: UtcDatetime | None = None


class CredentialReplace(RequestBody):
    """Every field optional: omitted keeps; ``type`` only together with ``data``;
    ``expiresAt: null`` removes the expiry."""

    name: Name | None = None
    type: CredentialType | PackageCredentialType | None = None
    data: Data | None = None
    expires_at: UtcDatetime | None = None


class CredentialOut(ResponseBody):
    id: uuid.UUID
    name: str
    type: str
    created_at: UtcDatetime
    updated_at: UtcDatetime
    expires_at: UtcDatetime | None = None
    last_used_at: UtcDatetime | None = None
    is_active: bool
    can_use: bool | None = Field(default=None, description="Whether you may attach it to a workflow")


class CredentialDetail(CredentialOut):
    fields: list[str] = Field(description="Names of the keys in data (custom headers as headers.<name>)")
    usage_count: int = Field(default=0, description="Uses by steps and polls still in the usage log")


class CredentialShareIn(RequestBody):
    """Exactly one grantee: a member's ``email`` or ``workspace: true``. Shares lend a credential for
    use only; ``level`` may be left out or say ``use`` (``read`` does not exist)."""

    email: Annotated[str, Field(min_length=3, max_length=254)] | None = None
    workspace: StrictBool | None = None
    level: Literal["use"] = "use"
    expires_at: UtcDatetime | None = None


class CredentialShareOut(ResponseBody):
    id: uuid.UUID
    credential_id: uuid.UUID
    grantee_user_id: uuid.UUID | None = Field(default=None, description="null: the whole workspace")
    grantee_email: str | None = None
    level: Literal["use"]
    expires_at: UtcDatetime | None = None
    created_at: UtcDatetime


class UsageOut(ResponseBody):
    id: uuid.UUID
    workflow_id: uuid.UUID | None = None
    execution_id: uuid.UUID | None = None
    node_id: str
    attempt: int | None = None
    used_at: UtcDatetime


class ForceIn(CamelModel):
    force: bool = False


# --- shaping --------------------------------------------------------------------------------------


def _body(info: CredentialInfo) -> CredentialOut:
    fields: dict[str, Any] = {
        "id": info.id, "name": info.name, "type": info.type, "created_at": info.created_at,
        "updated_at": info.updated_at, "expires_at": info.expires_at, "last_used_at": info.last_used_at,
        "is_active": info.is_active, "can_use": info.can_use,
    }  # fmt: skip
    if info.fields is not None:
        return CredentialDetail(**fields, fields=info.fields, usage_count=info.usage_count or 0)
    return CredentialOut(**fields)


# --- routes ---------------------------------------------------------------------------------------


def create_credential(request: Request) -> Response:
    from a2n.services import credentials

    body = request.parse(CredentialIn)
    draft = credentials.CredentialDraft(
        name=body.name, type=body.type, data=body.data, expires_at=body.expires_at
    )
    return Response(201, _body(credentials.create_credential(request.principal, draft, request.origin)))


def list_credentials(request: Request) -> Response:
    from a2n.services import credentials

    found = credentials.list_credentials(request.principal, page_request(request.query))
    items = [_body(i) for i in found.items]
    return Response(200, PageOf[CredentialOut](items=items, next_cursor=found.next_cursor))


def get_credential(request: Request) -> Response:
    from a2n.services import credentials

    return Response(200, _body(credentials.get_credential(request.principal, request.path_param("id"))))


def replace_credential(request: Request) -> Response:
    from a2n.services import credentials

    body = request.parse(CredentialReplace)
    changes = credentials.CredentialChanges(
        name=body.name,
        type=body.type,
        data=body.data,
        expires_at=body.expires_at,
        clear_expiry="expires_at" in body.model_fields_set and body.expires_at is None,
    )
    info = credentials.update_credential(request.principal, request.path_param("id"), changes, request.origin)
    return Response(200, _body(info))


def delete_credential(request: Request) -> Response:
    from a2n.services import credentials

    force = request.parse_query(ForceIn).force
    credentials.delete_credential(request.principal, request.path_param("id"), request.origin, force=force)
    return Response.no_content()


def share_credential(request: Request) -> Response:
    from a2n.services.credential_sharing import share_credential as share

    body = request.parse(CredentialShareIn)
    if (body.email is None) == (body.workspace is not True):
        raise ValidationFailed([Problem("/email", "send either email or workspace: true")])
    view = share(
        request.principal,
        request.path_param("id"),
        body.email,
        expires_at=body.expires_at,
        origin=request.origin,
    )
    return Response(201, CredentialShareOut.model_validate(view).model_dump(by_alias=True, mode="json"))


def list_credential_shares(request: Request) -> Response:
    from a2n.services.credential_sharing import list_credential_shares as shares

    items = [
        CredentialShareOut.model_validate(v).model_dump(by_alias=True, mode="json")
        for v in shares(request.principal, request.path_param("id"))
    ]
    return Response(200, {"items": items, "nextCursor": None})


def unshare_credential(request: Request) -> Response:
    from a2n.services.credential_sharing import unshare_credential as unshare

    force = request.parse_query(ForceIn).force
    unshare(
        request.principal,
        request.path_param("id"),
        request.path_param("shareId"),
        force=force,
        origin=request.origin,
    )
    return Response.no_content()


def credential_usage(request: Request) -> Response:
    from a2n.services.credential_sharing import credential_usage as usage

    found = usage(request.principal, request.path_param("id"), page_request(request.query))
    items = [UsageOut.model_validate(v).model_dump(by_alias=True, mode="json") for v in found.items]
    return Response(200, {"items": items, "nextCursor": found.next_cursor})


# --- OpenAPI --------------------------------------------------------------------------------------

_TAGS = ("Credentials",)
_ID = "/credentials/{id}"

ROUTES: tuple[RouteDoc, ...] = (
    RouteDoc(
        "POST",
        "/credentials",
        "Create a credential (data is encrypted, never returned)",
        CredentialIn,
        CredentialOut,
        status=201,
        tags=_TAGS,
        errors=(409,),
    ),
    RouteDoc(
        "GET",
        "/credentials",
        "List credentials (metadata only)",
        response_model=PageOf[CredentialOut],
        tags=_TAGS,
    ),
    RouteDoc(
        "GET",
        _ID,
        "A credential's metadata and the names of its data fields",
        response_model=CredentialDetail,
        tags=_TAGS,
    ),
    RouteDoc(
        "PUT",
        _ID,
        "Rename, replace data (fresh data key) or change expiry",
        CredentialReplace,
        CredentialOut,
        tags=_TAGS,
        errors=(409,),
    ),
    RouteDoc(
        "DELETE",
        _ID,
        "Delete a credential (409 listing active workflows using it, unless ?force=true)",
        status=204,
        tags=_TAGS,
        errors=(409,),
        query=(
            QueryParam("force", {"type": "boolean"}, description="delete even if active workflows use it"),
        ),
    ),
    RouteDoc(
        "POST",
        f"{_ID}/shares",
        "Share a credential for use with a member or the whole workspace",
        CredentialShareIn,
        CredentialShareOut,
        status=201,
        tags=_TAGS,
        errors=(409, 422),
    ),
    RouteDoc(
        "GET", f"{_ID}/shares", "A credential's shares", response_model=PageOf[CredentialShareOut], tags=_TAGS
    ),
    RouteDoc(
        "DELETE",
        f"{_ID}/shares/{{shareId}}",
        "Revoke a share (409 listing active workflows that would lose it, unless ?force=true)",
        status=204,
        tags=_TAGS,
        errors=(409,),
        query=(
            QueryParam(
                "force", {"type": "boolean"}, description="revoke even if active workflows depend on it"
            ),
        ),
    ),
    RouteDoc(
        "GET",
        f"{_ID}/usage",
        "Each use of the credential by a step or poll, newest first",
        response_model=PageOf[UsageOut],
        tags=_TAGS,
        query=(
            QueryParam("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
            QueryParam("cursor", {"type": "string"}),
        ),
    ),
)
