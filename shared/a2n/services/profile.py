"""The account itself: profile (``PATCH /me``), export of everything that is the user's own
(``GET /me/export``, GDPR Art. 20) and deletion (``DELETE /me``).

Deletion needs the password (and a second-factor code when two-factor is on) and is refused while the
user is the last OWNER of a workspace others still use. It ends every session at once, deletes the
personal workspace (its workflows, credentials, executions) and any workspace only the user was in,
deletes the account row (its sessions, tokens, keys, identities, events go with it), and anonymises
the audit trail: entries keep what happened and when, never who, from where, or their address.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from a2n.errors import Conflict, Forbidden
from a2n.services.access import own_account

if TYPE_CHECKING:

    from a2n.auth.principal import Principal
    from a2n.db.models import User
    from a2n.services.audit import Origin

_UNSET: Any = object()


def update_profile(
    principal: Principal,
    *,
    name: Any = _UNSET,
    avatar_url: Any = _UNSET,
    locale: Any = _UNSET,
    timezone: Any = _UNSET,
    origin: Origin | None = None,
) -> User:
    """Change the given fields (None clears one); the timezone becomes the default of new schedules."""
    from a2n.db.uow import UnitOfWork
    from a2n.services.audit import Actor, record_audit

    with UnitOfWork() as uow:
        user = own_account(uow.session, principal)
        changes: dict[str, Any] = {}
        for field, value in (("name", name), ("avatar_url", avatar_url), ("locale", locale),
                             ("timezone", timezone)):  # fmt: skip
            if value is not _UNSET and getattr(user, field) != value:
                setattr(user, field, value)
                changes[field] = value
        if changes:
            record_audit(uow.session, workspace_id=user.personal_workspace_id, actor=Actor.of(principal),
                         action="user.update", entity_type="user", entity_id=user.id, changes=changes,
                         origin=origin)  # fmt: skip
        uow.commit()
        uow.session.expunge(user)
    return user


def export_account(principal: Principal) -> dict[str, Any]:
    """Everything that is the user's own, as JSON: profile, memberships, sessions, security events,
    linked identities, API keys (never their hashes), the personal workspace's workflows (with their
    definitions) and credentials (names and types, never their data), and the user's own actions in
    the audit trail. Secrets stay out: no password hash, TOTP secret, token or key hash."""
    from a2n.db.repositories.profile import ProfileRepository
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        user = own_account(uow.session, principal)
        data = ProfileRepository(uow.session).export(user)
    return {"exportedAt": _iso(datetime.now(UTC)), "format": "a2n-account-export/1", **data}


def delete_account(
    principal: Principal, password: str, code: str | None, *, origin: Origin | None = None
) -> None:
    from a2n.auth.passwords import verify_password
    from a2n.db.repositories.profile import ProfileRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.sessions import end_all_sessions
    from a2n.services.two_factor import (
        check_second_factor_allowed,
        count_second_factor_failure,
        second_factor_ok,
    )

    now = datetime.now(UTC)
    with UnitOfWork() as uow:
        user = own_account(uow.session, principal, lock=True)
        if not verify_password(user.password_hash, password):
            raise Forbidden("The password is wrong")
        if user.totp_enabled_at is not None:
            check_second_factor_allowed(uow.session, user.id)
            if not code or not second_factor_ok(uow.session, user, code, now):
                count_second_factor_failure(uow.session, user, origin)
                uow.commit()
                raise Forbidden("Deleting the account needs a current two-factor code (or a recovery code)")
        profile = ProfileRepository(uow.session)
        blocking = profile.workspaces_left_without_owner(user.id)
        if blocking:
            names = ", ".join(sorted(blocking))
            raise Conflict(
                f"You are the last OWNER of {names}: make someone else OWNER, or delete it, first"
            )
        end_all_sessions(uow.session, user.id, now)
        profile.delete_account(user)
        uow.commit()


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")
