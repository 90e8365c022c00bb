"""Webhook deliveries: token lookup, method and auth checks, replay receipts, start, optional wait.

The receipt and the execution are written in one transaction, so a 2xx means the run is recorded
and a crash before commit leaves no receipt (the sender's retry still works). Trigger data is built
from the request envelope only: nothing in the body can set the method, path, headers or trigger.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from a2n.errors import A2NError, BadRequest, MethodNotAllowed, NotFound
from a2n.storable import has_unstorable_text
from a2n.webhooks.signatures import SignatureInvalid

if TYPE_CHECKING:
    from a2n.db.models import WorkflowTrigger
    from a2n.execution.start import StartedExecution
    from a2n.nodes.trigger_webhook import WebhookAuth, WebhookTriggerConfig

# Headers that carry the caller's proof of identity never reach trigger data (or execution storage).
_ALWAYS_DROPPED = frozenset({"authorization", "cookie", "proxy-authorization"})
_SIGNATURE_HEADERS = {
    "generic": ("x-a2n-signature",),
    "github": ("x-hub-signature-256", "x-hub-signature"),
    "stripe": ("stripe-signature",),
    "slack": ("x-slack-signature",),
    "standard-webhooks": ("webhook-signature",),
}
DEFAULT_SYNC_TIMEOUT_MS = 25_000
# The sync wait polls adaptively: a quarter of the time waited so far, between 5 ms and 200 ms, so a
# run that ends in tens of ms is seen within a few ms and a long run costs few reads.
_POLL_MIN_S, _POLL_MAX_S, _POLL_FRACTION = 0.005, 0.2, 0.25


class WebhookNotFound(NotFound):
    """Unknown, inactive and deleted tokens answer exactly alike."""

    def __init__(self) -> None:
        super().__init__("No active webhook at this address")


class WorkflowRunFailed(A2NError):
    status, title, type_slug = 502, "Workflow run failed", "workflow-failed"


@dataclass(frozen=True)
class WebhookDelivery:
    """The HTTP request as API Gateway handed it over; ``headers`` have lower-case names."""

    token: str
    method: str
    path: str
    headers: Mapping[str, str]
    query: Mapping[str, str]
    body: bytes
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class WebhookAnswer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Accepted:
    execution_id: uuid.UUID
    sync_timeout_ms: int | None
    started: StartedExecution | None = None


def receive_webhook(delivery: WebhookDelivery) -> WebhookAnswer:
    """Start the workflow behind ``delivery.token``; 202 ``{executionId}`` or, in sync mode, its answer."""
    accepted = _accept(delivery)
    if accepted.sync_timeout_ms is None:
        return WebhookAnswer(202, {"executionId": str(accepted.execution_id)})
    answered = _answered_at_start(accepted)
    if answered is not None:
        return answered
    return wait_for_answer(accepted.execution_id, accepted.sync_timeout_ms)


def _answered_at_start(accepted: _Accepted) -> WebhookAnswer | None:
    """The start transaction ran the pure nodes inline: when respond_webhook answered there, or the run
    ended there, the answer is known without reading the execution again."""
    started = accepted.started
    if started is None:
        return None
    if started.webhook_response is not None:
        return _respond(started.webhook_response)
    if started.status == "SUCCEEDED":
        return WebhookAnswer(200, started.output)
    if started.status in _FAILED:
        raise WorkflowRunFailed(
            f"The workflow ended {started.status}", extra={"executionId": str(started.execution_id)}
        )
    return None


def _accept(delivery: WebhookDelivery) -> _Accepted:
    from a2n.db.enums import ExecutionMode
    from a2n.db.repositories.triggers import TriggerRepository, WebhookReceiptRepository
    from a2n.db.uow import UnitOfWork
    from a2n.execution.links import start_execution
    from a2n.execution.outbox import publish_outbox
    from a2n.execution.start import StartRequest
    from a2n.nodes.trigger_webhook import WebhookTriggerConfig
    from a2n.services.start_limits import admit_start

    with UnitOfWork() as uow:
        live = TriggerRepository(uow.session).by_token(delivery.token)
        if live is None or not live.accepts_fires:
            raise WebhookNotFound()
        trigger = live.trigger
        config = WebhookTriggerConfig.model_validate(trigger.config)
        if config.method not in {"ANY", delivery.method}:
            raise MethodNotAllowed(f"This webhook accepts {config.method} only")
        replay_id = authenticate(trigger, config.auth, delivery)
        receipts = WebhookReceiptRepository(uow.session)
        receipt_id = receipts.claim(trigger.id, replay_id) if replay_id is not None else None
        if replay_id is not None and receipt_id is None:
            raise SignatureInvalid("replayed signature")
        admit_start(uow.session, trigger.workspace_id)  # 429 + Retry-After: senders retry
        request = StartRequest(
            workflow_id=trigger.workflow_id,
            workspace_id=trigger.workspace_id,
            mode=ExecutionMode.WEBHOOK,
            trigger_data=trigger_data(delivery, config),
            trigger_node_id=trigger.node_id,
            trigger_id=trigger.id,
        )
        started, messages = start_execution(uow.session, request)
        if receipt_id is not None:
            receipts.link_execution(receipt_id, started.execution_id)
        uow.commit()
    publish_outbox(messages)
    return _Accepted(started.execution_id, _sync_timeout(config), started)


def _sync_timeout(config: WebhookTriggerConfig) -> int | None:
    if config.mode != "sync":
        return None
    from a2n.settings import get_settings

    return min(config.syncTimeoutMs or DEFAULT_SYNC_TIMEOUT_MS, get_settings().webhook_sync_max_ms)


# --- authentication --------------------------------------------------------------------------------


def authenticate(trigger: WorkflowTrigger, auth: WebhookAuth, delivery: WebhookDelivery) -> str | None:
    """Raise SignatureInvalid unless the caller proves itself; the replay id for HMAC deliveries."""
    from a2n.webhooks import signatures

    if auth.type == "none":
        return None
    secrets = trigger_secrets(trigger, delivery.received_at)
    if auth.type == "header":
        signatures.verify_header_secret(secrets, delivery.headers.get((auth.header or "").lower()))
        return None
    if auth.type == "basic":
        signatures.verify_basic(auth.username or "", secrets, delivery.headers.get("authorization"))
        return None
    verified = signatures.verify_signature(
        auth.preset or "generic",
        secrets=secrets,
        body=delivery.body,
        headers=delivery.headers,
        now=delivery.received_at,
        tolerance_s=auth.toleranceSeconds,
        header=auth.header,
    )
    return verified.replay_id


def trigger_secrets(trigger: WorkflowTrigger, now: datetime) -> list[bytes]:
    """The current secret, and the previous one while its rotation overlap lasts."""
    from a2n.crypto.envelope import decrypt_secret
    from a2n.services.activation import stored_blob

    found: list[bytes] = []
    blobs = [trigger.webhook_secret_encrypted]
    valid_until = trigger.webhook_secret_previous_valid_until
    if valid_until is not None and valid_until > now:
        blobs.append(trigger.webhook_secret_previous_encrypted)
    for packed in blobs:
        blob = stored_blob(packed)
        if blob is not None:
            found.append(decrypt_secret(blob, purpose="webhook", owner_id=str(trigger.id)))
    return found


# --- trigger data ----------------------------------------------------------------------------------


def trigger_data(delivery: WebhookDelivery, config: WebhookTriggerConfig) -> dict[str, Any]:
    """``{method, path, headers, query, body}`` from the envelope; secrets-bearing headers removed."""
    body, encoding = parse_body(delivery.body, delivery.headers.get("content-type", ""))
    data: dict[str, Any] = {
        "method": delivery.method,
        "path": delivery.path,
        "headers": visible_headers(delivery.headers, config.auth),
        "query": dict(delivery.query),
        "body": body,
    }
    if encoding == "base64":
        data["isBase64Encoded"] = True
    if has_unstorable_text([data["path"], data["headers"], data["query"]]):
        raise BadRequest("The request's path, headers or query contain NUL or invalid Unicode")
    return data


def visible_headers(headers: Mapping[str, str], auth: WebhookAuth) -> dict[str, str]:
    dropped = set(_ALWAYS_DROPPED)
    if auth.header:
        dropped.add(auth.header.lower())
    if auth.type == "hmac":
        dropped.update(_SIGNATURE_HEADERS[auth.preset or "generic"])
    return {name: value for name, value in headers.items() if name.lower() not in dropped}


def parse_body(raw: bytes, content_type: str) -> tuple[Any, str]:
    """JSON when it says so and parses; form fields for urlencoded; else text, or base64 if binary.

    Multipart and anything else stay one opaque value: no field inside a body is ever interpreted.
    """
    if not raw:
        return None, "empty"
    media = content_type.split(";", 1)[0].strip().lower()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode("ascii"), "base64"
    value, kind = _parsed(text, media)
    if has_unstorable_text(value):
        # NUL or a lone surrogate cannot go into jsonb: keep the exact bytes instead.
        return base64.b64encode(raw).decode("ascii"), "base64"
    return value, kind


def _parsed(text: str, media: str) -> tuple[Any, str]:
    if media == "application/json" or media.endswith("+json"):
        from a2n.json_input import MalformedJson, load_json

        # Text that is not JSON stays text; JSON with numbers or nesting A2N cannot hold is a 400
        # (load_json's BadRequest), never a 500 at the database. Duplicate keys: the last one wins,
        # as the providers' own parsers do.
        try:
            return load_json(text, unique_keys=False), "json"
        except MalformedJson:
            return text, "text"
    if media == "application/x-www-form-urlencoded":
        return dict(parse_qsl(text, keep_blank_values=True)), "form"
    return text, "text"


# --- sync mode ----------------------------------------------------------------------------------------


def wait_for_answer(execution_id: uuid.UUID, timeout_ms: int) -> WebhookAnswer:
    """Poll the execution row (no connection held while sleeping) until it answers or time is up."""
    from a2n.db.enums import ExecutionStatus

    began = time.monotonic()
    deadline = began + timeout_ms / 1000
    while True:
        progress = _progress(execution_id)
        if progress is not None and progress.webhook_response is not None:
            return _respond(progress.webhook_response)
        if progress is not None and progress.status == ExecutionStatus.SUCCEEDED:
            return WebhookAnswer(200, progress.output)
        if progress is not None and progress.status in _FAILED:
            raise WorkflowRunFailed(
                f"The workflow ended {progress.status.value}", extra={"executionId": str(execution_id)}
            )
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return WebhookAnswer(202, {"executionId": str(execution_id)})
        waited = time.monotonic() - began
        time.sleep(min(max(_POLL_MIN_S, waited * _POLL_FRACTION), _POLL_MAX_S, remaining))


_FAILED = frozenset({"FAILED", "CANCELLED", "TIMED_OUT"})


def _progress(execution_id: uuid.UUID) -> Any:
    from a2n.db.repositories.triggers import ExecutionProgressQuery
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        return ExecutionProgressQuery(uow.session).progress(execution_id)


def _respond(response: Mapping[str, Any]) -> WebhookAnswer:
    from a2n.nodes.respond_webhook import header_refusal

    headers = {str(k): str(v) for k, v in (response.get("headers") or {}).items()}
    for name, value in headers.items():
        refusal = header_refusal(name, value)
        if refusal is not None:
            raise WorkflowRunFailed(f"The workflow's response cannot be sent: {refusal}")
    return WebhookAnswer(int(response.get("status") or 200), response.get("body"), headers)
