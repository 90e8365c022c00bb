"""The owner's view of webhook deliveries: every delivery to a trigger, accepted or refused, with
why — the sender only ever sees the uniform 401/404, so this log is where the reason shows.

Recorded: time, method, the status answered, the outcome (accepted, duplicate, or the refusal's
reason), the body size, the execution id and the provider's delivery id; never the body, headers or
secrets. Refusals and duplicates are recorded at most ``A2N_WEBHOOK_REFUSAL_LOG_PER_MINUTE`` times
per trigger per minute (an unauthenticated flood must not turn into one database write per request).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from a2n.errors import A2NError, BadRequest, MethodNotAllowed, NotFound, PayloadTooLarge, RateLimited

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.auth.principal import Principal
    from a2n.db.models import WebhookDeliveryRecord
    from a2n.db.repositories.deliveries import DeliveryLogRepository
    from a2n.pagination import Page, PageRequest

MAX_DETAIL = 300


class Outcome(StrEnum):
    ACCEPTED = "accepted"  # started an execution
    DUPLICATE = "duplicate"  # a provider's retry of an accepted delivery: answered with its execution
    BAD_SIGNATURE = "bad_signature"  # unsigned, malformed or wrong HMAC signature
    BAD_CREDENTIALS = "bad_credentials"  # header secret or basic auth wrong or missing
    STALE = "stale"  # signed, but the timestamp is outside the tolerance
    REPLAY = "replay"  # a signature already accepted once
    WRONG_METHOD = "wrong_method"
    TOO_LARGE = "too_large"
    INACTIVE = "inactive"  # the workflow or trigger is not active (or deleted)
    BAD_REQUEST = "bad_request"  # headers, path or query the run could not store
    RATE_LIMITED = "rate_limited"  # the workspace's execution starts are over their rate (429)
    REFUSED = "refused"  # any other refusal (its detail says which)
    FILTERED = "filtered"  # authenticated, but an event the app trigger does not start on (2xx)
    HANDSHAKE = "handshake"  # a provider's verification request, answered by the app trigger (2xx)


@dataclass(frozen=True)
class Received:
    """What the log keeps of a request: when, which method, how big. Never its body or headers."""

    method: str
    at: datetime
    size_bytes: int


@dataclass(frozen=True)
class DeliveryView:
    id: uuid.UUID
    received_at: datetime
    method: str
    status: int
    outcome: str
    detail: str | None
    size_bytes: int
    execution_id: uuid.UUID | None
    provider_delivery_id: str | None


def record_accepted(
    session: Session, trigger_id: uuid.UUID, delivery: Received, *, status: int,
    execution_id: uuid.UUID, provider_id: str | None, duplicate: bool,
) -> uuid.UUID | None:  # fmt: skip
    """In the caller's transaction: a started (always recorded) or duplicate (capped) delivery."""
    from a2n.db.repositories.deliveries import DeliveryLogRepository

    record = _record(trigger_id, delivery, status, Outcome.DUPLICATE if duplicate else Outcome.ACCEPTED,
                     execution_id=execution_id, provider_id=provider_id)  # fmt: skip
    repo = DeliveryLogRepository(session)
    if not duplicate:
        repo.add(record)
        return record.id
    return record.id if repo.add_within_cap(record, cap=_cap()) else None


def record_unstarted(
    session: Session, trigger_id: uuid.UUID, delivery: Received, *, status: int, outcome: str,
    detail: str | None, provider_id: str | None,
) -> None:  # fmt: skip
    """In the caller's transaction, capped: an authenticated delivery answered without a run (an app
    trigger's filtered event or provider handshake)."""
    from a2n.db.repositories.deliveries import DeliveryLogRepository

    record = _record(trigger_id, delivery, status, Outcome(outcome), detail=detail, provider_id=provider_id)
    DeliveryLogRepository(session).add_within_cap(record, cap=_cap())


def record_refusal(
    trigger_id: uuid.UUID, delivery: Received, error: A2NError, *, provider_id: str | None
) -> None:
    """In its own transaction (the delivery's was rolled back): a refused delivery, capped."""
    outcome, detail = refusal_outcome(error)
    record = _record(trigger_id, delivery, error.status, outcome, detail=detail, provider_id=provider_id)
    _best_effort(lambda repo: repo.add_within_cap(record, cap=_cap()), "webhook refusal", trigger_id)


def record_answer(record_id: uuid.UUID, status: int) -> None:
    """A sync delivery's final status, once its run answered (or timed out, or failed)."""
    _best_effort(lambda repo: repo.set_status(record_id, status), "webhook answer", record_id)


def _best_effort(write: Callable[[DeliveryLogRepository], object], what: str, about: uuid.UUID) -> None:
    """``write`` in a transaction of its own. A failure is logged, never raised: the sender's answer
    is decided and must not turn into an error because the log could not record it."""
    from a2n.db.repositories.deliveries import DeliveryLogRepository
    from a2n.db.uow import UnitOfWork
    from a2n.observability import get_logger

    try:
        with UnitOfWork() as uow:
            write(DeliveryLogRepository(uow.session))
            uow.commit()
    except Exception:
        get_logger().warning(f"{what} not recorded", extra={"about": str(about)}, exc_info=True)


def refusal_outcome(error: A2NError) -> tuple[Outcome, str | None]:
    """What the owner reads for a refusal: its outcome and a one-line detail (never a secret)."""
    from a2n.webhooks.signatures import SignatureInvalid

    if isinstance(error, SignatureInvalid):
        return Outcome(error.kind), error.reason[:MAX_DETAIL]
    kinds: list[tuple[type[A2NError], Outcome]] = [
        (NotFound, Outcome.INACTIVE), (PayloadTooLarge, Outcome.TOO_LARGE),
        (MethodNotAllowed, Outcome.WRONG_METHOD), (BadRequest, Outcome.BAD_REQUEST),
        (RateLimited, Outcome.RATE_LIMITED),
    ]  # fmt: skip
    outcome = next((o for kind, o in kinds if isinstance(error, kind)), Outcome.REFUSED)
    return outcome, error.detail[:MAX_DETAIL]


def _record(
    trigger_id: uuid.UUID, delivery: Received, status: int, outcome: Outcome, *,
    detail: str | None = None, execution_id: uuid.UUID | None = None, provider_id: str | None = None,
) -> WebhookDeliveryRecord:  # fmt: skip
    from a2n.db.models import WebhookDeliveryRecord

    return WebhookDeliveryRecord(
        id=uuid.uuid4(), trigger_id=trigger_id, received_at=delivery.at, method=delivery.method[:16],
        status=status, outcome=outcome.value, detail=detail, size_bytes=delivery.size_bytes,
        execution_id=execution_id, provider_delivery_id=provider_id,
    )  # fmt: skip


def _cap() -> int:
    from a2n.settings import get_settings

    return get_settings().webhook_refusal_log_per_minute


def list_deliveries(
    principal: Principal, workflow_id: str, node_id: str, page: PageRequest
) -> Page[DeliveryView]:
    """``GET /workflows/{id}/triggers/{nodeId}/deliveries``: newest first, editors only (404 for
    another workspace's workflow, an unknown node or one that is not a webhook trigger)."""
    from a2n.auth.policy import Action
    from a2n.db.repositories.deliveries import DeliveryLogRepository
    from a2n.db.repositories.triggers import TriggerRepository
    from a2n.db.uow import UnitOfWork
    from a2n.pagination import Page, encode_cursor
    from a2n.services.workflow_access import open_workflow

    after = None
    if page.cursor is not None:
        after = (page.cursor.sort_key_datetime(), page.cursor.id_uuid())
    with UnitOfWork() as uow:
        workflow = open_workflow(uow.session, principal, workflow_id, Action.TRIGGER_DELIVERIES_READ)
        trigger = TriggerRepository(uow.session).webhook_of(workflow.id, node_id)
        if trigger is None:
            raise NotFound("No webhook trigger with this node id in the workflow")
        rows, more = DeliveryLogRepository(uow.session).page(trigger.id, limit=page.limit, after=after)
        views = [DeliveryView(r.id, r.received_at, r.method, r.status, r.outcome, r.detail, r.size_bytes,
                              r.execution_id, r.provider_delivery_id) for r in rows]  # fmt: skip
    last = views[-1] if more and views else None
    return Page(items=views, next_cursor=encode_cursor(last.received_at, last.id) if last else None)
