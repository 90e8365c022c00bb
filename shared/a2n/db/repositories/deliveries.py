"""The webhook delivery log: one row per delivery to a trigger, as its owner reads it.

Accepted deliveries are written in the transaction that records their execution. Refused and
duplicate ones go through ``add_within_cap``: one statement that inserts only while the trigger has
fewer than ``cap`` such rows in the last minute, so a flood of bad signatures costs a bounded read
and no write past the cap (no write amplification from unauthenticated callers).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text, tuple_, update
from sqlalchemy.orm import Session

from a2n.db.models import WebhookDeliveryRecord

ACCEPTED = "accepted"
CAP_WINDOW = timedelta(minutes=1)

# The count reads at most `cap` entries of the partial index on unstarted rows; NULL-able
# parameters are cast because a bare parameter in a SELECT list has no type for Postgres to infer.
_INSERT_WITHIN_CAP = text(
    """
    INSERT INTO webhook_deliveries (id, trigger_id, received_at, method, status, outcome, detail,
                                    size_bytes, execution_id, provider_delivery_id)
    SELECT :id, :trigger_id, :received_at, :method, :status, :outcome, CAST(:detail AS text),
           :size_bytes, CAST(:execution_id AS uuid), CAST(:provider_delivery_id AS text)
    WHERE (SELECT count(*) FROM (
             SELECT 1 FROM webhook_deliveries
             WHERE trigger_id = :trigger_id AND outcome <> 'accepted' AND received_at > :since
             LIMIT :cap) AS recent) < :cap
    """
)


class DeliveryLogRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, record: WebhookDeliveryRecord) -> None:
        self.session.add(record)

    def add_within_cap(self, record: WebhookDeliveryRecord, *, cap: int) -> bool:
        """Insert a refused or duplicate delivery unless the trigger already has ``cap`` of them
        in the minute before it; True when it was recorded."""
        if cap <= 0:
            return False
        values: dict[str, Any] = {
            column: getattr(record, column)
            for column in ("trigger_id", "received_at", "method", "status", "outcome", "detail",
                           "size_bytes", "execution_id", "provider_delivery_id")
        }  # fmt: skip
        values |= {"id": record.id or uuid.uuid4(), "since": record.received_at - CAP_WINDOW, "cap": cap}
        result: Any = self.session.execute(_INSERT_WITHIN_CAP, values)
        return bool(result.rowcount)

    def set_status(self, record_id: uuid.UUID, status: int) -> None:
        """A sync delivery's answer is known only after its run: its row is written before."""
        self.session.execute(
            update(WebhookDeliveryRecord).where(WebhookDeliveryRecord.id == record_id).values(status=status)
        )

    def page(
        self, trigger_id: uuid.UUID, *, limit: int, after: tuple[datetime, uuid.UUID] | None = None
    ) -> tuple[Sequence[WebhookDeliveryRecord], bool]:
        """Newest first by (received_at, id); the rows and whether more exist."""
        query = select(WebhookDeliveryRecord).where(WebhookDeliveryRecord.trigger_id == trigger_id)
        if after is not None:
            key = tuple_(WebhookDeliveryRecord.received_at, WebhookDeliveryRecord.id)
            query = query.where(key < tuple_(*after))
        order = (WebhookDeliveryRecord.received_at.desc(), WebhookDeliveryRecord.id.desc())
        rows = list(self.session.scalars(query.order_by(*order).limit(limit + 1)))
        return rows[:limit], len(rows) > limit
