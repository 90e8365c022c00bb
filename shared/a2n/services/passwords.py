"""Password recovery and change: ``forgot`` (always 202: no account oracle), ``reset`` with a
single-use 30-minute emailed token (signs out everywhere), ``change`` with the current password
(signs out every other session). Each ends with an email to the account and a security event."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from a2n.errors import Forbidden

if TYPE_CHECKING:
    from a2n.auth.principal import Principal
    from a2n.services.audit import Origin


def forgot_password(email: str, *, origin: Origin | None = None) -> None:
    """Queue a reset email for ``email``. The same statements run and the same job is queued whether
    or not an account exists (the mail-sender looks it up); per-address and per-IP limits apply."""
    from a2n.db.uow import UnitOfWork
    from a2n.services import account_mail
    from a2n.services.mail import MailJob, send_later
    from a2n.services.rate_limits import limit_mail

    with UnitOfWork() as uow:
        limit_mail(uow.session, address=email, ip=origin.ip if origin else None)
        uow.commit()
    send_later([MailJob(account_mail.PASSWORD_RESET, {"email": email})])


def reset_password(token: str, new_password: str, *, origin: Origin | None = None) -> None:
    """Set a new password with an emailed reset token: every reset token of the account is spent,
    every session and refresh family revoked (their access tokens refused at once), the lockout
    cleared, and the address counts as verified (the link proved the inbox)."""
    from a2n.auth.passwords import hash_password
    from a2n.db.repositories.accounts import AccountTokenRepository
    from a2n.db.repositories.identity import UserRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.account_tokens import InvalidToken, TokenPurpose, redeem_token
    from a2n.services.security_events import PASSWORD_RESET, record_event
    from a2n.services.sessions import end_all_sessions

    password_hash = hash_password(new_password)
    now = datetime.now(UTC)
    with UnitOfWork() as uow:
        row = redeem_token(uow.session, token, TokenPurpose.PASSWORD_RESET, now=now)
        user = UserRepository(uow.session).get(row.user_id) if row.user_id else None
        if user is None or not user.is_active or (row.email or "").lower() != user.email.lower():
            raise InvalidToken()
        AccountTokenRepository(uow.session).use_all(user.id, TokenPurpose.PASSWORD_RESET.value, now)
        user.password_hash, user.password_changed_at = password_hash, now
        user.failed_logins, user.locked_until, user.password_reset_required = 0, None, False
        user.email_verified_at = user.email_verified_at or now
        end_all_sessions(uow.session, user.id, now)
        record_event(uow.session, user.id, PASSWORD_RESET, origin)
        uow.commit()
    _notify_changed(user.id, origin, now)


def change_password(
    principal: Principal, current: str, new_password: str, *, origin: Origin | None = None
) -> None:
    """Change the password of a signed-in user who proves the current one. Other sessions are signed
    out (this one stays); a wrong current password counts toward the sign-in lockout."""
    from a2n.auth.passwords import hash_password, verify_password
    from a2n.auth.policy import Action, authorize
    from a2n.db.uow import UnitOfWork
    from a2n.services.access import own_account
    from a2n.services.auth import LoginLocked, record_failed_attempt
    from a2n.services.security_events import PASSWORD_CHANGED, record_event
    from a2n.services.sessions import end_all_sessions

    authorize(principal, None, Action.ACCOUNT_MANAGE)  # before the slow hash
    password_hash = hash_password(new_password)
    now = datetime.now(UTC)
    with UnitOfWork() as uow:
        user = own_account(uow.session, principal, lock=True)
        if user.locked_until is not None and user.locked_until > now:
            raise LoginLocked(max(1, int((user.locked_until - now).total_seconds() + 0.999)))
        if not verify_password(user.password_hash, current):
            record_failed_attempt(user, now)
            uow.commit()
            raise Forbidden("The current password is wrong")
        user.password_hash, user.password_changed_at, user.failed_logins = password_hash, now, 0
        keep = uuid.UUID(principal.session_id) if principal.session_id else None
        end_all_sessions(uow.session, user.id, now, keep=keep)
        record_event(uow.session, user.id, PASSWORD_CHANGED, origin)
        uow.commit()
    _notify_changed(user.id, origin, now)


def _notify_changed(user_id: uuid.UUID, origin: Origin | None, now: datetime) -> None:
    from a2n.services import account_mail
    from a2n.services.mail import MailJob, send_later

    params = {
        "userId": str(user_id),
        "template": account_mail.PASSWORD_CHANGED,
        "when": now.strftime("%Y-%m-%d %H:%M UTC"),
        "ip": (origin.ip if origin else None) or "",
    }
    send_later([MailJob(account_mail.PASSWORD_CHANGED, params)])
