"""Trigger routes: ``POST /workflows/{id}/activate|deactivate``, a webhook trigger's delivery log
``GET /workflows/{id}/triggers/{nodeId}/deliveries`` and the public webhook endpoint
``ANY /webhooks/{token}[/{proxy+}]`` (whose answer is the workflow's, not an API resource)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from pydantic import Field

from a2n.api.http import Request, Response
from a2n.api.openapi import PAGE_QUERY, RouteDoc
from a2n.api.pagination import page_request
from a2n.api.schemas import PageOf, ResponseBody, UtcDatetime, WarningOut
from a2n.errors import NotFound, PayloadTooLarge
from a2n.services.delivery_log import Outcome

if TYPE_CHECKING:
    from a2n.services.activation import ActivationResult


class TriggerOut(ResponseBody):
    node_id: str
    type: str
    webhook_url: str | None = None
    schedule_expression: str | None = None
    timezone: str | None = None
    next_fire_times: list[str] = Field(
        default_factory=list,
        description="An active schedule's next 5 fire times in its time zone (ISO 8601 with offset)",
    )


class ActivationOut(ResponseBody):
    is_active: bool
    triggers: list[TriggerOut]
    warnings: list[WarningOut] = Field(
        default_factory=list, description="What will not work although activated (not an error)"
    )


class WebhookAccepted(ResponseBody):
    execution_id: uuid.UUID


class DeliveryOut(ResponseBody):
    """One delivery to a webhook trigger, as its editors see it: never the body, headers or secrets."""

    id: uuid.UUID
    received_at: UtcDatetime
    method: str
    status: int = Field(description="the HTTP status the sender got")
    outcome: Outcome = Field(description="accepted, a provider's duplicate, or why it was refused")
    detail: str | None = Field(default=None, description="the refusal's reason in words")
    size_bytes: int
    execution_id: uuid.UUID | None = Field(default=None, description="started, or (duplicate) answered with")
    provider_delivery_id: str | None = Field(
        default=None, description="GitHub delivery, Stripe event, Slack event or Standard Webhooks message id"
    )


def activate_workflow(request: Request) -> Response:
    from a2n.services.activation import activate_workflow as activate

    result = activate(request.principal, _workflow_id(request), origin=request.origin)
    return Response(200, _activation_body(result))


def deactivate_workflow(request: Request) -> Response:
    from a2n.services.activation import deactivate_workflow as deactivate

    result = deactivate(request.principal, _workflow_id(request), origin=request.origin)
    return Response(200, _activation_body(result))


def list_trigger_deliveries(request: Request) -> Response:
    from a2n.services.delivery_log import list_deliveries

    page = page_request(request.query)
    found = list_deliveries(request.principal, request.path_param("id"), request.path_param("nodeId"), page)
    items = [DeliveryOut.model_validate(view) for view in found.items]
    return Response(200, PageOf[DeliveryOut](items=items, next_cursor=found.next_cursor))


def receive_webhook(request: Request) -> Response:
    from a2n.services.webhooks import WebhookDelivery
    from a2n.services.webhooks import receive_webhook as receive

    body, oversize = _body_or_size(request)
    delivery = WebhookDelivery(
        token=request.path_param("token"),
        method=request.method,
        path="/" + request.path_params.get("rest", ""),
        headers=request.headers,
        query=request.query,
        body=body,
        oversize=oversize,
    )
    answer = receive(delivery)
    if answer.accepted is not None:  # A2N's own 202 (accepted; a sync run still going), not the workflow's
        return Response(answer.status, WebhookAccepted(execution_id=answer.accepted), answer.headers)
    content_type = next((v for k, v in answer.headers.items() if k.lower() == "content-type"), None)
    if content_type is None:
        return Response(answer.status, answer.body, answer.headers)
    return Response(answer.status, answer.body, answer.headers, content_type=content_type)


def _body_or_size(request: Request) -> tuple[bytes, int | None]:
    """The body, or (for one over the limit) its approximate size: the service answers the 413 once
    it knows whose trigger it was, so the owner's delivery log shows it."""
    try:
        return request.body, None
    except PayloadTooLarge:
        raw = len(request.raw_body or "")
        return b"", raw * 3 // 4 if request.body_is_base64 else raw


def _activation_body(result: ActivationResult) -> ActivationOut:
    triggers = [
        TriggerOut(
            node_id=t.node_id,
            type=t.type,
            webhook_url=t.webhook_url,
            schedule_expression=t.schedule_expression,
            timezone=t.timezone,
            next_fire_times=[fire.isoformat() for fire in t.next_fire_times],
        )
        for t in result.triggers
    ]
    warnings = [WarningOut(pointer=w.pointer, message=w.message) for w in result.warnings]
    return ActivationOut(is_active=result.is_active, triggers=triggers, warnings=warnings)


def _workflow_id(request: Request) -> uuid.UUID:
    try:
        return uuid.UUID(request.path_param("id"))
    except ValueError:
        raise NotFound("Workflow not found") from None




# A sync webhook answers with what the workflow says: the last node's output as JSON (200), or the
# respond_webhook node's status, headers and body (any status, any content type).
_ANY_BODY: dict[str, Any] = {"*/*": {"schema": {}}}
_WORKFLOW_ANSWERS: tuple[tuple[str, Any], ...] = (
    ("200", {"description": "Sync mode: the last node's output as JSON, or respond_webhook's answer",
             "content": _ANY_BODY}),
    ("default", {"description": "Sync mode: the status, headers and body a respond_webhook node set",
                 "content": _ANY_BODY}),
)  # fmt: skip

ROUTES: tuple[RouteDoc, ...] = (
    RouteDoc(
        "POST",
        "/workflows/{id}/activate",
        "Activate a workflow: register its webhooks and schedules",
        response_model=ActivationOut,
        tags=("workflows",),
        errors=(422, 503),
    ),
    RouteDoc(
        "POST",
        "/workflows/{id}/deactivate",
        "Deactivate a workflow: delete its schedules; its webhooks answer 404",
        response_model=ActivationOut,
        tags=("workflows",),
    ),
    RouteDoc(
        "GET",
        "/workflows/{id}/triggers/{nodeId}/deliveries",
        "A webhook trigger's delivery log, newest first: every delivery with its outcome (editors)",
        response_model=PageOf[DeliveryOut],
        tags=("workflows",),
        query=PAGE_QUERY,
    ),
    RouteDoc(
        "ANY",
        "/webhooks/{token}",
        "Trigger a workflow (async: 202 {executionId}; sync: the workflow's answer)",
        response_model=WebhookAccepted,
        status=202,
        public=True,
        tags=("webhooks",),
        errors=(401, 405, 413, 429, 502),
        raw_responses=_WORKFLOW_ANSWERS,
    ),
    RouteDoc(
        "ANY",
        "/webhooks/{token}/{rest+}",
        "Trigger a workflow with a sub-path (passed as trigger.path)",
        response_model=WebhookAccepted,
        status=202,
        public=True,
        tags=("webhooks",),
        errors=(401, 405, 413, 429, 502),
        raw_responses=_WORKFLOW_ANSWERS,
    ),
)
