"""Two-factor authentication with TOTP (RFC 6238, ``pyotp``): enrol (the secret shown once, with its
``otpauth://`` URI), confirm with a first code (then 10 single-use recovery codes, stored hashed),
disable with password and code. Secrets are sealed with the credential envelope (AES-256-GCM under a
KMS or local data key, bound to the user by AAD). A code is accepted once: the time step it matched
is remembered, so a code seen over a shoulder cannot be replayed within its 30 seconds.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from a2n.errors import Conflict, Forbidden
from a2n.services.access import own_account

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.auth.principal import Principal
    from a2n.db.models import User
    from a2n.services.audit import Origin

ISSUER = "A2N"
RECOVERY_CODES = 10
_PURPOSE = "totp"
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read from paper


@dataclass(frozen=True)
class Enrolment:
    secret: str = field(repr=False)
    otpauth_uri: str = field(repr=False)


def begin_enrolment(principal: Principal, *, origin: Origin | None = None) -> Enrolment:
    """A new secret for the caller, pending until confirmed (a second call replaces it)."""
    import pyotp

    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        user = own_account(uow.session, principal, lock=True)
        if user.totp_enabled_at is not None:
            raise Conflict("Two-factor authentication is already on; disable it first to enrol again")
        secret = pyotp.random_base32()
        user.totp_secret_encrypted = _seal(secret, user.id)
        user.totp_last_step = None
        uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
        uow.commit()
    return Enrolment(secret=secret, otpauth_uri=uri)


def confirm_enrolment(principal: Principal, code: str, *, origin: Origin | None = None) -> list[str]:
    """Turn two-factor on with a first valid code; returns the recovery codes (shown only here)."""
    from a2n.db.repositories.accounts import RecoveryCodeRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.security_events import TWO_FACTOR_ENABLED, record_event

    now = datetime.now(UTC)
    with UnitOfWork() as uow:
        user = own_account(uow.session, principal, lock=True)
        if user.totp_enabled_at is not None:
            raise Conflict("Two-factor authentication is already on")
        if user.totp_secret_encrypted is None:
            raise Conflict("Start the enrolment first (POST /me/2fa/totp)")
        if not _accept_code(user, code, now):
            raise Forbidden("That code is not valid; use the current code from your authenticator app")
        codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
        RecoveryCodeRepository(uow.session).replace(user.id, [hash_recovery_code(c) for c in codes])
        user.totp_enabled_at = now
        record_event(uow.session, user.id, TWO_FACTOR_ENABLED, origin)
        uow.commit()
        user_id = user.id
    _notify(user_id, "enabled", origin, now)
    return codes


def disable(principal: Principal, password: str, code: str, *, origin: Origin | None = None) -> None:
    """Turn two-factor off: needs the password and a current code (or a recovery code)."""
    from a2n.auth.passwords import verify_password
    from a2n.db.repositories.accounts import RecoveryCodeRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.security_events import TWO_FACTOR_DISABLED, record_event

    now = datetime.now(UTC)
    with UnitOfWork() as uow:
        user = own_account(uow.session, principal, lock=True)
        if user.totp_enabled_at is None:
            raise Conflict("Two-factor authentication is not on")
        check_second_factor_allowed(uow.session, user.id)
        if not (
            verify_password(user.password_hash, password) and second_factor_ok(uow.session, user, code, now)
        ):
            count_second_factor_failure(uow.session, user, origin)
            uow.commit()
            raise Forbidden("The password or the code is wrong")
        user.totp_secret_encrypted = user.totp_enabled_at = user.totp_last_step = None
        RecoveryCodeRepository(uow.session).drop_all(user.id)
        record_event(uow.session, user.id, TWO_FACTOR_DISABLED, origin)
        uow.commit()
        user_id = user.id
    _notify(user_id, "disabled", origin, now)


def second_factor_ok(session: Session, user: User, code: str, now: datetime) -> bool:
    """A current TOTP code (not used before) or an unused recovery code of ``user`` (spent here)."""
    from a2n.db.repositories.accounts import RecoveryCodeRepository
    from a2n.services.security_events import RECOVERY_CODE_USED, record_event

    cleaned = code.strip().replace(" ", "")
    if cleaned.isdigit() and len(cleaned) == 6:
        return _accept_code(user, cleaned, now)
    if RecoveryCodeRepository(session).use(user.id, hash_recovery_code(cleaned), now):
        record_event(session, user.id, RECOVERY_CODE_USED)
        return True
    return False


def check_second_factor_allowed(session: Session, user_id: uuid.UUID) -> None:
    """429 while the account's second step is locked after too many wrong codes."""
    from a2n.services.rate_limits import check_two_factor_lock

    check_two_factor_lock(session, user_id)


def count_second_factor_failure(session: Session, user: User, origin: Origin | None) -> None:
    from a2n.services.rate_limits import count_two_factor_failure
    from a2n.services.security_events import TWO_FACTOR_FAILED, record_event

    count_two_factor_failure(session, user.id)
    record_event(session, user.id, TWO_FACTOR_FAILED, origin)


def hash_recovery_code(code: str) -> str:
    """SHA-256 of the normalised code (50 random bits each, single-use, counted by the 2FA lockout)."""
    normalised = code.strip().lower().replace("-", "").replace(" ", "")
    return hashlib.sha256(f"a2n-recovery:{normalised}".encode()).hexdigest()


def _accept_code(user: User, code: str, now: datetime) -> bool:
    """True for a code of the current step or either neighbour (clock drift), newer than the last
    accepted one; that step becomes the last accepted."""
    import pyotp

    if user.totp_secret_encrypted is None or not (code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(_open(user.totp_secret_encrypted, user.id))
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if user.totp_last_step is not None and step <= user.totp_last_step:
            continue
        if secrets.compare_digest(totp.generate_otp(step), code):
            user.totp_last_step = step
            return True
    return False


def _recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def _seal(secret: str, user_id: uuid.UUID) -> bytes:
    from a2n.crypto.envelope import encrypt_secret, pack_blob

    return pack_blob(encrypt_secret(secret.encode(), purpose=_PURPOSE, owner_id=str(user_id)))


def _open(sealed: bytes, user_id: uuid.UUID) -> str:
    from a2n.crypto.envelope import decrypt_secret, unpack_blob

    return decrypt_secret(unpack_blob(sealed), purpose=_PURPOSE, owner_id=str(user_id)).decode()


def _notify(user_id: uuid.UUID, change: str, origin: Origin | None, now: datetime) -> None:
    from a2n.services import account_mail
    from a2n.services.mail import MailJob, send_later

    params = {
        "userId": str(user_id),
        "template": account_mail.TWO_FACTOR_CHANGED,
        "change": change,
        "when": now.strftime("%Y-%m-%d %H:%M UTC"),
        "ip": (origin.ip if origin else None) or "",
    }
    send_later([MailJob(account_mail.TWO_FACTOR_CHANGED, params)])
