"""Login sessions: a row per sign-in (created, last seen, IP, user agent, method, second factor used),
listed at ``GET /me/sessions`` and ended one by one or all at once. Ending a session revokes its
refresh-token family and deny-lists its id, so its access tokens are refused from the next request
(SECURITY 28): the session id is the family id and the access token's ``sid``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from a2n.errors import NotFound

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.auth.principal import Principal
    from a2n.db.models import UserSession
    from a2n.db.repositories.base import Keyset, Slice
    from a2n.services.audit import Origin


@dataclass(frozen=True)
class SessionPage:
    page: Slice[UserSession]
    current: uuid.UUID | None


def start_session(
    session: Session,
    user_id: uuid.UUID,
    origin: Origin | None,
    *,
    now: datetime,
    method: str = "password",
    two_factor: bool = False,
) -> UserSession:
    """Record a new sign-in; its id becomes the refresh-token family and the tokens' ``sid``."""
    from a2n.db.models import UserSession
    from a2n.db.repositories.accounts import SessionRepository

    row = UserSession(
        id=uuid.uuid4(),
        user_id=user_id,
        created_at=now,
        last_seen_at=now,
        ip=origin.ip if origin else None,
        user_agent=(origin.user_agent or "")[:512] or None if origin else None,
        method=method,
        two_factor=two_factor,
    )
    return SessionRepository(session).add_session(row)


def end_session(session: Session, session_id: uuid.UUID, now: datetime) -> None:
    """Revoke a sign-in: its refresh-token family, its row, and a deny-list entry that outlives the
    last access token it could have issued, so the authorizer refuses them at once."""
    from a2n.auth.tokens import LEEWAY_S
    from a2n.db.repositories.accounts import SessionRepository
    from a2n.db.repositories.identity import RefreshTokenRepository, RevokedSessionRepository
    from a2n.settings import get_settings

    RefreshTokenRepository(session).revoke_family(session_id, now)
    row = SessionRepository(session).get(session_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
    lifetime = timedelta(seconds=get_settings().access_token_ttl_s + LEEWAY_S)
    RevokedSessionRepository(session).revoke(session_id, now, until=now + lifetime)


def end_all_sessions(
    session: Session, user_id: uuid.UUID, now: datetime, *, keep: uuid.UUID | None = None
) -> int:
    """End every live session of the user but ``keep``; returns how many ended."""
    from a2n.db.repositories.accounts import SessionRepository
    from a2n.db.repositories.identity import RefreshTokenRepository

    live = {row.id for row in SessionRepository(session).live_for_user(user_id)}
    live |= RefreshTokenRepository(session).live_families(user_id, now)
    if keep is not None:
        live.discard(keep)
    for session_id in live:
        end_session(session, session_id, now)
    return len(live)


def list_sessions(principal: Principal, *, limit: int, after: Keyset | None) -> SessionPage:
    from a2n.db.repositories.accounts import SessionRepository
    from a2n.db.uow import UnitOfWork

    user_id = _session_owner(principal)
    with UnitOfWork() as uow:
        page = SessionRepository(uow.session).page_for_user(user_id, limit=limit, after=after)
        for row in page.items:
            uow.session.expunge(row)
    current = uuid.UUID(principal.session_id) if principal.session_id else None
    return SessionPage(page, current)


def revoke_session(principal: Principal, session_id: str, *, origin: Origin | None = None) -> None:
    """End one of the caller's own sessions (any other user's is 404)."""
    from a2n.db.repositories.accounts import SessionRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.security_events import SESSION_REVOKED, record_event

    user_id = _session_owner(principal)
    try:
        wanted = uuid.UUID(session_id)
    except ValueError:
        raise NotFound() from None
    now = datetime.now(UTC)
    with UnitOfWork() as uow:
        row = SessionRepository(uow.session).get(wanted)
        if row is None or row.user_id != user_id or row.revoked_at is not None:
            raise NotFound()
        end_session(uow.session, row.id, now)
        record_event(uow.session, user_id, SESSION_REVOKED, origin, {"sessionId": str(row.id)})
        uow.commit()


def sign_out_everywhere(principal: Principal, *, origin: Origin | None = None) -> int:
    """End every session of the caller, this one included; returns how many ended."""
    from a2n.db.uow import UnitOfWork
    from a2n.services.security_events import SESSION_REVOKED, record_event

    user_id = _session_owner(principal)
    now = datetime.now(UTC)
    with UnitOfWork() as uow:
        ended = end_all_sessions(uow.session, user_id, now)
        record_event(uow.session, user_id, SESSION_REVOKED, origin, {"all": True, "count": ended})
        uow.commit()
    return ended


def _session_owner(principal: Principal) -> uuid.UUID:
    from a2n.auth.policy import Action, authorize

    authorize(principal, None, Action.ACCOUNT_MANAGE)
    return uuid.UUID(principal.user_id)
