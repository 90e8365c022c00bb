"""Audit trail rows: appended by every mutating use case, read by workspace admins."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVarTuple

from sqlalchemy import Select, and_, func, select, tuple_
from sqlalchemy.orm import Session, aliased

from a2n.db.enums import ActorType
from a2n.db.models import ApiKey, AuditLog, User

Columns = TypeVarTuple("Columns")


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
        query = _filtered(select(AuditLog), workspace_id, filters, after)
        rows = list(
            self.session.scalars(query.order_by(AuditLog.ts.desc(), AuditLog.id.desc()).limit(limit + 1))
        )
        return rows[:limit], len(rows) > limit

    def page_with_actor_emails(
        self,
        workspace_id: uuid.UUID,
        filters: AuditFilter,
        *,
        limit: int,
        after: tuple[datetime, uuid.UUID] | None = None,
    ) -> tuple[list[tuple[AuditLog, str | None]], bool]:
        """Like ``page``, each row with its actor's email looked up now: the user's own, or the
        owner's of an API key, so writers need not know it (an email stored at write time wins)."""
        actor_user, key_owner = aliased(User), aliased(User)
        email = func.coalesce(AuditLog.actor_email, actor_user.email, key_owner.email)
        query = (
            select(AuditLog, email)
            .outerjoin(
                actor_user,
                and_(AuditLog.actor_type == ActorType.USER, actor_user.id == AuditLog.actor_id),
            )
            .outerjoin(ApiKey, and_(AuditLog.actor_type == ActorType.API_KEY, ApiKey.id == AuditLog.actor_id))
            .outerjoin(key_owner, key_owner.id == ApiKey.user_id)
        )
        query = _filtered(query, workspace_id, filters, after)
        query = query.order_by(AuditLog.ts.desc(), AuditLog.id.desc()).limit(limit + 1)
        rows: list[tuple[AuditLog, str | None]] = [(r[0], r[1]) for r in self.session.execute(query)]
        return rows[:limit], len(rows) > limit


def _filtered(
    query: Select[*Columns],
    workspace_id: uuid.UUID,
    filters: AuditFilter,
    after: tuple[datetime, uuid.UUID] | None,
) -> Select[*Columns]:
    query = query.where(AuditLog.workspace_id == workspace_id)
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
    return query
