"""Notification channels (email, Slack incoming webhook, signed webhook), the rules that route events
to them, and each channel's delivery log. People only (never an API key)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, StrictBool

from a2n.api.http import Request, Response
from a2n.api.openapi import QueryParam, RouteDoc
from a2n.api.pagination import page_request
from a2n.api.schemas import PageOf, RequestBody, ResponseBody, UtcDatetime
from a2n.errors import Problem, ValidationFailed

if TYPE_CHECKING:
    from a2n.services.notification_settings import ChannelView, DeliveryView, RuleView

Name = Annotated[str, Field(min_length=1, max_length=100)]
Event = Literal[
    "execution.failed",
    "execution.succeeded",
    "execution.slow",
    "trigger.deactivated",
    "comment.mention",
    "share.received",
    "credential.expiring",
]


class ChannelIn(RequestBody):
    """``email`` (default: your own address), or the ``url`` a Slack incoming webhook or your
    webhook receiver gives. ``workspace: true`` makes it the workspace's (ADMIN+)."""

    kind: Literal["email", "slack", "webhook"]
    name: Name
    workspace: StrictBool = False
    email: Annotated[str, Field(min_length=3, max_length=254)] | None = None
    url: Annotated[str, Field(min_length=8, max_length=2000)] | None = None


class ChannelChange(RequestBody):
    name: Name | None = None
    enabled: StrictBool | None = Field(default=None, description="true again after it was disabled")


class ChannelOut(ResponseBody):
    id: uuid.UUID
    kind: str
    name: str
    target: str = Field(description="The address, or the URL's host (the URL itself is a secret)")
    scope: Literal["user", "workspace"]
    enabled: bool
    consecutive_failures: int
    disabled_reason: str | None = None
    created_at: UtcDatetime


class CreatedChannelOut(ChannelOut):
    signing_secret: str | None = Field(
        default=None, description="A webhook channel's Standard Webhooks secret (whsec_…), shown only here"
    )


class RuleIn(RequestBody):
    event: Event
    workspace: StrictBool = Field(default=False, description="The workspace's rule (ADMIN+): channels only")
    workflow_id: uuid.UUID | None = None
    folder_id: uuid.UUID | None = Field(default=None, description="Its workflows and its subfolders'")
    threshold_seconds: Annotated[int, Field(ge=1, le=86_400 * 30)] | None = Field(
        default=None, description="execution.slow: runs that took longer"
    )
    channel_ids: Annotated[list[uuid.UUID], Field(max_length=10)] = Field(
        default_factory=list, description="Where to deliver; empty: only your inbox"
    )


class RuleOut(ResponseBody):
    id: uuid.UUID
    event: str
    scope: Literal["user", "workspace"]
    workflow_id: uuid.UUID | None = None
    folder_id: uuid.UUID | None = None
    threshold_seconds: int | None = None
    channel_ids: list[uuid.UUID]
    created_at: UtcDatetime


class NotificationDeliveryOut(ResponseBody):
    id: uuid.UUID = Field(description="Also the webhook-id header a webhook receiver saw")
    event: str
    title: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    response_status: int | None = None
    last_error: str | None = None
    created_at: UtcDatetime
    attempted_at: UtcDatetime | None = None
    delivered_at: UtcDatetime | None = None


def _out(model: type[ResponseBody], view: Any) -> dict[str, Any]:
    return model.model_validate(view).model_dump(by_alias=True, mode="json")


def create_channel(request: Request) -> Response:
    from a2n.services.notification_settings import ChannelDraft
    from a2n.services.notification_settings import create_channel as create

    body = request.parse(ChannelIn)
    if body.kind == "email" and body.url is not None:
        raise ValidationFailed([Problem("/url", "an email channel takes email, not url")])
    if body.kind != "email" and body.email is not None:
        raise ValidationFailed([Problem("/email", f"a {body.kind} channel takes url, not email")])
    draft = ChannelDraft(body.kind, body.name, body.workspace, body.email, body.url)
    return Response(201, _out(CreatedChannelOut, create(request.principal, draft, origin=request.origin)))


def list_channels(request: Request) -> Response:
    from a2n.services.notification_settings import list_channels as channels

    found = channels(request.principal, page_request(request.query))
    return Response(
        200, {"items": [_out(ChannelOut, v) for v in found.items], "nextCursor": found.next_cursor}
    )


def update_channel(request: Request) -> Response:
    from a2n.services.notification_settings import update_channel as update

    body = request.parse(ChannelChange)
    view: ChannelView = update(
        request.principal,
        request.path_param("id"),
        name=body.name,
        enabled=body.enabled,
        origin=request.origin,
    )
    return Response(200, _out(ChannelOut, view))


def delete_channel(request: Request) -> Response:
    from a2n.services.notification_settings import delete_channel as delete

    delete(request.principal, request.path_param("id"), origin=request.origin)
    return Response.no_content()


def list_deliveries(request: Request) -> Response:
    from a2n.services.notification_settings import list_deliveries as deliveries

    found = deliveries(request.principal, request.path_param("id"), page_request(request.query))
    items: Sequence[DeliveryView] = found.items
    body = [_out(NotificationDeliveryOut, v) for v in items]
    return Response(200, {"items": body, "nextCursor": found.next_cursor})


def create_rule(request: Request) -> Response:
    from a2n.services.notification_settings import RuleDraft
    from a2n.services.notification_settings import create_rule as create

    body = request.parse(RuleIn)
    draft = RuleDraft(
        body.event, body.workspace, body.workflow_id, body.folder_id, body.threshold_seconds, body.channel_ids
    )
    view: RuleView = create(request.principal, draft, origin=request.origin)
    return Response(201, _out(RuleOut, view))


def list_rules(request: Request) -> Response:
    from a2n.services.notification_settings import list_rules as rules

    found = rules(request.principal, page_request(request.query))
    return Response(200, {"items": [_out(RuleOut, v) for v in found.items], "nextCursor": found.next_cursor})


def delete_rule(request: Request) -> Response:
    from a2n.services.notification_settings import delete_rule as delete

    delete(request.principal, request.path_param("id"), origin=request.origin)
    return Response.no_content()


_TAGS = ("Notifications",)
_PAGE = (
    QueryParam("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
    QueryParam("cursor", {"type": "string"}),
)
_CHANNELS = "/notification-channels"
_RULES = "/notification-rules"

ROUTES: tuple[RouteDoc, ...] = (
    RouteDoc(
        "POST",
        _CHANNELS,
        "Add a notification channel (email, Slack, signed webhook)",
        ChannelIn,
        CreatedChannelOut,
        201,
        tags=_TAGS,
        errors=(422,),
    ),
    RouteDoc(
        "GET", _CHANNELS, "My channels and the workspace's", None, PageOf[ChannelOut], tags=_TAGS, query=_PAGE
    ),
    RouteDoc(
        "PATCH",
        f"{_CHANNELS}/{{id}}",
        "Rename, disable or enable a channel again",
        ChannelChange,
        ChannelOut,
        tags=_TAGS,
        errors=(422,),
    ),
    RouteDoc(
        "DELETE", f"{_CHANNELS}/{{id}}", "Delete a channel and its delivery log", None, None, 204, tags=_TAGS
    ),
    RouteDoc(
        "GET",
        f"{_CHANNELS}/{{id}}/deliveries",
        "A channel's delivery log, newest first",
        None,
        PageOf[NotificationDeliveryOut],
        tags=_TAGS,
        query=_PAGE,
    ),
    RouteDoc(
        "POST",
        _RULES,
        "Route an event to my inbox and channels (or the workspace's channels)",
        RuleIn,
        RuleOut,
        201,
        tags=_TAGS,
        errors=(422,),
    ),
    RouteDoc("GET", _RULES, "My rules and the workspace's", None, PageOf[RuleOut], tags=_TAGS, query=_PAGE),
    RouteDoc("DELETE", f"{_RULES}/{{id}}", "Delete a rule", None, None, 204, tags=_TAGS),
)
