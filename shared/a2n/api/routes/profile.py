"""The account itself (issue 12): profile, export, deletion; and platform administration."""

from __future__ import annotations

import re
import uuid
from typing import Any

from pydantic import Field, field_validator

from a2n.api.http import Request, Response
from a2n.api.openapi import QueryParam, RouteDoc
from a2n.api.pagination import Page, encode_cursor, page_request
from a2n.api.routes.identity import MeOut
from a2n.api.schemas import PageOf, RequestBody, ResponseBody, UtcDatetime

_LOCALE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


class ProfilePatch(RequestBody):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    avatar_url: str | None = Field(default=None, max_length=2048)
    # BCP 47, e.g. "en", "pt-BR".
    locale: str | None = Field(default=None, max_length=35)
    # IANA, e.g. "Europe/Paris": the default timezone of new schedule triggers.
    timezone: str | None = Field(default=None, max_length=64)

    @field_validator("avatar_url")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https://[^\s/$.?#][^\s]*$", value):
            raise ValueError("must be an https:// URL")
        return value

    @field_validator("locale")
    @classmethod
    def _bcp47(cls, value: str | None) -> str | None:
        if value is not None and not _LOCALE.match(value):
            raise ValueError("must be a BCP 47 language tag, e.g. en or pt-BR")
        return value

    @field_validator("timezone")
    @classmethod
    def _iana(cls, value: str | None) -> str | None:
        from a2n.scheduling.timezones import is_valid_timezone

        if value is not None and not is_valid_timezone(value):
            raise ValueError("must be an IANA timezone, e.g. Europe/Paris")
        return value


class AccountDeletion(RequestBody):
    password: str = Field(min_length=1, max_length=1024)
    # Needed when two-factor is on: a current TOTP code or a recovery code.
    code: str | None = Field(default=None, min_length=6, max_length=32)


class AccountExport(ResponseBody):
    """Everything that is the user's own (see GET /me/export); never a secret."""

    exported_at: str
    format: str
    profile: dict[str, Any]
    workspaces: list[dict[str, Any]]
    sessions: list[dict[str, Any]]
    security_events: list[dict[str, Any]]
    identities: list[dict[str, Any]]
    api_keys: list[dict[str, Any]]
    workflows: list[dict[str, Any]]
    credentials: list[dict[str, Any]]
    audit_trail: list[dict[str, Any]]


class AdminUserOut(ResponseBody):
    id: uuid.UUID
    email: str
    name: str | None = None
    created_at: UtcDatetime
    is_active: bool
    email_verified: bool
    two_factor_enabled: bool
    is_platform_admin: bool
    password_reset_required: bool
    last_login_at: UtcDatetime | None = None


def update_profile(request: Request) -> Response:
    from a2n.api.routes.identity import get_me
    from a2n.services.profile import update_profile as update

    body = request.parse(ProfilePatch)
    update(request.principal, **body.model_dump(exclude_unset=True), origin=request.origin)
    return get_me(request)


def export_account(request: Request) -> Response:
    from a2n.services.profile import export_account as export

    return Response(200, AccountExport.model_validate(_snake(export(request.principal))))


def delete_account(request: Request) -> Response:
    from a2n.services.profile import delete_account as delete

    body = request.parse(AccountDeletion)
    delete(request.principal, body.password, body.code, origin=request.origin)
    return Response.no_content()


def list_users(request: Request) -> Response:
    from a2n.api.routes.identity import keyset_after
    from a2n.services.platform_admin import list_users as users

    page = page_request(request.query)
    query = request.query.get("q")
    found = users(request.principal, query=query, limit=page.limit, after=keyset_after(page))
    last = found.next_keyset()
    items = [_admin_view(user) for user in found.items]
    return Response(200, Page(items, encode_cursor(last.created_at, last.id) if last else None))


def deactivate_user(request: Request) -> Response:
    from a2n.services.platform_admin import set_active

    user = set_active(request.principal, request.path_param("id"), False, origin=request.origin)
    return Response(200, _admin_view(user))


def reactivate_user(request: Request) -> Response:
    from a2n.services.platform_admin import set_active

    user = set_active(request.principal, request.path_param("id"), True, origin=request.origin)
    return Response(200, _admin_view(user))


def force_password_reset(request: Request) -> Response:
    from a2n.services.platform_admin import force_password_reset as force

    force(request.principal, request.path_param("id"), origin=request.origin)
    return Response.no_content()


def _admin_view(user: Any) -> AdminUserOut:
    return AdminUserOut(
        id=user.id,
        email=user.email,
        name=user.name,
        created_at=user.created_at,
        is_active=user.is_active,
        email_verified=user.email_verified_at is not None,
        two_factor_enabled=user.totp_enabled_at is not None,
        is_platform_admin=user.is_platform_admin,
        password_reset_required=user.password_reset_required,
        last_login_at=user.last_login_at,
    )


def _snake(data: dict[str, Any]) -> dict[str, Any]:
    """Top-level camelCase keys of the export as the model's field names."""
    return {re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), key): value for key, value in data.items()}


_ME, _ADMIN = ("account",), ("admin",)
_PAGING = (QueryParam("limit", {"type": "integer", "minimum": 1, "maximum": 200}), QueryParam("cursor"))
ROUTES: tuple[RouteDoc, ...] = (
    RouteDoc("PATCH", "/me", "Change the profile: name, avatar URL, locale, timezone (new schedules' "
             "default); answers as GET /me", ProfilePatch, MeOut, tags=_ME),
    RouteDoc("GET", "/me/export", "Everything that is the caller's own, as JSON (GDPR Art. 20)",
             response_model=AccountExport, tags=_ME),
    RouteDoc("DELETE", "/me", "Delete the account (password, and a code with two-factor on)",
             AccountDeletion, status=204, tags=_ME, errors=(409, 429)),
    RouteDoc("GET", "/admin/users", "Platform admins: every account (?q= matches address or name)",
             response_model=PageOf[AdminUserOut], tags=_ADMIN,
             query=(*_PAGING, QueryParam("q", {"type": "string", "maxLength": 200}))),
    RouteDoc("POST", "/admin/users/{id}/deactivate",
             "Platform admins: deactivate an account (its sessions, tokens and keys stop at once)",
             response_model=AdminUserOut, tags=_ADMIN, errors=(409,)),
    RouteDoc("POST", "/admin/users/{id}/reactivate", "Platform admins: reactivate an account",
             response_model=AdminUserOut, tags=_ADMIN),
    RouteDoc("POST", "/admin/users/{id}/password-reset",
             "Platform admins: force a password reset (sessions end; a reset link is emailed)",
             status=204, tags=_ADMIN),
)  # fmt: skip
