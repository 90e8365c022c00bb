"""Sign-up and sign-in: register (which never tells whether an email is known, and emails either a
verification link or a "someone tried to register" notice), login (with lockout, and a second step
when two-factor authentication is on), refresh-token rotation, logout, ``/me``.

Every use case is one transaction; failures that must be remembered (a failed login, a reused
refresh token revoking its family) are committed before the error is raised.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, NoReturn

from a2n.errors import Forbidden, Locked, Unauthorized

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.auth.principal import Principal
    from a2n.db.models import LoginThrottle, User
    from a2n.db.uow import UnitOfWork
    from a2n.services.audit import Origin
    from a2n.services.mail import MailJob

INVALID_CREDENTIALS = "Invalid email or password"
INVALID_REFRESH = "Invalid refresh token"
RESET_REQUIRED_MESSAGE = (
    "A password reset is required for this account: use the link emailed to you, or ask for a new one "
    "with POST /auth/password/forgot"
)
CHALLENGE_MAX_FAILURES = 5
LOCK_AFTER_FAILURES = 5
LOCK_BASE_S = 30
LOCK_MAX_S = 15 * 60


class LoginLocked(Locked):
    """429 while an account is locked; ``retry_after_s`` becomes the Retry-After header."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__("Too many failed sign-in attempts; try again later")
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class SignIn:
    """What a sign-in hands out: the user, a short-lived access token and a refresh token."""

    user: User
    access_token: str
    refresh_token: str
    expires_in: int


@dataclass(frozen=True)
class Challenge:
    """The answer to a correct password when two-factor authentication is on: a short-lived,
    single-use token to present with a code at ``POST /auth/login/2fa``."""

    token: str
    expires_in: int


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


@dataclass(frozen=True)
class MembershipView:
    id: uuid.UUID
    name: str
    role: str


@dataclass(frozen=True)
class MeView:
    user: User
    workspaces: list[MembershipView]
    personal_workspace_id: uuid.UUID | None


def register(email: str, password: str, name: str | None, *, origin: Origin | None = None) -> None:
    """Create the user and its personal workspace (OWNER), all or nothing — unless the email is taken,
    in which case nothing changes. The caller cannot tell which (issue 9.4): the route answers the
    same 202 either way, the same password hash is computed and the same rate counters and mail job
    are written either way; the mail-sender then emails a new account its verification link and the
    owner of a known address a "someone tried to register" notice."""
    from a2n.auth.passwords import hash_password
    from a2n.db.models import User
    from a2n.db.repositories.identity import UserRepository
    from a2n.db.uow import UnitOfWork
    from a2n.errors import Conflict
    from a2n.services import account_mail
    from a2n.services.audit import Actor, record_audit
    from a2n.services.mail import MailJob, send_later
    from a2n.services.rate_limits import limit_mail
    from a2n.services.workspaces import add_owner, new_workspace

    with UnitOfWork() as uow:  # its own transaction: counted whatever the registration does
        limit_mail(uow.session, address=email, ip=origin.ip if origin else None)
        uow.commit()
    # Always, and first: the slow hash is the bulk of the work, so a taken email costs the same.
    password_hash = hash_password(password)
    created = False
    with UnitOfWork() as uow:
        # The insert itself decides (unique lower(email)): no read-then-write race between two
        # registrations of one address, and the same statements run until the conflict.
        workspace = new_workspace(uow.session, f"{name or email}'s workspace")
        try:
            user = UserRepository(uow.session).add(
                User(email=email, password_hash=password_hash, name=name, personal_workspace_id=workspace.id),
                conflict="Email already registered",
            )
        except Conflict:
            pass  # leaving the unit of work rolls the workspace back; the account is untouched
        else:
            add_owner(uow.session, workspace.id, user.id)
            record_audit(
                uow.session,
                workspace_id=workspace.id,
                actor=Actor("user", str(user.id), email),
                action="user.register",
                entity_type="user",
                entity_id=user.id,
                changes={"email": email},
                origin=origin,
            )
            uow.commit()
            created = True
    params = {"email": email, "created": "true" if created else "false"}
    send_later([MailJob(account_mail.REGISTRATION, params)])


def login(
    email: str, password: str, *, now: datetime | None = None, origin: Origin | None = None
) -> SignIn | Challenge:
    """A session for valid credentials, or a Challenge when the account has two-factor on. Unknown
    email and wrong password get the same 401 after the same hashing work; 5 failures in a row lock
    the email, account or not, for 30 s, doubling up to 15 min."""
    from a2n.auth.passwords import hash_password, needs_rehash, verify_password
    from a2n.db.repositories.identity import UserRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.security_events import LOGIN_FAILED, record_event

    now = now or datetime.now(UTC)
    with UnitOfWork() as uow:
        user = UserRepository(uow.session).get_by_email(email, lock=True)
        if user is None or not user.is_active:
            _fail_without_account(uow, email, password, now)
        if user.locked_until is not None and user.locked_until > now:
            raise LoginLocked(_seconds_until(user.locked_until, now))
        if not verify_password(user.password_hash, password):
            record_failed_attempt(user, now)
            record_event(uow.session, user.id, LOGIN_FAILED, origin)
            uow.commit()
            raise Unauthorized(INVALID_CREDENTIALS)
        if user.password_reset_required:
            raise Forbidden(RESET_REQUIRED_MESSAGE)
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        user.failed_logins, user.locked_until = 0, None
        if user.totp_enabled_at is not None:
            challenge = open_challenge(uow.session, user, origin, now)
            uow.commit()
            return challenge
        signed_in, jobs = finish_sign_in(uow.session, user, origin, now=now)
        uow.commit()
    send_after_sign_in(jobs)
    return signed_in


def login_second_step(challenge: str, code: str, *, origin: Origin | None = None) -> SignIn:
    """Finish a two-factor sign-in with the challenge and a TOTP or recovery code. Wrong codes count
    on the challenge (it dies after 5) and on the account (locked for 15 minutes after
    A2N_TWO_FACTOR_MAX_FAILURES, whatever the challenge): 401, then 429 with Retry-After."""
    from a2n.db.repositories.identity import UserRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.account_tokens import InvalidToken, TokenPurpose, find_live_token
    from a2n.services.rate_limits import clear_two_factor_failures
    from a2n.services.two_factor import (
        check_second_factor_allowed,
        count_second_factor_failure,
        second_factor_ok,
    )

    now = datetime.now(UTC)
    with UnitOfWork() as uow:
        row = find_live_token(uow.session, challenge, TokenPurpose.LOGIN_CHALLENGE, now=now, what="challenge")
        user = UserRepository(uow.session).get_locked(row.user_id) if row.user_id else None
        if user is None or not user.is_active or user.totp_enabled_at is None:
            raise InvalidToken("challenge")
        check_second_factor_allowed(uow.session, user.id)
        if not second_factor_ok(uow.session, user, code, now):
            row.failures += 1
            if row.failures >= CHALLENGE_MAX_FAILURES:
                row.used_at = now
            count_second_factor_failure(uow.session, user, origin)
            uow.commit()
            raise Unauthorized("The two-factor code is wrong")
        row.used_at = now
        clear_two_factor_failures(uow.session, user.id)
        method = str(row.details.get("method", "password"))
        signed_in, jobs = finish_sign_in(uow.session, user, origin, now=now, method=method, two_factor=True)
        uow.commit()
    send_after_sign_in(jobs)
    return signed_in


def finish_sign_in(
    session: Session,
    user: User,
    origin: Origin | None,
    *,
    now: datetime,
    method: str = "password",
    two_factor: bool = False,
) -> tuple[SignIn, list[MailJob]]:
    """A new session for ``user``, who proved who they are: its row, tokens, the audit entry and
    security event, and — from a device and address never seen before — a security event and the
    mail job of a "new sign-in" email (the caller queues it after commit)."""
    from a2n.db.repositories.accounts import SessionRepository
    from a2n.services import account_mail
    from a2n.services.mail import MailJob
    from a2n.services.security_events import LOGIN, NEW_DEVICE, record_event
    from a2n.services.sessions import start_session

    user.last_login_at = now
    row = start_session(session, user.id, origin, now=now, method=method, two_factor=two_factor)
    _audit_login(session, user, origin)
    details = {"sessionId": str(row.id), "method": method, "twoFactor": two_factor}
    record_event(session, user.id, LOGIN, origin, details)
    jobs: list[MailJob] = []
    if not SessionRepository(session).seen_before(user.id, row.ip, row.user_agent, excluding=row.id):
        record_event(session, user.id, NEW_DEVICE, origin, {"sessionId": str(row.id)})
        notice = {
            "userId": str(user.id),
            "template": account_mail.NEW_DEVICE,
            "when": now.strftime("%Y-%m-%d %H:%M UTC"),
            "ip": row.ip or "",
            "userAgent": row.user_agent or "",
        }
        jobs.append(MailJob(account_mail.NEW_DEVICE, notice))
    return _open_session(session, user, now=now, family_id=row.id, two_factor=two_factor), jobs


def refresh(refresh_token: str, *, now: datetime | None = None) -> TokenPair:
    """Rotate: the presented token is spent and a new one of the same family issued. A token
    already spent or revoked is a sign of theft: the whole family is revoked (SECURITY 18)."""
    from a2n.auth.tokens import hash_token
    from a2n.db.repositories.accounts import SessionRepository
    from a2n.db.repositories.identity import RefreshTokenRepository, UserRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.sessions import end_session

    now = now or datetime.now(UTC)
    with UnitOfWork() as uow:
        tokens = RefreshTokenRepository(uow.session)
        row = tokens.get_by_hash_locked(hash_token(refresh_token))
        if row is None:
            raise Unauthorized(INVALID_REFRESH)
        if row.revoked_at is not None:
            end_session(uow.session, row.family_id, now)
            uow.commit()
            raise Unauthorized(INVALID_REFRESH)
        user = UserRepository(uow.session).get(row.user_id)
        if row.expires_at <= now or user is None or not user.is_active:
            raise Unauthorized(INVALID_REFRESH)
        signed = SessionRepository(uow.session).get(row.family_id)
        if signed is not None:
            signed.last_seen_at = now
        two_factor = signed is not None and signed.two_factor
        session = _open_session(
            uow.session, user, now=now, family_id=row.family_id, replacing=row, two_factor=two_factor
        )
        uow.commit()
    return TokenPair(session.access_token, session.refresh_token, session.expires_in)


def logout(refresh_token: str, *, now: datetime | None = None) -> None:
    """End the token's session if the token is live: its family is revoked and its access tokens
    refused from the next request. An unknown or spent token is not an error (no oracle)."""
    from a2n.auth.tokens import hash_token
    from a2n.db.repositories.identity import RefreshTokenRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.sessions import end_session

    with UnitOfWork() as uow:
        row = RefreshTokenRepository(uow.session).get_by_hash_locked(hash_token(refresh_token))
        if row is not None and row.revoked_at is None:
            end_session(uow.session, row.family_id, now or datetime.now(UTC))
            uow.commit()


def me(principal: Principal) -> MeView:
    from a2n.auth.policy import Action
    from a2n.db.repositories.identity import UserRepository, WorkspaceRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.access import require

    with UnitOfWork() as uow:
        require(uow.session, principal, Action.USER_READ)
        user = UserRepository(uow.session).get(uuid.UUID(principal.user_id))
        if user is None:
            raise Unauthorized("Authentication required")
        memberships = WorkspaceRepository(uow.session).for_user(user.id)
        personal: uuid.UUID | None = user.personal_workspace_id
        if principal.is_api_key:  # a key sees only the workspace it is bound to
            memberships = [(w, r) for w, r in memberships if str(w.id) == principal.workspace_id]
            personal = personal if str(personal) == principal.workspace_id else None
        view = MeView(user, [MembershipView(w.id, w.name, r.value) for w, r in memberships], personal)
        uow.session.expunge(user)  # read-only: keep the loaded user usable after the rollback
    return view


def _open_session(
    session: Session,
    user: User,
    *,
    now: datetime | None = None,
    family_id: uuid.UUID | None = None,
    replacing: object = None,
    two_factor: bool = False,
) -> SignIn:
    """Issue an access token and store a new refresh token (rotating ``replacing`` if given)."""
    from a2n.auth.tokens import issue_access_token, new_refresh_token
    from a2n.db.models import RefreshToken
    from a2n.db.repositories.identity import RefreshTokenRepository
    from a2n.settings import get_settings

    now = now or datetime.now(UTC)
    plain, token_hash = new_refresh_token()
    family_id = family_id or uuid.uuid4()  # a new login session, or the one being refreshed
    row = RefreshTokenRepository(session).add(
        RefreshToken(
            token_hash=token_hash,
            user_id=user.id,
            family_id=family_id,
            expires_at=now + timedelta(seconds=get_settings().refresh_token_ttl_s),
        )
    )
    if isinstance(replacing, RefreshToken):
        replacing.revoked_at, replacing.replaced_by = now, row.id
    access, expires_in = issue_access_token(
        user_id=str(user.id), session_id=str(family_id), two_factor=two_factor
    )
    return SignIn(user=user, access_token=access, refresh_token=plain, expires_in=expires_in)


def _fail_without_account(uow: UnitOfWork, email: str, password: str, now: datetime) -> NoReturn:
    """An unknown (or deactivated) email counts failures and locks out exactly as an account does,
    through a row keyed by the email's hash: the answers, 401 then 429, reveal nothing (SECURITY 20)."""
    import hashlib

    from a2n.auth.passwords import dummy_verify
    from a2n.db.repositories.identity import LoginThrottleRepository

    throttle = LoginThrottleRepository(uow.session).get_locked(
        hashlib.sha256(email.strip().lower().encode()).hexdigest()
    )
    if throttle.locked_until is not None and throttle.locked_until > now:
        uow.commit()  # keeps the row a first failure created
        raise LoginLocked(_seconds_until(throttle.locked_until, now))
    dummy_verify(password)
    record_failed_attempt(throttle, now)
    throttle.updated_at = now
    uow.commit()
    raise Unauthorized(INVALID_CREDENTIALS)


def record_failed_attempt(counter: User | LoginThrottle, now: datetime) -> None:
    """One more wrong password; from the fifth in a row the email is locked, longer each time."""
    counter.failed_logins += 1
    over = counter.failed_logins - LOCK_AFTER_FAILURES
    if over >= 0:
        counter.locked_until = now + timedelta(seconds=min(LOCK_BASE_S * 2 ** min(over, 16), LOCK_MAX_S))


def open_challenge(
    session: Session, user: User, origin: Origin | None, now: datetime, *, method: str = "password"
) -> Challenge:
    """A sign-in's second step: a single-use challenge to present with a code."""
    from a2n.services.account_tokens import LIFETIMES, TokenPurpose, issue_token

    details = {"method": method, "ip": origin.ip if origin else None}
    token = issue_token(session, TokenPurpose.LOGIN_CHALLENGE, user_id=user.id, now=now, details=details)
    return Challenge(token, int(LIFETIMES[TokenPurpose.LOGIN_CHALLENGE].total_seconds()))


def send_after_sign_in(jobs: list[MailJob]) -> None:
    """A sign-in is done once committed: an email that cannot be queued is logged, never a failure."""
    from contextlib import suppress

    from a2n.services.mail import MailNotQueued, send_later

    with suppress(MailNotQueued):  # send_later logged it; the security event is in the feed anyway
        send_later(jobs)


def _seconds_until(at: datetime, now: datetime) -> int:
    return max(1, int((at - now).total_seconds() + 0.999))


def _audit_login(session: Session, user: User, origin: Origin | None) -> None:
    """In the user's own personal workspace only: the admins of a workspace they were added to have
    no business reading when and from where they sign in."""
    from a2n.services.audit import Actor, record_audit

    record_audit(
        session,
        workspace_id=user.personal_workspace_id,
        actor=Actor("user", str(user.id), user.email),
        action="user.login",
        entity_type="user",
        entity_id=user.id,
        origin=origin,
    )
