"""The per-user security feed (``GET /me/security-events``): sign-ins, failed sign-ins, new devices,
password and two-factor changes, API keys created and revoked, sessions revoked, address changes.
Events are written in the transaction of what they record, and hold no secret."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.auth.principal import Principal
    from a2n.db.models import SecurityEvent
    from a2n.db.repositories.base import Keyset, Slice
    from a2n.services.audit import Origin

LOGIN = "login"
LOGIN_FAILED = "login_failed"
NEW_DEVICE = "new_device"
PASSWORD_CHANGED = "password_changed"  # noqa: S105 - an event type
PASSWORD_RESET = "password_reset"  # noqa: S105 - an event type
PASSWORD_RESET_REQUIRED = "password_reset_required"  # noqa: S105
TWO_FACTOR_ENABLED = "two_factor_enabled"
TWO_FACTOR_DISABLED = "two_factor_disabled"
TWO_FACTOR_FAILED = "two_factor_failed"
RECOVERY_CODE_USED = "recovery_code_used"
API_KEY_CREATED = "api_key_created"
API_KEY_REVOKED = "api_key_revoked"
SESSION_REVOKED = "session_revoked"
EMAIL_VERIFIED = "email_verified"
EMAIL_CHANGED = "email_changed"
IDENTITY_LINKED = "identity_linked"
ACCOUNT_DEACTIVATED = "account_deactivated"
ACCOUNT_REACTIVATED = "account_reactivated"


def record_event(
    session: Session,
    user_id: uuid.UUID,
    kind: str,
    origin: Origin | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    from a2n.db.models import SecurityEvent
    from a2n.db.repositories.accounts import SecurityEventRepository

    SecurityEventRepository(session).add_event(
        SecurityEvent(
            user_id=user_id,
            type=kind,
            ip=origin.ip if origin else None,
            user_agent=((origin.user_agent or "")[:512] or None) if origin else None,
            details=details or {},
        )
    )


def list_events(principal: Principal, *, limit: int, after: Keyset | None) -> Slice[SecurityEvent]:
    """The caller's own events, newest first (sessions only: a key has no business reading them)."""
    from a2n.auth.policy import Action, authorize
    from a2n.db.repositories.accounts import SecurityEventRepository
    from a2n.db.uow import UnitOfWork

    authorize(principal, None, Action.ACCOUNT_MANAGE)
    with UnitOfWork() as uow:
        page = SecurityEventRepository(uow.session).page_for_user(
            uuid.UUID(principal.user_id), limit=limit, after=after
        )
        for row in page.items:
            uow.session.expunge(row)
    return page
