"""Public auth routes of API.md: register, login, refresh, logout.

Route functions parse the body, call one service function and shape the response.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator

from a2n.api.http import Request, Response
from a2n.api.openapi import RouteDoc
from a2n.api.schemas import RequestBody, ResponseBody, UtcDatetime

if TYPE_CHECKING:
    from a2n.services.auth import SignIn

MIN_PASSWORD = 10
# argon2 hashes whatever it is given; a cap keeps a 1 MiB "password" from costing real CPU.
MAX_PASSWORD = 1024
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")


class Credentials(RequestBody):
    email: str = Field(max_length=254)
    password: str = Field(min_length=1, max_length=MAX_PASSWORD)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        value = value.strip()
        if not _EMAIL.match(value):
            raise ValueError("must be an email address")
        return value


class Registration(Credentials):
    password: str = Field(min_length=MIN_PASSWORD, max_length=MAX_PASSWORD)
    name: str | None = Field(default=None, min_length=1, max_length=200)


REGISTRATION_ACCEPTED = (
    "If this address can be registered, you can now sign in with it and this password "
    "(POST /auth/login). For privacy this answer is the same whether or not the address was "
    "already registered."
)


class RegistrationAccepted(ResponseBody):
    """The uniform answer to every well-formed registration: it never says whether the email exists."""

    status: Literal["pending"] = "pending"
    detail: str = REGISTRATION_ACCEPTED


class RefreshRequest(RequestBody):
    refresh_token: str = Field(min_length=1, max_length=512)


class UserOut(ResponseBody):
    id: uuid.UUID
    email: str
    name: str | None = None
    created_at: UtcDatetime


class TokensOut(ResponseBody):
    access_token: str
    refresh_token: str
    expires_in: int


class SessionOut(TokensOut):
    user: UserOut


def register(request: Request) -> Response:
    from a2n.services.auth import register as register_user

    body = request.parse(Registration)
    register_user(body.email, body.password, body.name, origin=request.origin)
    # One answer whether or not the address was already registered (issue 9.4).
    return Response(202, RegistrationAccepted())


def login(request: Request) -> Response:
    from a2n.services.auth import login as login_user

    body = request.parse(Credentials)
    # A lock (LoginLocked) is a 429 whose Retry-After the problem response carries.
    signed_in = login_user(body.email, body.password, origin=request.origin)
    return Response(200, _session(signed_in))


def refresh(request: Request) -> Response:
    from a2n.services.auth import refresh as rotate

    pair = rotate(request.parse(RefreshRequest).refresh_token)
    return Response(
        200,
        TokensOut(
            access_token=pair.access_token, refresh_token=pair.refresh_token, expires_in=pair.expires_in
        ),
    )


def logout(request: Request) -> Response:
    from a2n.services.auth import logout as revoke

    revoke(request.parse(RefreshRequest).refresh_token)
    return Response.no_content()


def _session(signed_in: SignIn) -> SessionOut:
    return SessionOut(
        user=UserOut.model_validate(signed_in.user),
        access_token=signed_in.access_token,
        refresh_token=signed_in.refresh_token,
        expires_in=signed_in.expires_in,
    )




_TAGS = ("auth",)
ROUTES: tuple[RouteDoc, ...] = (
    RouteDoc(
        "POST",
        "/auth/register",
        "Create an account and its personal workspace, then sign in with POST /auth/login; the answer "
        "is the same whether or not the email was already registered",
        Registration,
        RegistrationAccepted,
        status=202,
        public=True,
        tags=_TAGS,
    ),
    RouteDoc(
        "POST",
        "/auth/login",
        "Sign in (429 with Retry-After while locked)",
        Credentials,
        SessionOut,
        public=True,
        tags=_TAGS,
        errors=(401, 429),
    ),
    RouteDoc(
        "POST",
        "/auth/refresh",
        "Rotate a refresh token for new tokens",
        RefreshRequest,
        TokensOut,
        public=True,
        tags=_TAGS,
        errors=(401,),
    ),
    RouteDoc(
        "POST",
        "/auth/logout",
        "Revoke a refresh token",
        RefreshRequest,
        None,
        status=204,
        public=True,
        tags=_TAGS,
    ),
)
