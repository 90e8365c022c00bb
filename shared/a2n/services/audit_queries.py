"""Reading the audit trail: ``GET /audit-logs`` for workspace admins, newest first.

Entries were redacted when written (a2n.services.audit.record_audit); they are returned as stored,
with the actor's email joined in at read time (writers record only the actor's id).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from a2n.auth.principal import Principal
    from a2n.db.models import AuditLog
    from a2n.pagination import Page, PageRequest


@dataclass(frozen=True)
class AuditQuery:
    entity_type: str | None = None
    entity_id: str | None = None
    actor_id: uuid.UUID | None = None
    since: datetime | None = None


@dataclass(frozen=True)
class AuditEntry:
    id: uuid.UUID
    ts: datetime
    actor_type: str
    actor_id: uuid.UUID | None
    actor_email: str | None
    action: str
    entity_type: str
    entity_id: str | None
    changes: dict[str, Any] | None
    ip: str | None
    user_agent: str | None


def list_audit_logs(principal: Principal, query: AuditQuery, page: PageRequest) -> Page[AuditEntry]:
    """The caller's workspace's entries matching ``query``; ADMIN+ (and workspaces:admin keys)."""
    from a2n.auth.policy import Action
    from a2n.db.repositories.audit import AuditFilter, AuditLogRepository
    from a2n.db.uow import UnitOfWork
    from a2n.pagination import Page, encode_cursor
    from a2n.services.access import require

    after = None
    if page.cursor is not None:
        after = (page.cursor.sort_key_datetime(), page.cursor.id_uuid())
    filters = AuditFilter(query.entity_type, query.entity_id, query.actor_id, query.since)
    with UnitOfWork() as uow:
        require(uow.session, principal, Action.AUDIT_READ)
        rows, more = AuditLogRepository(uow.session).page_with_actor_emails(
            uuid.UUID(principal.workspace_id), filters, limit=page.limit, after=after
        )
        entries = [_entry(row, email) for row, email in rows]
    last = entries[-1] if more and entries else None
    return Page(items=entries, next_cursor=encode_cursor(last.ts, last.id) if last else None)


def _entry(r: AuditLog, email: str | None) -> AuditEntry:
    return AuditEntry(
        id=r.id,
        ts=r.ts,
        actor_type=r.actor_type.value,
        actor_id=r.actor_id,
        actor_email=email,
        action=r.action,
        entity_type=r.entity_type,
        entity_id=r.entity_id,
        changes=r.changes,
        ip=r.ip,
        user_agent=r.user_agent,
    )

