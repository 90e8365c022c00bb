"""The audit trail: who changed what, from where. Every mutating use case records one entry
in the same transaction as its change, with secret-looking values redacted."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.auth.principal import Principal

REDACTED = "***"
# Keys whose values never enter the trail, at any depth (credential data, passwords, tokens …).
_SECRET_KEY = re.compile(r"(secret|password|token|key|data|authorization|credential)", re.IGNORECASE)
_SAFE_KEYS = frozenset({"name", "type", "scopes", "role", "email", "prefix", "expiresAt", "id"})


@dataclass(frozen=True)
class Actor:
    """Who acted: a user (JWT), an API key (with the user it belongs to), or the system."""

    type: str  # "user" | "api_key" | "system"
    id: str | None
    email: str | None = None

    @classmethod
    def of(cls, principal: Principal, email: str | None = None) -> Actor:
        if principal.is_api_key:
            return cls("api_key", principal.api_key_id, email)
        return cls("user", principal.user_id, email)


@dataclass(frozen=True)
class Origin:
    """Where the call came from (client IP and user agent as API Gateway saw them)."""

    ip: str | None = None
    user_agent: str | None = None


def redact(value: Any) -> Any:
    """A copy of ``value`` with every secret-looking field replaced by ``***``."""
    if isinstance(value, Mapping):
        return {
            k: (REDACTED if _is_secret_key(str(k)) else redact(v)) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def _is_secret_key(key: str) -> bool:
    return key not in _SAFE_KEYS and bool(_SECRET_KEY.search(key))


def record_audit(
    session: Session,
    *,
    workspace_id: str | uuid.UUID | None,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: str | uuid.UUID | None,
    changes: Mapping[str, Any] | None = None,
    origin: Origin | None = None,
) -> None:
    """Append one audit entry to the caller's transaction (the caller commits)."""
    from a2n.db.enums import ActorType
    from a2n.db.models import AuditLog
    from a2n.db.repositories.audit import AuditLogRepository

    origin = origin or Origin()
    AuditLogRepository(session).append(
        AuditLog(
            workspace_id=uuid.UUID(str(workspace_id)) if workspace_id else None,
            actor_type=ActorType(actor.type),
            actor_id=uuid.UUID(actor.id) if actor.id else None,
            actor_email=actor.email,
            action=action,
            entity_type=entity_type,
            entity_id=str(entity_id) if entity_id is not None else None,
            changes=redact(dict(changes)) if changes else None,
            ip=origin.ip,
            user_agent=origin.user_agent,
        )
    )


def share_changes(share: Any, email: str | None, level: str) -> dict[str, Any]:
    """What the trail keeps of a share (of a workflow or a credential): with whom, what, until when."""
    grantee = {"email": email} if share.grantee_user_id is not None else {"workspace": True}
    expires = share.expires_at.isoformat() if share.expires_at else None
    return {"shareId": str(share.id), **grantee, "level": level, "expiresAt": expires}
