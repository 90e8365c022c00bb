"""Single-use account tokens: sent by email (verify an address, reset a password, confirm a new
address) or handed out for a second step (a two-factor login challenge, confirming a provider link).

A token is 256 random bits shown once; only its SHA-256 is stored (a unique index finds it). The row
is read under a lock and stamped ``used_at`` in the same transaction, so it works once; an expired,
used or unknown token, or one of another purpose, is the same ``InvalidToken``. The stored hash is
compared again with ``compare_digest`` after the lookup: the lookup itself is on a hash an attacker
cannot steer, so its timing says nothing about the token.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from a2n.errors import BadRequest

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.db.models import AccountToken


class TokenPurpose(StrEnum):
    VERIFY_EMAIL = "verify_email"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a purpose
    EMAIL_CHANGE = "email_change"
    LOGIN_CHALLENGE = "login_challenge"
    IDENTITY_LINK = "identity_link"
    OIDC_STATE = "oidc_state"


LIFETIMES: dict[TokenPurpose, timedelta] = {
    TokenPurpose.VERIFY_EMAIL: timedelta(hours=24),
    TokenPurpose.PASSWORD_RESET: timedelta(minutes=30),
    TokenPurpose.EMAIL_CHANGE: timedelta(hours=24),
    TokenPurpose.LOGIN_CHALLENGE: timedelta(minutes=5),
    TokenPurpose.IDENTITY_LINK: timedelta(minutes=10),
    TokenPurpose.OIDC_STATE: timedelta(minutes=10),
}


class InvalidToken(BadRequest):
    """One answer for unknown, expired, used and wrong-purpose tokens."""

    def __init__(self, what: str = "link") -> None:
        super().__init__(f"This {what} is invalid, has expired or was already used; ask for a new one")


def issue_token(
    session: Session,
    purpose: TokenPurpose,
    *,
    user_id: uuid.UUID | None,
    now: datetime,
    email: str | None = None,
    details: dict[str, Any] | None = None,
) -> str:
    """Store a new token's hash and return the token (shown once: an email link or an answer)."""
    from a2n.auth.tokens import hash_token
    from a2n.db.repositories.accounts import AccountTokenRepository

    plain = secrets.token_urlsafe(32)
    AccountTokenRepository(session).add_token(
        user_id=user_id,
        purpose=purpose.value,
        token_hash=hash_token(plain),
        email=email,
        details=details or {},
        expires_at=now + LIFETIMES[purpose],
    )
    return plain


def redeem_token(
    session: Session, plain: str, purpose: TokenPurpose, *, now: datetime, what: str = "link"
) -> AccountToken:
    """The live token row, locked and stamped used; InvalidToken for anything else."""
    row = find_live_token(session, plain, purpose, now=now, what=what)
    row.used_at = now
    return row


def find_live_token(
    session: Session, plain: str, purpose: TokenPurpose, *, now: datetime, what: str = "link"
) -> AccountToken:
    """The live token row, locked (FOR UPDATE) but not used up: for second steps that may fail and
    count the failure on the token."""
    from a2n.auth.tokens import hash_token
    from a2n.db.repositories.accounts import AccountTokenRepository

    digest = hash_token(plain)
    row = AccountTokenRepository(session).get_by_hash_locked(digest)
    if (
        row is None
        or not secrets.compare_digest(row.token_hash, digest)
        or row.purpose != purpose.value
        or row.used_at is not None
        or row.expires_at <= now
    ):
        raise InvalidToken(what)
    return row
