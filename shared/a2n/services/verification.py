"""Email addresses: verifying the account's address with its emailed link, asking for a new link,
and changing the address — which takes effect only once the new address confirms it, while the
current one is told. Links are single-use account tokens (``a2n.services.account_tokens``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from a2n.errors import Conflict, Forbidden
from a2n.services.access import own_account

if TYPE_CHECKING:
    from a2n.auth.principal import Principal
    from a2n.services.audit import Origin


def verify_email(token: str, *, origin: Origin | None = None) -> None:
    """Mark the account's address verified; the link must be for the address the account has now."""
    from a2n.db.repositories.identity import UserRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.account_tokens import InvalidToken, TokenPurpose, redeem_token
    from a2n.services.security_events import EMAIL_VERIFIED, record_event

    now = datetime.now(UTC)
    with UnitOfWork() as uow:
        row = redeem_token(uow.session, token, TokenPurpose.VERIFY_EMAIL, now=now)
        user = UserRepository(uow.session).get(row.user_id) if row.user_id else None
        if user is None or (row.email or "").lower() != user.email.lower():
            raise InvalidToken()
        if user.email_verified_at is None:
            user.email_verified_at = now
            record_event(uow.session, user.id, EMAIL_VERIFIED, origin, {"email": user.email})
        uow.commit()


def resend_verification(principal: Principal, *, origin: Origin | None = None) -> None:
    """Queue a new verification link for the caller's unverified address (rate-limited)."""
    from a2n.db.uow import UnitOfWork
    from a2n.services import account_mail
    from a2n.services.mail import MailJob, send_later
    from a2n.services.rate_limits import limit_mail

    with UnitOfWork() as uow:
        user = own_account(uow.session, principal)
        if user.email_verified_at is not None:
            raise Conflict("This email address is already verified")
        limit_mail(uow.session, address=user.email, ip=origin.ip if origin else None)
        uow.commit()
        user_id = user.id
    send_later([MailJob(account_mail.VERIFICATION, {"userId": str(user_id)})])


def request_email_change(
    principal: Principal, new_email: str, password: str, *, origin: Origin | None = None
) -> None:
    """Ask to move the account to ``new_email``: needs the password; the new address gets a link to
    confirm, the current one a notice. The answer is the same whether or not the new address is
    taken (the mail-sender sends it no link then); both addresses are rate-limited."""
    from a2n.auth.passwords import verify_password
    from a2n.db.uow import UnitOfWork
    from a2n.services import account_mail
    from a2n.services.mail import MailJob, send_later
    from a2n.services.rate_limits import limit_mail

    with UnitOfWork() as uow:
        user = own_account(uow.session, principal)
        if not verify_password(user.password_hash, password):
            raise Forbidden("The password is wrong")
        if new_email.strip().lower() == user.email.lower():
            raise Conflict("That is already the account's address")
        ip = origin.ip if origin else None
        limit_mail(uow.session, address=new_email, ip=ip)
        limit_mail(uow.session, address=user.email, ip=None)
        uow.commit()
        user_id = user.id
    send_later([MailJob(account_mail.EMAIL_CHANGE, {"userId": str(user_id), "newEmail": new_email})])


def confirm_email_change(token: str, *, origin: Origin | None = None) -> str:
    """Apply a confirmed address change; returns the new address. 409 if it was taken meanwhile."""
    from a2n.db.repositories.accounts import AccountTokenRepository
    from a2n.db.repositories.identity import UserRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.account_tokens import InvalidToken, TokenPurpose, redeem_token
    from a2n.services.security_events import EMAIL_CHANGED, record_event

    now = datetime.now(UTC)
    with UnitOfWork() as uow:
        row = redeem_token(uow.session, token, TokenPurpose.EMAIL_CHANGE, now=now)
        users = UserRepository(uow.session)
        user = users.get(row.user_id) if row.user_id else None
        if user is None or not user.is_active or not row.email:
            raise InvalidToken()
        taken = users.get_by_email(row.email)
        if taken is not None and taken.id != user.id:
            raise Conflict("That address now belongs to another account")
        old = user.email
        user.email, user.email_verified_at = row.email, now
        AccountTokenRepository(uow.session).use_all(user.id, TokenPurpose.VERIFY_EMAIL.value, now)
        record_event(uow.session, user.id, EMAIL_CHANGED, origin, {"from": old, "to": row.email})
        uow.session.flush()  # the unique lower(email) index decides a race here
        uow.commit()
        return row.email
