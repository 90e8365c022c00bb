"""Webhook deliveries: token lookup, method and auth checks, replay and delivery receipts, start,
optional wait, and the owner's delivery log.

The receipts, the execution and its delivery-log row are written in one transaction, so a 2xx means
the run is recorded and a crash before commit leaves no receipt (the sender's retry still works). A
provider's retry of an accepted delivery (same Stripe event, GitHub delivery, Slack event or
Standard Webhooks message id) loses the receipt race and answers with the first delivery's
execution. Trigger data is built from the request envelope only: nothing in the body can set the
method, path, headers or trigger.
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

from a2n.errors import A2NError, BadRequest, MethodNotAllowed, NotFound, PayloadTooLarge
from a2n.storable import has_unstorable_text
from a2n.webhooks.signatures import SignatureInvalid

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.db.models import OutboxMessage, WorkflowTrigger
    from a2n.execution.start import StartedExecution
    from a2n.nodes.trigger_webhook import WebhookAuth, WebhookTriggerConfig
    from a2n.services.delivery_log import Received

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


class WebhookInactive(WebhookNotFound):
    """A known token whose trigger or workflow is not active: the same 404, but the owner's delivery
    log records it."""


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
    # Set (and ``body`` empty) when the body was over the limit: the trigger's owner still sees it.
    oversize: int | None = None

    def logged(self) -> Received:
        """What the owner's delivery log keeps of this request."""
        from a2n.services.delivery_log import Received

        size = self.oversize if self.oversize is not None else len(self.body)
        return Received(self.method, self.received_at, size)


@dataclass(frozen=True)
class WebhookAnswer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    # Set when A2N answers for itself (202: accepted, or a sync run still going), not the workflow.
    accepted: uuid.UUID | None = None


@dataclass(frozen=True)
class _Accepted:
    execution_id: uuid.UUID
    sync_timeout_ms: int | None
    started: StartedExecution | None = None  # None for a duplicate: its execution started earlier
    log_id: uuid.UUID | None = None  # its delivery-log row, if recorded
    logged_status: int = 202


def receive_webhook(delivery: WebhookDelivery) -> WebhookAnswer:
    """Start the workflow behind ``delivery.token``; 202 ``{executionId}`` or, in sync mode, its answer.
    A provider's retry of an accepted delivery gets the same answer for the same execution."""
    accepted = _accept(delivery)
    if isinstance(accepted, WebhookAnswer):  # an app trigger's handshake or filtered event
        return accepted
    if accepted.sync_timeout_ms is None:
        return WebhookAnswer(202, {"executionId": str(accepted.execution_id)}, accepted=accepted.execution_id)
    try:
        answer = _answered_at_start(accepted) or wait_for_answer(
            accepted.execution_id, accepted.sync_timeout_ms
        )
    except A2NError as failed:
        _log_answer(accepted, failed.status)
        raise
    _log_answer(accepted, answer.status)
    return answer


def _log_answer(accepted: _Accepted, status: int) -> None:
    """A sync delivery's log row holds the status it finally got (one UPDATE, only if it changed)."""
    from a2n.services.delivery_log import record_answer

    if accepted.log_id is not None and status != accepted.logged_status:
        record_answer(accepted.log_id, status)


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


def _accept(delivery: WebhookDelivery) -> _Accepted | WebhookAnswer:
    """The delivery's transaction; a refusal of a known trigger is then recorded in its own."""
    from a2n.db.repositories.triggers import TriggerRepository
    from a2n.db.uow import UnitOfWork
    from a2n.execution.outbox import publish_outbox
    from a2n.services.delivery_log import record_refusal
    from a2n.webhooks.identity import claimed_delivery_id

    known: tuple[uuid.UUID, str | None] | None = None  # the trigger's id and the claimed delivery id
    try:
        with UnitOfWork() as uow:
            live = TriggerRepository(uow.session).by_token(delivery.token)
            if live is None:
                raise WebhookNotFound()  # unknown tokens are not anyone's to log
            auth = live.trigger.config.get("auth") or {}
            preset = (auth.get("preset") or "generic") if auth.get("type") == "hmac" else None
            known = (live.trigger.id, claimed_delivery_id(preset, delivery.headers))
            if not live.accepts_fires:
                raise WebhookInactive()
            accepted, messages = _admit(uow.session, live.trigger, delivery)
            uow.commit()
    except A2NError as refusal:
        if known is not None:
            record_refusal(known[0], delivery.logged(), refusal, provider_id=known[1])
        raise
    publish_outbox(messages)
    return accepted


def _admit(
    session: Session, trigger: WorkflowTrigger, delivery: WebhookDelivery
) -> tuple[_Accepted | WebhookAnswer, list[OutboxMessage]]:
    """Checks, then either a first delivery's execution or a provider retry's answer; raises the
    refusal otherwise. The dedupe is decided here, in the transaction that records the execution:
    a concurrent duplicate waits on the receipt's unique key until this one commits."""
    from a2n.db.repositories.triggers import WebhookReceiptRepository
    from a2n.nodes.trigger_webhook import WebhookTriggerConfig
    from a2n.services.start_limits import admit_start
    from a2n.settings import get_settings
    from a2n.webhooks.identity import provider_delivery_id

    stored = dict(trigger.config)
    app = stored.pop("app", None)  # an app trigger's package part (services.integrations.triggers)
    config = WebhookTriggerConfig.model_validate(stored)
    if delivery.oversize is not None:
        raise PayloadTooLarge(f"Request body exceeds {get_settings().max_body_bytes} bytes")
    if config.method not in {"ANY", delivery.method}:
        raise MethodNotAllowed(f"This webhook accepts {config.method} only")
    replay_id = authenticate(trigger, config.auth, delivery)
    data = trigger_data(delivery, config)
    preset = (config.auth.preset or "generic") if config.auth.type == "hmac" else None
    provider_id = provider_delivery_id(preset, delivery.headers, data["body"])
    if app is not None:
        answer = _app_answer(session, trigger, delivery, app, data=data, provider_id=provider_id)
        if answer is not None:
            return answer, []
    receipts = WebhookReceiptRepository(session)
    claimed: list[uuid.UUID] = []
    if provider_id is not None:
        key = f"delivery:{preset}:{provider_id}"
        receipt = receipts.claim(trigger.id, key)
        if receipt is None:
            return _duplicate(session, trigger, delivery, config, key=key, provider_id=provider_id), []
        claimed.append(receipt)
    if replay_id is not None:
        receipt = receipts.claim(trigger.id, replay_id)
        if receipt is None:
            raise SignatureInvalid("replayed signature", kind="replay")
        claimed.append(receipt)
    admit_start(session, trigger.workspace_id)  # 429 + Retry-After: senders retry (duplicates start nothing)
    return _start(session, trigger, delivery, config, data=data, receipts=claimed, provider_id=provider_id)


def _app_answer(
    session: Session, trigger: WorkflowTrigger, delivery: WebhookDelivery, app: dict[str, Any], *,
    data: dict[str, Any], provider_id: str | None,
) -> WebhookAnswer | None:  # fmt: skip
    """The answer to an authenticated delivery an app trigger does not start a run for (logged)."""
    from a2n.services.delivery_log import record_unstarted
    from a2n.services.integrations.triggers import gate_delivery

    gate = gate_delivery(app, data)
    if gate.start:
        return None
    record_unstarted(session, trigger.id, delivery.logged(), status=gate.status, outcome=str(gate.outcome),
                     detail=gate.detail, provider_id=provider_id)  # fmt: skip
    return WebhookAnswer(gate.status, gate.body)


def _start(
    session: Session, trigger: WorkflowTrigger, delivery: WebhookDelivery, config: WebhookTriggerConfig, *,
    data: dict[str, Any], receipts: list[uuid.UUID], provider_id: str | None,
) -> tuple[_Accepted, list[OutboxMessage]]:  # fmt: skip
    from a2n.db.enums import ExecutionMode
    from a2n.db.repositories.triggers import WebhookReceiptRepository
    from a2n.execution.links import start_execution
    from a2n.execution.start import StartRequest
    from a2n.services.delivery_log import record_accepted

    request = StartRequest(
        workflow_id=trigger.workflow_id,
        workspace_id=trigger.workspace_id,
        mode=ExecutionMode.WEBHOOK,
        trigger_data=data,
        trigger_node_id=trigger.node_id,
        trigger_id=trigger.id,
    )
    started, messages = start_execution(session, request)
    WebhookReceiptRepository(session).link_execution(receipts, started.execution_id)
    sync = _sync_timeout(config)
    status = 202 if sync is None else _status_at_start(started)
    log_id = record_accepted(
        session, trigger.id, delivery.logged(), status=status, execution_id=started.execution_id,
        provider_id=provider_id, duplicate=False,
    )  # fmt: skip
    return _Accepted(started.execution_id, sync, started, log_id, status), messages


def _duplicate(
    session: Session, trigger: WorkflowTrigger, delivery: WebhookDelivery, config: WebhookTriggerConfig, *,
    key: str, provider_id: str,
) -> _Accepted:  # fmt: skip
    """A provider's retry of a delivery already accepted: the first delivery's execution, nothing new."""
    from a2n.db.repositories.triggers import WebhookReceiptRepository
    from a2n.services.delivery_log import record_accepted

    first = WebhookReceiptRepository(session).execution_of(trigger.id, key)
    if first is None:  # cannot happen (a receipt and its execution commit together): refuse, never guess
        raise SignatureInvalid("retry of a delivery that recorded no execution", kind="replay")
    log_id = record_accepted(session, trigger.id, delivery.logged(), status=202, execution_id=first,
                             provider_id=provider_id, duplicate=True)  # fmt: skip
    return _Accepted(first, _sync_timeout(config), None, log_id)


def _status_at_start(started: StartedExecution) -> int:
    """The answer a sync delivery gets when its run answered inside the start transaction; 202 (its
    time-out answer) until the wait knows better."""
    if started.webhook_response is not None:
        return int(started.webhook_response.get("status") or 200)
    if started.status == "SUCCEEDED":
        return 200
    return WorkflowRunFailed.status if started.status in _FAILED else 202


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
            return WebhookAnswer(202, {"executionId": str(execution_id)}, accepted=execution_id)
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
