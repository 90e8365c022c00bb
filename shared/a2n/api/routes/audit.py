"""Audit route of API.md: ``GET /audit-logs`` with entity, actor and time filters, ADMIN+ only.

Changes were redacted when recorded; this route shapes stored entries and never widens them.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from a2n.api.http import Request, Response
from a2n.api.openapi import QueryParam, RouteDoc
from a2n.api.pagination import page_request
from a2n.api.schemas import CamelModel, PageOf, ResponseBody, UtcDatetime

if TYPE_CHECKING:
    from a2n.services.audit_queries import AuditEntry

Filter = Annotated[str, Field(min_length=1, max_length=200)]


class AuditLogFilter(CamelModel):
    """``?entityType=&entityId=&actorId=&since=``; limit and cursor are read by page_request."""

    entity_type: Filter | None = None
    entity_id: Filter | None = None
    actor_id: uuid.UUID | None = None
    since: UtcDatetime | None = None


class AuditActor(ResponseBody):
    type: str
    id: uuid.UUID | None = None
    email: str | None = None


class AuditLogOut(ResponseBody):
    id: uuid.UUID
    ts: UtcDatetime
    actor: AuditActor
    action: str
    entity_type: str
    entity_id: str | None = None
    changes: dict[str, Any] | None = None
    ip: str | None = None
    user_agent: str | None = None


def _body(entry: AuditEntry) -> AuditLogOut:
    actor = AuditActor(type=entry.actor_type, id=entry.actor_id, email=entry.actor_email or None)
    return AuditLogOut(
        id=entry.id, ts=entry.ts, actor=actor, action=entry.action, entity_type=entry.entity_type,
        entity_id=entry.entity_id, changes=entry.changes, ip=entry.ip, user_agent=entry.user_agent,
    )  # fmt: skip


def list_audit_logs(request: Request) -> Response:
    from a2n.services import audit_queries

    page = page_request(request.query)
    query = request.parse_query(AuditLogFilter)
    found = audit_queries.list_audit_logs(
        request.principal,
        audit_queries.AuditQuery(query.entity_type, query.entity_id, query.actor_id, query.since),
        page,
    )
    items = [_body(e) for e in found.items]
    return Response(200, PageOf[AuditLogOut](items=items, next_cursor=found.next_cursor))


ROUTES: tuple[RouteDoc, ...] = (
    RouteDoc(
        "GET", "/audit-logs", "The workspace's audit trail, newest first (ADMIN+)",
        response_model=PageOf[AuditLogOut], tags=("Audit",),
        query=(
            QueryParam("entityType", description="e.g. credential, workflow"),
            QueryParam("entityId"),
            QueryParam("actorId", {"type": "string", "format": "uuid"}, description="user or API key id"),
            QueryParam("since", {"type": "string", "format": "date-time"}, description="ISO-8601 with zone"),
        ),
    ),
)
