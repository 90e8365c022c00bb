"""Public auth routes of API.md: register, login, refresh, logout.

Route functions parse the body, call one service function and shape the response.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from a2n.api.http import Request, Response
from a2n.api.openapi import RouteDoc
from a2n.api.schemas import RequestBody, ResponseBody, UtcDatetime

if TYPE_CHECKING:
    from a2n.services.auth import Challenge, SignIn

# argon2 hashes whatever it is given; a cap keeps a 1 MiB "password" from costing real CPU.
MAX_PASSWORD = 1024
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")


def _email_address(value: str) -> str:
    value = value.strip()
    if not _EMAIL.match(value):
        raise ValueError("must be an email address")
    return value


def _new_password(value: str) -> str:
    from a2n.auth.password_policy import password_problem

    problem = password_problem(value)
    if problem:
        raise ValueError(problem)
    return value


EmailField = Annotated[str, Field(max_length=254), AfterValidator(_email_address)]
# A password being set: at least 12 characters, not a commonly used one (a2n.auth.password_policy).
NewPassword = Annotated[str, Field(min_length=1, max_length=MAX_PASSWORD), AfterValidator(_new_password)]


class Credentials(RequestBody):
    email: EmailField
    password: str = Field(min_length=1, max_length=MAX_PASSWORD)


class Registration(RequestBody):
    email: EmailField
    password: NewPassword
    name: str | None = Field(default=None, min_length=1, max_length=200)

    @model_validator(mode="after")
    def _not_the_address(self) -> Registration:
        if self.password.strip().lower() == self.email.lower():
            raise ValueError("password: must not be your email address")
        return self


class SecondStep(RequestBody):
    challenge: str = Field(min_length=1, max_length=256)
    # A 6-digit TOTP code or a recovery code (xxxxx-xxxxx).
    code: str = Field(min_length=6, max_length=32)


REGISTRATION_ACCEPTED = (
    "Check your inbox: if this address could be registered, you can now sign in with it and this "
    "password (POST /auth/login) and an email with a link to verify it is on its way. For privacy "
    "this answer is the same whether or not the address was already registered."
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


class ChallengeOut(ResponseBody):
    """A correct password on an account with two-factor on: finish at POST /auth/login/2fa."""

    two_factor_required: Literal[True] = True
    challenge: str
    expires_in: int
    methods: list[str] = Field(default_factory=lambda: ["totp", "recovery_code"])


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
    return signed_in_response(login_user(body.email, body.password, origin=request.origin))


def signed_in_response(outcome: SignIn | Challenge) -> Response:
    """200 with tokens, or 202 with the two-factor challenge to finish at POST /auth/login/2fa."""
    from a2n.services.auth import Challenge

    if isinstance(outcome, Challenge):
        return Response(202, _challenge(outcome))
    return Response(200, _session(outcome))


def login_second_step(request: Request) -> Response:
    from a2n.services.auth import login_second_step as finish

    body = request.parse(SecondStep)
    return Response(200, _session(finish(body.challenge, body.code, origin=request.origin)))


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


def _challenge(challenge: Challenge) -> ChallengeOut:
    return ChallengeOut(challenge=challenge.token, expires_in=challenge.expires_in)


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
        errors=(429,),
    ),
    RouteDoc(
        "POST",
        "/auth/login",
        "Sign in (429 with Retry-After while locked); with two-factor on, 202 and a challenge to "
        "finish at POST /auth/login/2fa",
        Credentials,
        SessionOut,
        public=True,
        tags=_TAGS,
        errors=(401, 403, 429),
        also=((202, ChallengeOut),),
    ),
    RouteDoc(
        "POST",
        "/auth/login/2fa",
        "Finish a two-factor sign-in with the challenge and a TOTP or recovery code",
        SecondStep,
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
