"""Composers of the account emails (mail-job kinds of ``a2n.services.mail``): each runs in the
mail-sender function's transaction, looks the account up again (a job says what happened, never
who may receive a secret), creates the single-use token the message carries and renders it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.db.models import User
    from a2n.mail.messages import Composer, Outgoing

# Mail-job kinds (the ``kind`` of a MailJob).
REGISTRATION = "registration"
VERIFICATION = "verification"
PASSWORD_RESET = "password_reset"  # noqa: S105 - a job kind
PASSWORD_CHANGED = "password_changed"  # noqa: S105 - a job kind
EMAIL_CHANGE = "email_change"
NEW_DEVICE = "new_device_login"
TWO_FACTOR_CHANGED = "two_factor_changed"


def app_link(page: str, token: str | None = None) -> str:
    """A link to one of the product's account pages (A2N_APP_BASE_URL), with its token if any."""
    from a2n.settings import get_settings

    settings = get_settings()
    base = (settings.app_base_url or settings.public_base_url).rstrip("/")
    return f"{base}/{page}" + (f"?token={token}" if token else "")


def compose_registration(session: Session, params: Mapping[str, str]) -> list[Outgoing]:
    """A registration: the verification email to a new account, or "someone tried to register with
    your address" to the owner of a known one (the route answered both the same)."""
    from a2n.db.repositories.identity import UserRepository
    from a2n.mail.messages import Outgoing
    from a2n.mail.templates import render

    user = UserRepository(session).get_by_email(params["email"])
    if user is None or not user.is_active:
        return []
    if params.get("created") == "true" and user.email_verified_at is None:
        return [_verification(session, user)]
    context = {"email": user.email, "link": app_link("forgot-password")}
    return [Outgoing(user.email, render("register_attempt", context))]


def compose_verification(session: Session, params: Mapping[str, str]) -> list[Outgoing]:
    """A new verification link for an account whose address is not verified yet (a resend)."""
    user = _user(session, params)
    if user is None or user.email_verified_at is not None:
        return []
    return [_verification(session, user)]


def compose_password_reset(session: Session, params: Mapping[str, str]) -> list[Outgoing]:
    """A reset link to the account of ``email`` (asked by its owner), or of ``userId`` (forced by a
    platform admin); nothing for an unknown or deactivated address."""
    from a2n.db.repositories.identity import UserRepository
    from a2n.mail.messages import Outgoing
    from a2n.mail.templates import render
    from a2n.services.account_tokens import LIFETIMES, TokenPurpose, issue_token

    users = UserRepository(session)
    user = users.get_by_email(params["email"]) if "email" in params else _user(session, params)
    if user is None or not user.is_active:
        return []
    token = issue_token(session, TokenPurpose.PASSWORD_RESET, user_id=user.id, now=_now(), email=user.email)
    minutes = int(LIFETIMES[TokenPurpose.PASSWORD_RESET].total_seconds() // 60)
    reason = (
        "An administrator of this service asked you to choose a new password."
        if params.get("forced") == "true"
        else "Someone (hopefully you) asked to reset the password of your account."
    )
    context = {"name": _name(user), "minutes": str(minutes), "link": app_link("reset-password", token),
               "reason": reason}  # fmt: skip
    return [Outgoing(user.email, render("password_reset", context))]


def compose_email_change(session: Session, params: Mapping[str, str]) -> list[Outgoing]:
    """A confirmation link to the new address and a notice to the current one. A new address that
    belongs to another account gets nothing (the request was answered like any other)."""
    from a2n.db.repositories.identity import UserRepository
    from a2n.mail.messages import Outgoing
    from a2n.mail.templates import render
    from a2n.services.account_tokens import LIFETIMES, TokenPurpose, issue_token

    user = _user(session, params)
    new_email = params["newEmail"]
    if user is None:
        return []
    notice = {"name": _name(user), "old_email": user.email, "new_email": new_email,
              "link": app_link("forgot-password")}  # fmt: skip
    sent = [Outgoing(user.email, render("email_changed_notice", notice))]
    if UserRepository(session).get_by_email(new_email) is None:
        token = issue_token(session, TokenPurpose.EMAIL_CHANGE, user_id=user.id, now=_now(), email=new_email)
        hours = int(LIFETIMES[TokenPurpose.EMAIL_CHANGE].total_seconds() // 3600)
        context = {"name": _name(user), "email": new_email, "hours": str(hours),
                   "link": app_link("confirm-email", token)}  # fmt: skip
        sent.insert(0, Outgoing(new_email, render("email_change_confirm", context)))
    return sent


def compose_security_notice(session: Session, params: Mapping[str, str]) -> list[Outgoing]:
    """Password changed, new-device sign-in or two-factor change: ``template`` and what happened."""
    from a2n.mail.messages import Outgoing
    from a2n.mail.templates import render

    user = _user(session, params)
    template = params["template"]
    if user is None or template not in {PASSWORD_CHANGED, NEW_DEVICE, TWO_FACTOR_CHANGED}:
        return []
    context = {
        "name": _name(user),
        "email": user.email,
        "when": params.get("when", _now().strftime("%Y-%m-%d %H:%M UTC")),
        "ip": params.get("ip") or "an unknown address",
        "user_agent": params.get("userAgent") or "unknown",
        "change": params.get("change", ""),
        "link": app_link("forgot-password"),
    }
    return [Outgoing(user.email, render(template, context))]


def composers() -> dict[str, Composer]:
    return {
        REGISTRATION: compose_registration,
        VERIFICATION: compose_verification,
        PASSWORD_RESET: compose_password_reset,
        EMAIL_CHANGE: compose_email_change,
        PASSWORD_CHANGED: compose_security_notice,
        NEW_DEVICE: compose_security_notice,
        TWO_FACTOR_CHANGED: compose_security_notice,
    }


def _verification(session: Session, user: User) -> Outgoing:
    from a2n.mail.messages import Outgoing
    from a2n.mail.templates import render
    from a2n.services.account_tokens import LIFETIMES, TokenPurpose, issue_token

    token = issue_token(session, TokenPurpose.VERIFY_EMAIL, user_id=user.id, now=_now(), email=user.email)
    hours = int(LIFETIMES[TokenPurpose.VERIFY_EMAIL].total_seconds() // 3600)
    context = {"name": _name(user), "email": user.email, "hours": str(hours),
               "link": app_link("verify-email", token)}  # fmt: skip
    return Outgoing(user.email, render("verify_email", context))


def _user(session: Session, params: Mapping[str, str]) -> User | None:
    from a2n.db.repositories.identity import UserRepository

    try:
        user = UserRepository(session).get(uuid.UUID(params["userId"]))
    except (KeyError, ValueError):
        return None
    return user if user is not None and user.is_active else None


def _name(user: User) -> str:
    return user.name or user.email.split("@", 1)[0]


def _now() -> datetime:
    return datetime.now(UTC)
