"""The notification-sender function: each delivery is tried, recorded in its channel's log, and
retried by the queue until it succeeds or its attempts run out. A channel whose deliveries keep
failing is disabled and its owner told in the inbox. Outbound HTTP goes through the SSRF guard.

An attempt is claimed and counted in one short transaction, sent with no transaction open, and its
outcome recorded in another: a slow receiver never holds a database connection's row locks.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from a2n.db.models import NotificationChannel

SECRET_PURPOSE = "notification_channel"  # noqa: S105 (the envelope binding's purpose, not a secret)
# A claim older than this is taken as abandoned (its sender died): longer than one attempt can last.
CLAIM_TTL = timedelta(seconds=60)
SEND_TIMEOUT_S = 10.0
OUTBOX_NODE = "#notify"  # an outbox row of this node id announces an ending run's deliveries
MAX_ERROR = 300


class DeliveryFailed(Exception):
    """The receiver refused or could not be reached; the text names no secret (no URL path)."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.status = status


class RetryLater(Exception):
    """Some delivery of the message failed and has attempts left: the queue redelivers it."""


@dataclass(frozen=True)
class Attempt:
    """What a claimed delivery needs to be sent, read in the claim's transaction."""

    delivery_id: uuid.UUID
    channel_id: uuid.UUID
    kind: str
    target: str
    secret: bytes | None
    payload: dict[str, Any]


def deliver_notification_batch(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """The sender function's body: each SQS record names deliveries; failures reported one by one."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    def record_handler(record: SQSRecord) -> None:
        pending = [attempt_delivery(delivery_id) for delivery_id in delivery_ids(record.body)]
        if any(pending):
            raise RetryLater(f"{sum(pending)} deliveries will be retried")

    processor = BatchProcessor(event_type=EventType.SQS)
    result = process_partial_response(
        event=dict(event), record_handler=record_handler, processor=processor, context=context
    )
    return dict(result)


def delivery_ids(body: str) -> list[uuid.UUID]:
    """The deliveries a message names: a list, or an ending run's (an outbox message, consumed here)."""
    from a2n.db.repositories.notification_channels import NotificationDeliveryRepository
    from a2n.db.uow import UnitOfWork
    data = json.loads(body)
    if "deliveryIds" in data:
        return [uuid.UUID(str(i)) for i in data["deliveryIds"]]
    if data.get("nodeId") != OUTBOX_NODE:
        raise ValueError("not a notification message")
    execution_id = uuid.UUID(str(data["executionId"]))
    with UnitOfWork() as uow:
        ids = NotificationDeliveryRepository(uow.session).pending_of_execution(execution_id)
        _consume_announcement(uow.session, execution_id)
        uow.commit()
    return ids


def attempt_delivery(delivery_id: uuid.UUID) -> bool:
    """One attempt at one delivery; True when it failed and will be tried again."""
    from a2n.settings import get_settings

    attempt = _claim(delivery_id)
    if attempt is None:
        return False
    try:
        status = send(attempt)
    except DeliveryFailed as failure:
        return _record_failure(attempt, str(failure)[:MAX_ERROR], failure.status, get_settings())
    _record_success(attempt, status)
    return False


def _claim(delivery_id: uuid.UUID) -> Attempt | None:
    from a2n.db.base import utcnow
    from a2n.db.models import NotificationChannel
    from a2n.db.repositories.notification_channels import NotificationDeliveryRepository
    from a2n.db.uow import UnitOfWork

    now = utcnow()
    with UnitOfWork() as uow:
        delivery = NotificationDeliveryRepository(uow.session).claim(delivery_id)
        if delivery is None or (delivery.attempted_at and now - delivery.attempted_at < CLAIM_TTL):
            return None
        channel = uow.session.get(NotificationChannel, delivery.channel_id)
        if channel is None or not channel.enabled:
            delivery.status, delivery.last_error = "failed", "the channel is disabled"
            uow.commit()
            return None
        delivery.attempts += 1
        delivery.attempted_at = now
        attempt = Attempt(
            delivery.id,
            channel.id,
            channel.kind,
            channel.target,
            channel.secret,
            {"id": str(delivery.id), **delivery.payload},
        )
        uow.commit()
    return attempt


def _record_success(attempt: Attempt, status: int | None) -> None:
    from a2n.db.base import utcnow
    from a2n.db.models import NotificationDelivery
    from a2n.db.repositories.notification_channels import NotificationChannelRepository
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        delivery = uow.session.get(NotificationDelivery, attempt.delivery_id)
        if delivery is not None:
            delivery.status, delivery.delivered_at = "delivered", utcnow()
            delivery.response_status, delivery.last_error = status, None
        channel = NotificationChannelRepository(uow.session).lock(attempt.channel_id)
        if channel is not None:
            channel.consecutive_failures = 0
        uow.commit()


def _record_failure(attempt: Attempt, reason: str, status: int | None, settings: Any) -> bool:
    from a2n.db.models import NotificationDelivery
    from a2n.db.repositories.notification_channels import NotificationChannelRepository
    from a2n.db.uow import UnitOfWork
    from a2n.observability import get_logger

    with UnitOfWork() as uow:
        delivery = uow.session.get(NotificationDelivery, attempt.delivery_id)
        if delivery is None:
            return False
        delivery.response_status, delivery.last_error = status, reason
        retry: bool = delivery.attempts < settings.notification_max_attempts
        if not retry:
            delivery.status = "failed"
            channel = NotificationChannelRepository(uow.session).lock(attempt.channel_id)
            if channel is not None:
                _count_failure(uow.session, channel, settings.notification_channel_failure_limit)
        uow.commit()
    facts = {"delivery_id": str(attempt.delivery_id), "kind": attempt.kind, "retry": retry}
    get_logger().info("notification delivery failed", extra=facts)
    return retry


def _count_failure(session: Any, channel: NotificationChannel, limit: int) -> None:
    """A delivery failed for good; past ``limit`` in a row the channel is disabled and its owner told."""
    from a2n.services.notify import link, notify

    channel.consecutive_failures += 1
    if not channel.enabled or channel.consecutive_failures < limit:
        return
    channel.enabled = False
    channel.disabled_reason = f"{channel.consecutive_failures} deliveries in a row failed"
    owner = channel.user_id or channel.created_by
    if owner is not None:
        notify(
            session,
            owner,
            kind="channel.disabled",
            workspace_id=channel.workspace_id,
            title=f"Notification channel {channel.name} was disabled: {channel.disabled_reason}",
            data={
                "channelId": str(channel.id),
                "channelName": channel.name,
                "link": link(f"/notification-channels/{channel.id}/deliveries"),
            },
        )


# --- sending -----------------------------------------------------------------------------------------


def send(attempt: Attempt) -> int | None:
    """Send one delivery by its channel's kind; the receiver's HTTP status (None for email)."""
    if attempt.kind == "email":
        _send_email(attempt)
        return None
    secret = open_channel_secret(attempt.channel_id, attempt.secret)
    if attempt.kind == "slack":
        body = json.dumps(slack_message(attempt.payload)).encode()
        return _post(secret["url"], body, {})
    body = json.dumps(attempt.payload, separators=(",", ":")).encode()
    headers = signature_headers(secret["signingSecret"], str(attempt.delivery_id), body)
    return _post(secret["url"], body, headers)


def slack_message(payload: Mapping[str, Any]) -> dict[str, Any]:
    """What a Slack incoming webhook shows: the title and a link (mrkdwn), nothing else."""
    link = payload.get("data", {}).get("link")
    text = _slack_escape(str(payload.get("title", "")))
    return {"text": f"{text}\n<{link}|Open in A2N>" if link else text}


def signature_headers(
    signing_secret: str, message_id: str, body: bytes, now: datetime | None = None
) -> dict[str, str]:
    """Standard Webhooks headers (``webhook-id`` = the delivery id, so receivers can drop repeats)."""
    from datetime import UTC

    from a2n.webhooks.signatures import sign_request

    at = now or datetime.now(UTC)
    return sign_request("standard-webhooks", signing_secret.encode(), body, at, message_id=message_id)


def open_channel_secret(channel_id: uuid.UUID, sealed: bytes | None) -> dict[str, str]:
    from a2n.crypto.envelope import decrypt_secret, unpack_blob

    if sealed is None:
        raise DeliveryFailed("the channel has no URL")
    opened = decrypt_secret(unpack_blob(sealed), purpose=SECRET_PURPOSE, owner_id=str(channel_id))
    data: dict[str, str] = json.loads(opened)
    return data


def seal_channel_secret(channel_id: uuid.UUID, data: Mapping[str, str]) -> bytes:
    from a2n.crypto.envelope import encrypt_secret, pack_blob

    blob = encrypt_secret(json.dumps(dict(data)).encode(), purpose=SECRET_PURPOSE, owner_id=str(channel_id))
    return pack_blob(blob)


def _post(url: str, body: bytes, headers: Mapping[str, str]) -> int:
    import time

    from a2n.nodes.context import NodeFailed
    from a2n.nodes.http.client import OutboundRequest, Transport
    from a2n.settings import get_settings

    transport = Transport(
        deadline=time.monotonic() + SEND_TIMEOUT_S,
        allow_networks=get_settings().http_allow_networks,
        max_body_bytes=65_536,
    )
    request = OutboundRequest("POST", url, {"Content-Type": "application/json", **headers}, body)
    try:
        response = transport.send(request)
    except NodeFailed as failure:  # refused by the SSRF guard, unreachable, timed out
        raise DeliveryFailed(str(failure)) from None
    if not 200 <= response.status < 300:
        raise DeliveryFailed(f"the receiver answered {response.status}", response.status)
    return response.status


def _send_email(attempt: Attempt) -> None:
    from a2n.adapters.mailer import MailNotSent, send_email
    from a2n.mail.templates import render

    link = attempt.payload.get("data", {}).get("link")
    title = str(attempt.payload.get("title", "A2N notification"))
    message = f"{title}\n\nOpen it in A2N: {link}" if link else title
    try:
        send_email(attempt.target, render("notice", {"title": title, "message": message}))
    except MailNotSent as failure:
        raise DeliveryFailed(str(failure)) from None


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _consume_announcement(session: Any, execution_id: uuid.UUID) -> None:
    from a2n.db.repositories.executions import ExecutionRepository
    ExecutionRepository(session).delete_outbox(execution_id, OUTBOX_NODE)
