"""Audit trail rows: appended by every mutating use case, read by workspace admins."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from a2n.db.models import AuditLog


@dataclass(frozen=True)
class AuditFilter:
    entity_type: str | None = None
    entity_id: str | None = None
    actor_id: uuid.UUID | None = None
    since: datetime | None = None


class AuditLogRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def append(self, entry: AuditLog) -> None:
        self.session.add(entry)

    def page(
        self,
        workspace_id: uuid.UUID,
        filters: AuditFilter,
        *,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None = None,
    ) -> tuple[Sequence[AuditLog], bool]:
        """Newest first by (ts, id); returns the rows and whether more exist."""
        query = select(AuditLog).where(AuditLog.workspace_id == workspace_id)
        if filters.entity_type is not None:
            query = query.where(AuditLog.entity_type == filters.entity_type)
        if filters.entity_id is not None:
            query = query.where(AuditLog.entity_id == filters.entity_id)
        if filters.actor_id is not None:
            query = query.where(AuditLog.actor_id == filters.actor_id)
        if filters.since is not None:
            query = query.where(AuditLog.ts >= filters.since)
        if after is not None:
            query = query.where(tuple_(AuditLog.ts, AuditLog.id) < tuple_(*after))
        rows = list(
            self.session.scalars(query.order_by(AuditLog.ts.desc(), AuditLog.id.desc()).limit(limit + 1))
        )
        return rows[:limit], len(rows) > limit
