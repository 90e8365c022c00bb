"""The caller's inbox: notifications newest first, the unread count, marking one or all read."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from pydantic import Field

from a2n.api.http import Request, Response
from a2n.api.openapi import QueryParam, RouteDoc
from a2n.api.pagination import page_request
from a2n.api.schemas import CamelModel, PageOf, ResponseBody, UtcDatetime

if TYPE_CHECKING:
    from a2n.services.inbox import NotificationView


class NotificationOut(ResponseBody):
    id: uuid.UUID
    kind: str = Field(description="e.g. execution.failed, comment.mention, share.received")
    title: str
    workspace_id: uuid.UUID | None = None
    data: dict[str, Any] = Field(description="Ids, names and links only")
    read: bool
    read_at: UtcDatetime | None = None
    created_at: UtcDatetime


class UnreadCount(ResponseBody):
    unread: int


class MarkedRead(ResponseBody):
    marked: int


class InboxFilter(CamelModel):
    unread: bool = False


def _body(view: NotificationView) -> dict[str, Any]:
    return NotificationOut.model_validate(view).model_dump(by_alias=True, mode="json")


def list_notifications(request: Request) -> Response:
    from a2n.services.inbox import list_notifications as inbox

    query = request.parse_query(InboxFilter)
    found = inbox(request.principal, page_request(request.query), unread_only=query.unread)
    return Response(200, {"items": [_body(v) for v in found.items], "nextCursor": found.next_cursor})


def unread_count(request: Request) -> Response:
    from a2n.services.inbox import unread_count as count

    return Response(200, {"unread": count(request.principal)})


def mark_read(request: Request) -> Response:
    from a2n.services.inbox import mark_read as read

    return Response(200, _body(read(request.principal, request.path_param("id"))))


def mark_all_read(request: Request) -> Response:
    from a2n.services.inbox import mark_all_read as read_all

    return Response(200, {"marked": read_all(request.principal)})


_TAGS = ("Notifications",)

ROUTES: tuple[RouteDoc, ...] = (
    RouteDoc(
        "GET",
        "/notifications",
        "My notifications, newest first",
        None,
        PageOf[NotificationOut],
        tags=_TAGS,
        query=(
            QueryParam("unread", {"type": "boolean"}, description="only unread ones"),
            QueryParam("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
            QueryParam("cursor", {"type": "string"}),
        ),
    ),
    RouteDoc(
        "GET",
        "/notifications/unread-count",
        "How many of my notifications are unread",
        None,
        UnreadCount,
        tags=_TAGS,
    ),
    RouteDoc(
        "POST", "/notifications/{id}/read", "Mark one notification read", None, NotificationOut, tags=_TAGS
    ),
    RouteDoc(
        "POST", "/notifications/read-all", "Mark all my notifications read", None, MarkedRead, tags=_TAGS
    ),
)
