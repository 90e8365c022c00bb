"""Account routes (issue 12): address verification, password recovery and change, address change,
sessions and the security feed.

Every route that sends email answers before the email exists (the mail-sender function composes and
sends it), and the public ones answer the same for known and unknown addresses.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import Field, StrictBool

from a2n.api.http import Request, Response
from a2n.api.openapi import QueryParam, RouteDoc
from a2n.api.pagination import Page, encode_cursor, page_request
from a2n.api.routes.auth import EmailField, NewPassword
from a2n.api.schemas import PageOf, RequestBody, ResponseBody, UtcDatetime

CHECK_YOUR_INBOX = (
    "If an account uses this address, an email is on its way. For privacy this answer is the same "
    "whether or not it does."
)


class Accepted(ResponseBody):
    """The uniform answer of a request whose outcome arrives by email."""

    status: Literal["accepted"] = "accepted"
    detail: str = CHECK_YOUR_INBOX


class TokenBody(RequestBody):
    token: str = Field(min_length=1, max_length=256)


class ForgotPassword(RequestBody):
    email: EmailField


class ResetPassword(TokenBody):
    password: NewPassword


class ChangePassword(RequestBody):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: NewPassword


class ChangeEmail(RequestBody):
    new_email: EmailField
    password: str = Field(min_length=1, max_length=1024)


class EmailOut(ResponseBody):
    email: str
    email_verified: bool = True


class LoginSessionOut(ResponseBody):
    id: uuid.UUID
    created_at: UtcDatetime
    last_seen_at: UtcDatetime
    ip: str | None = None
    user_agent: str | None = None
    method: str
    two_factor: bool
    # The session the request itself belongs to.
    current: bool = False


class TotpEnrolment(ResponseBody):
    """Shown once: add it to an authenticator app (scan the URI as a QR code), then confirm."""

    secret: str
    otpauth_uri: str


class CodeBody(RequestBody):
    code: str = Field(min_length=6, max_length=32)


class DisableTwoFactor(RequestBody):
    password: str = Field(min_length=1, max_length=1024)
    # A current TOTP code or a recovery code.
    code: str = Field(min_length=6, max_length=32)


class RecoveryCodesOut(ResponseBody):
    """Shown once: each works once in place of a code when the authenticator is lost."""

    recovery_codes: list[str]


class PoliciesIn(RequestBody):
    # Strict: 0 or "true" is a 422, not a policy silently switched (the fuzzer sent 0).
    require_verified_email: StrictBool | None = None
    require_two_factor: StrictBool | None = None
    viewers_may_comment: StrictBool | None = None


class PoliciesOut(ResponseBody):
    require_verified_email: bool
    require_two_factor: bool
    viewers_may_comment: bool


class SecurityEventOut(ResponseBody):
    id: uuid.UUID
    type: str
    created_at: UtcDatetime
    ip: str | None = None
    user_agent: str | None = None
    details: dict[str, Any]


def verify_email(request: Request) -> Response:
    from a2n.services.verification import verify_email as verify

    verify(request.parse(TokenBody).token, origin=request.origin)
    return Response.no_content()


def resend_verification(request: Request) -> Response:
    from a2n.services.verification import resend_verification as resend

    resend(request.principal, origin=request.origin)
    return Response(202, Accepted(detail="A new verification link is on its way."))


def forgot_password(request: Request) -> Response:
    from a2n.services.passwords import forgot_password as forgot

    forgot(request.parse(ForgotPassword).email, origin=request.origin)
    return Response(202, Accepted())


def reset_password(request: Request) -> Response:
    from a2n.services.passwords import reset_password as reset

    body = request.parse(ResetPassword)
    reset(body.token, body.password, origin=request.origin)
    return Response.no_content()


def change_password(request: Request) -> Response:
    from a2n.services.passwords import change_password as change

    body = request.parse(ChangePassword)
    change(request.principal, body.current_password, body.new_password, origin=request.origin)
    return Response.no_content()


def change_email(request: Request) -> Response:
    from a2n.services.verification import request_email_change

    body = request.parse(ChangeEmail)
    request_email_change(request.principal, body.new_email, body.password, origin=request.origin)
    detail = "Confirm the change with the link sent to the new address; until then nothing changes."
    return Response(202, Accepted(detail=detail))


def confirm_email(request: Request) -> Response:
    from a2n.services.verification import confirm_email_change

    email = confirm_email_change(request.parse(TokenBody).token, origin=request.origin)
    return Response(200, EmailOut(email=email))


def enrol_totp(request: Request) -> Response:
    from a2n.services.two_factor import begin_enrolment

    enrolment = begin_enrolment(request.principal, origin=request.origin)
    return Response(201, TotpEnrolment(secret=enrolment.secret, otpauth_uri=enrolment.otpauth_uri))


def confirm_totp(request: Request) -> Response:
    from a2n.services.two_factor import confirm_enrolment

    codes = confirm_enrolment(request.principal, request.parse(CodeBody).code, origin=request.origin)
    return Response(200, RecoveryCodesOut(recovery_codes=codes))


def disable_totp(request: Request) -> Response:
    from a2n.services.two_factor import disable

    body = request.parse(DisableTwoFactor)
    disable(request.principal, body.password, body.code, origin=request.origin)
    return Response.no_content()


def set_workspace_policies(request: Request) -> Response:
    from a2n.services.workspaces import set_policies

    body = request.parse(PoliciesIn)
    policies = set_policies(
        request.principal,
        request.path_param("id"),
        require_verified_email=body.require_verified_email,
        require_two_factor=body.require_two_factor,
        viewers_may_comment=body.viewers_may_comment,
        origin=request.origin,
    )
    return Response(200, PoliciesOut.model_validate(policies))


def list_sessions(request: Request) -> Response:
    from a2n.api.routes.identity import keyset_after
    from a2n.services.sessions import list_sessions as sessions

    page = page_request(request.query)
    found = sessions(request.principal, limit=page.limit, after=keyset_after(page))
    items = [
        LoginSessionOut.model_validate(row).model_copy(update={"current": row.id == found.current})
        for row in found.page.items
    ]
    last = found.page.next_keyset()
    return Response(200, Page(items, encode_cursor(last.created_at, last.id) if last else None))


def revoke_session(request: Request) -> Response:
    from a2n.services.sessions import revoke_session as revoke

    revoke(request.principal, request.path_param("id"), origin=request.origin)
    return Response.no_content()


def sign_out_everywhere(request: Request) -> Response:
    from a2n.services.sessions import sign_out_everywhere as everywhere

    everywhere(request.principal, origin=request.origin)
    return Response.no_content()


def list_security_events(request: Request) -> Response:
    from a2n.api.routes.identity import keyset_after
    from a2n.services.security_events import list_events

    page = page_request(request.query)
    found = list_events(request.principal, limit=page.limit, after=keyset_after(page))
    last = found.next_keyset()
    items = [SecurityEventOut.model_validate(row) for row in found.items]
    return Response(200, Page(items, encode_cursor(last.created_at, last.id) if last else None))


_AUTH, _ME = ("auth",), ("account",)
_PAGING = (QueryParam("limit", {"type": "integer", "minimum": 1, "maximum": 200}), QueryParam("cursor"))
ROUTES: tuple[RouteDoc, ...] = (
    RouteDoc("POST", "/auth/verify-email", "Verify the account's address with its emailed token",
             TokenBody, status=204, public=True, tags=_AUTH),
    RouteDoc("POST", "/auth/password/forgot",
             "Email a password-reset link (the answer is the same for every address)",
             ForgotPassword, Accepted, status=202, public=True, tags=_AUTH, errors=(429,)),
    RouteDoc("POST", "/auth/password/reset",
             "Set a new password with an emailed reset token; signs out every session",
             ResetPassword, status=204, public=True, tags=_AUTH),
    RouteDoc("POST", "/auth/email/confirm", "Confirm a new email address with its emailed token",
             TokenBody, EmailOut, public=True, tags=_AUTH, errors=(409,)),
    RouteDoc("POST", "/me/email/verification", "Email a new verification link for the account's address",
             response_model=Accepted, status=202, tags=_ME, errors=(409, 429)),
    RouteDoc("POST", "/me/password", "Change the password (needs the current one); signs out other sessions",
             ChangePassword, status=204, tags=_ME, errors=(429,)),
    RouteDoc("POST", "/me/email", "Change the email address: confirmed by a link sent to the new one",
             ChangeEmail, Accepted, status=202, tags=_ME, errors=(409, 429)),
    RouteDoc("POST", "/me/2fa/totp", "Start TOTP enrolment: the secret and its otpauth:// URI, shown once",
             response_model=TotpEnrolment, status=201, tags=_ME, errors=(409,)),
    RouteDoc("POST", "/me/2fa/totp/confirm",
             "Turn two-factor on with a first code; answers the 10 recovery codes, shown once",
             CodeBody, RecoveryCodesOut, tags=_ME, errors=(409,)),
    RouteDoc("POST", "/me/2fa/totp/disable", "Turn two-factor off (password and a code)",
             DisableTwoFactor, status=204, tags=_ME, errors=(409, 429)),
    RouteDoc("GET", "/me/sessions", "The caller's signed-in sessions", response_model=PageOf[LoginSessionOut],
             tags=_ME, query=_PAGING),
    RouteDoc("DELETE", "/me/sessions/{id}", "Sign one session out; its access tokens stop at once",
             status=204, tags=_ME),
    RouteDoc("DELETE", "/me/sessions", "Sign out everywhere, this session included", status=204, tags=_ME),
    RouteDoc("PATCH", "/workspaces/{id}/policies",
             "ADMIN+: require members to verify their address (to run workflows and create API keys) or to "
             "sign in with two-factor (to act in the workspace at all)",
             PoliciesIn, PoliciesOut, tags=("workspaces",), errors=(409,)),
    RouteDoc("GET", "/me/security-events", "The caller's security events, newest first",
             response_model=PageOf[SecurityEventOut], tags=_ME, query=_PAGING),
)  # fmt: skip
