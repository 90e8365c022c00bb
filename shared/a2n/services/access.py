"""Access checks for use cases: the caller's role in its workspace, then the policy's verdict.

One query per request (no caching: a role change or removal applies on the next call).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from a2n.auth.policy import Action, Role, authorize
from a2n.errors import NotFound

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.auth.principal import Principal
    from a2n.db.models import User


def role_in_workspace(session: Session, principal: Principal, workspace_id: str | None = None) -> Role | None:
    """The principal's role in ``workspace_id`` (default: the workspace it acts in), or None."""
    from a2n.db.repositories.identity import WorkspaceRepository

    target = workspace_id or principal.workspace_id
    if principal.is_api_key and target != principal.workspace_id:
        return None  # an API key is bound to one workspace
    role = WorkspaceRepository(session).role_of(uuid.UUID(target), uuid.UUID(principal.user_id))
    return Role(role.value) if role is not None else None


def own_account(session: Session, principal: Principal, *, lock: bool = False) -> User:
    """The caller's own account, for the account routes (people only, never an API key): 401 when
    it is gone or deactivated. ``lock``: FOR UPDATE, so password and code checks count one by one."""
    from a2n.db.repositories.identity import UserRepository
    from a2n.errors import Unauthorized

    authorize(principal, None, Action.ACCOUNT_MANAGE)
    users = UserRepository(session)
    user_id = uuid.UUID(principal.user_id)
    user = users.get_locked(user_id) if lock else users.get(user_id)
    if user is None or not user.is_active:
        raise Unauthorized("Authentication required")
    return user


def require_verified_address(session: Session, principal: Principal) -> None:
    """Forbidden while the caller's address is unverified in a workspace that requires it (for
    running workflows and creating API keys)."""
    from a2n.db.repositories.identity import UserRepository
    from a2n.errors import Forbidden

    if UserRepository(session).lacks_required_verification(
        uuid.UUID(principal.user_id), uuid.UUID(principal.workspace_id)
    ):
        raise Forbidden(
            "This workspace requires a verified email address: open the link emailed to you, or ask "
            "for a new one with POST /me/email/verification"
        )


def require(
    session: Session, principal: Principal, action: Action, workspace_id: str | None = None
) -> Role | None:
    """The caller's role if ``action`` is allowed (None for actions that need no membership);
    NotFound for non-members, Forbidden for members without the role or scope."""
    role = role_in_workspace(session, principal, workspace_id)
    authorize(principal, role, action)
    return role


def uuid_or_not_found(value: str, missing: str) -> uuid.UUID:
    """A path id as a UUID. A malformed id can name no row: the same 404 as an unknown one, never a
    500 (and no hint that the format was the problem)."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(missing) from None
