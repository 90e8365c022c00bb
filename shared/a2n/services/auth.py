"""Sign-up and sessions: register (which never tells whether an email is known), login (with
lockout), refresh-token rotation, logout, ``/me``.

Every use case is one transaction; failures that must be remembered (a failed login, a reused
refresh token revoking its family) are committed before the error is raised.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, NoReturn

from a2n.errors import Locked, Unauthorized

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.auth.principal import Principal
    from a2n.db.models import LoginThrottle, User
    from a2n.db.uow import UnitOfWork
    from a2n.services.audit import Origin

INVALID_CREDENTIALS = "Invalid email or password"
INVALID_REFRESH = "Invalid refresh token"
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
    in which case nothing happens. The caller cannot tell which (issue 9.4): the route answers the
    same 202 either way, the same password hash is computed either way, and nothing is sent; the
    client signs in with ``login``."""
    from a2n.auth.passwords import hash_password
    from a2n.db.models import User
    from a2n.db.repositories.identity import UserRepository
    from a2n.db.uow import UnitOfWork
    from a2n.errors import Conflict
    from a2n.services.audit import Actor, record_audit
    from a2n.services.workspaces import add_owner, new_workspace

    # Always, and first: the slow hash is the bulk of the work, so a taken email costs the same.
    password_hash = hash_password(password)
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
            return  # leaving the unit of work rolls the workspace back; the account is untouched
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


def login(email: str, password: str, *, now: datetime | None = None, origin: Origin | None = None) -> SignIn:
    """A session for valid credentials. Unknown email and wrong password get the same 401 after the
    same hashing work; 5 failures in a row lock the email, account or not, for 30 s, doubling up to
    15 min."""
    from a2n.auth.passwords import hash_password, needs_rehash, verify_password
    from a2n.db.repositories.identity import UserRepository
    from a2n.db.uow import UnitOfWork

    now = now or datetime.now(UTC)
    with UnitOfWork() as uow:
        user = UserRepository(uow.session).get_by_email(email, lock=True)
        if user is None or not user.is_active:
            _fail_without_account(uow, email, password, now)
        if user.locked_until is not None and user.locked_until > now:
            raise LoginLocked(_seconds_until(user.locked_until, now))
        if not verify_password(user.password_hash, password):
            _record_failure(user, now)
            uow.commit()
            raise Unauthorized(INVALID_CREDENTIALS)
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
        _audit_login(uow.session, user, origin)
        session = _open_session(uow.session, user, now=now)
        uow.commit()
    return session


def refresh(refresh_token: str, *, now: datetime | None = None) -> TokenPair:
    """Rotate: the presented token is spent and a new one of the same family issued. A token
    already spent or revoked is a sign of theft: the whole family is revoked (SECURITY 18)."""
    from a2n.auth.tokens import hash_token
    from a2n.db.repositories.identity import RefreshTokenRepository, UserRepository
    from a2n.db.uow import UnitOfWork

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
        session = _open_session(uow.session, user, now=now, family_id=row.family_id, replacing=row)
        uow.commit()
    return TokenPair(session.access_token, session.refresh_token, session.expires_in)


def logout(refresh_token: str, *, now: datetime | None = None) -> None:
    """End the token's session if the token is live: its family is revoked and its access tokens
    refused from the next request. An unknown or spent token is not an error (no oracle)."""
    from a2n.auth.tokens import hash_token
    from a2n.db.repositories.identity import RefreshTokenRepository
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        row = RefreshTokenRepository(uow.session).get_by_hash_locked(hash_token(refresh_token))
        if row is not None and row.revoked_at is None:
            end_session(uow.session, row.family_id, now or datetime.now(UTC))
            uow.commit()


def end_session(session: Session, session_id: uuid.UUID, now: datetime) -> None:
    """Revoke a login session (refresh-token family) and deny-list it until the last access token it
    could have issued has expired, so the authorizer refuses them at once (SECURITY 28)."""
    from a2n.auth.tokens import LEEWAY_S
    from a2n.db.repositories.identity import RefreshTokenRepository, RevokedSessionRepository
    from a2n.settings import get_settings

    RefreshTokenRepository(session).revoke_family(session_id, now)
    lifetime = timedelta(seconds=get_settings().access_token_ttl_s + LEEWAY_S)
    RevokedSessionRepository(session).revoke(session_id, now, until=now + lifetime)


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
    access, expires_in = issue_access_token(user_id=str(user.id), session_id=str(family_id))
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
    _record_failure(throttle, now)
    throttle.updated_at = now
    uow.commit()
    raise Unauthorized(INVALID_CREDENTIALS)


def _record_failure(counter: User | LoginThrottle, now: datetime) -> None:
    counter.failed_logins += 1
    over = counter.failed_logins - LOCK_AFTER_FAILURES
    if over >= 0:
        counter.locked_until = now + timedelta(seconds=min(LOCK_BASE_S * 2 ** min(over, 16), LOCK_MAX_S))


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
