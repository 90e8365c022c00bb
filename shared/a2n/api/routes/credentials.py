"""Credentials routes of API.md: create, list, get (with field names), replace, delete.

``data`` goes in and never comes out: responses carry metadata only, and its validation problems
are checked by a2n.services.credential_data with messages that never quote the submitted value.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from a2n.api.http import Request, Response
from a2n.api.openapi import RouteDoc
from a2n.api.pagination import page_request
from a2n.api.schemas import PageOf, RequestBody, ResponseBody, UtcDatetime
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


class CredentialDetail(CredentialOut):
    fields: list[str] = Field(description="Names of the keys in data (custom headers as headers.<name>)")


# --- shaping --------------------------------------------------------------------------------------


def _body(info: CredentialInfo) -> CredentialOut:
    fields: dict[str, Any] = {
        "id": info.id, "name": info.name, "type": info.type, "created_at": info.created_at,
        "updated_at": info.updated_at, "expires_at": info.expires_at, "last_used_at": info.last_used_at,
        "is_active": info.is_active,
    }  # fmt: skip
    if info.fields is not None:
        return CredentialDetail(**fields, fields=info.fields)
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
    info = credentials.update_credential(
        request.principal, request.path_param("id"), changes, request.origin
    )
    return Response(200, _body(info))


def delete_credential(request: Request) -> Response:
    from a2n.services import credentials

    credentials.delete_credential(request.principal, request.path_param("id"), request.origin)
    return Response.no_content()


# --- OpenAPI --------------------------------------------------------------------------------------

_TAGS = ("Credentials",)
_ID = "/credentials/{id}"

ROUTES: tuple[RouteDoc, ...] = (
    RouteDoc("POST", "/credentials", "Create a credential (data is encrypted, never returned)",
             CredentialIn, CredentialOut, status=201, tags=_TAGS, errors=(409,)),
    RouteDoc("GET", "/credentials", "List credentials (metadata only)",
             response_model=PageOf[CredentialOut], tags=_TAGS),
    RouteDoc("GET", _ID, "A credential's metadata and the names of its data fields",
             response_model=CredentialDetail, tags=_TAGS),
    RouteDoc("PUT", _ID, "Rename, replace data (fresh data key) or change expiry",
             CredentialReplace, CredentialOut, tags=_TAGS, errors=(409,)),
    RouteDoc("DELETE", _ID, "Delete a credential; nodes using it fail with 'credential not found'",
             status=204, tags=_TAGS),
)
