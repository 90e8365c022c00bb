"""Platform administration: operator-designated admins (``a2n admin grant EMAIL``) list users,
deactivate and reactivate them, and force a password reset. Every action is audited (platform-wide:
no workspace) and lands in the target's security feed.

Admin routes are for people signed in as a platform admin; API keys never reach them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from a2n.errors import Conflict, Forbidden, NotFound

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.auth.policy import Action
    from a2n.auth.principal import Principal
    from a2n.db.models import User
    from a2n.db.repositories.base import Keyset, Slice
    from a2n.services.audit import Origin


@dataclass(frozen=True)
class Granted:
    email: str
    changed: bool


def grant(email: str, *, admin: bool = True) -> Granted:
    """Make (or unmake) the account of ``email`` a platform admin (the operator's CLI)."""
    from a2n.db.repositories.identity import UserRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.audit import Actor, record_audit

    with UnitOfWork() as uow:
        user = UserRepository(uow.session).get_by_email(email, lock=True)
        if user is None:
            raise NotFound(f"No account uses {email}")
        changed = user.is_platform_admin != admin
        if changed:
            user.is_platform_admin = admin
            record_audit(uow.session, workspace_id=None, actor=Actor("system", None),
                         action="admin.grant" if admin else "admin.revoke", entity_type="user",
                         entity_id=user.id, changes={"isPlatformAdmin": admin})  # fmt: skip
        uow.commit()
        return Granted(user.email, changed)


def list_users(
    principal: Principal, *, query: str | None, limit: int, after: Keyset | None
) -> Slice[User]:
    from a2n.db.repositories.identity import UserRepository
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        require_platform_admin(uow.session, principal)
        page = UserRepository(uow.session).page_all(query=query, limit=limit, after=after)
        for user in page.items:
            uow.session.expunge(user)
    return page


def set_active(principal: Principal, user_id: str, active: bool, *, origin: Origin | None = None) -> User:
    """Deactivate (sign-ins and every token and key refused from the next request, sessions ended)
    or reactivate an account. An admin cannot deactivate themselves."""
    from a2n.db.uow import UnitOfWork
    from a2n.services.security_events import ACCOUNT_DEACTIVATED, ACCOUNT_REACTIVATED, record_event
    from a2n.services.sessions import end_all_sessions

    now = datetime.now(UTC)
    with UnitOfWork() as uow:
        require_platform_admin(uow.session, principal)
        user = _target(uow.session, user_id)
        if not active and str(user.id) == principal.user_id:
            raise Conflict("You cannot deactivate your own account")
        if user.is_active != active:
            user.is_active = active
            if not active:
                end_all_sessions(uow.session, user.id, now)
            record_event(uow.session, user.id, ACCOUNT_REACTIVATED if active else ACCOUNT_DEACTIVATED)
            _audit(uow.session, principal, "admin.user." + ("reactivate" if active else "deactivate"), user,
                   origin)  # fmt: skip
        uow.commit()
        uow.session.expunge(user)
    return user


def force_password_reset(principal: Principal, user_id: str, *, origin: Origin | None = None) -> None:
    """The password stops signing in, every session ends, and a reset link is emailed."""
    from a2n.db.uow import UnitOfWork
    from a2n.services import account_mail
    from a2n.services.mail import MailJob, send_later
    from a2n.services.security_events import PASSWORD_RESET_REQUIRED, record_event
    from a2n.services.sessions import end_all_sessions

    now = datetime.now(UTC)
    with UnitOfWork() as uow:
        require_platform_admin(uow.session, principal)
        user = _target(uow.session, user_id)
        user.password_reset_required = True
        end_all_sessions(uow.session, user.id, now)
        record_event(uow.session, user.id, PASSWORD_RESET_REQUIRED)
        _audit(uow.session, principal, "admin.user.force_password_reset", user, origin)
        uow.commit()
        target = str(user.id)
    send_later([MailJob(account_mail.PASSWORD_RESET, {"userId": target, "forced": "true"})])


def _target(session: Session, user_id: str) -> User:
    from a2n.db.repositories.identity import UserRepository

    try:
        user = UserRepository(session).get_locked(uuid.UUID(user_id))
    except ValueError:
        user = None
    if user is None:
        raise NotFound("No such user")
    return user


def _audit(session: Session, principal: Principal, action: str, user: User, origin: Origin | None) -> None:
    from a2n.services.audit import Actor, record_audit

    record_audit(session, workspace_id=None, actor=Actor.of(principal), action=action, entity_type="user",
                 entity_id=user.id, changes={"email": user.email}, origin=origin)  # fmt: skip


def is_platform_admin(session: Session, principal: Principal) -> bool:
    """Read on every request: a revoked admin loses the rights at once. Never through an API key."""
    from a2n.db.repositories.identity import UserRepository

    if principal.is_api_key:
        return False
    caller = UserRepository(session).get(uuid.UUID(principal.user_id))
    return caller is not None and caller.is_platform_admin


def require_platform_admin(session: Session, principal: Principal, action: Action | None = None) -> None:
    """People flagged platform admin only (platform administration, the marketplace's and the template
    gallery's reviews), read on every request; ``action`` is the policy's (default PLATFORM_ADMIN)."""
    from a2n.auth.policy import Action, authorize

    authorize(principal, None, action or Action.PLATFORM_ADMIN)
    if not is_platform_admin(session, principal):
        raise Forbidden("Platform administrators only")
