"""The step outbox: rows written with the state change, published to SQS after commit.

A row lives until the step it announces is claimed (the claim deletes it in its own statement), so
publishing costs no transaction; rows left unconsumed are resent by the sweeper.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta

from a2n.adapters.sqs import QueuedMessage, send_messages
from a2n.db.base import new_id
from a2n.db.models import OutboxMessage
from a2n.db.repositories.executions import ExecutionRepository
from a2n.db.uow import UnitOfWork
from a2n.execution import clock
from a2n.observability import get_logger
from a2n.settings import get_settings

logger = get_logger()
REPUBLISH_BATCH = 1000


def outbox_message(
    execution_id: uuid.UUID, node_id: str, node_type: str, attempt: int, delay_s: int = 0
) -> OutboxMessage:
    """A new row; `queue` holds the node type so a redeploy's queue URLs apply to old rows."""
    return OutboxMessage(
        id=new_id(),
        execution_id=execution_id,
        node_id=node_id,
        attempt=attempt,
        queue=node_type,
        delay_s=delay_s,
        created_at=clock.now(),  # the sweeper judges staleness on the engine's clock
    )


def step_body(message: OutboxMessage) -> str:
    """The SQS body: ids only, never payloads (§1)."""
    return json.dumps(
        {"executionId": str(message.execution_id), "nodeId": message.node_id, "attempt": message.attempt},
        separators=(",", ":"),
    )


def publish_outbox(messages: Sequence[OutboxMessage]) -> None:
    """After commit: send each step message to its node type's queue. Never raises: whatever is not
    sent stays in the outbox and the sweeper resends it (a duplicate is harmless, the claim is exact)."""
    if not messages:
        return

    urls = get_settings().queue_urls
    by_queue: dict[str, list[QueuedMessage]] = defaultdict(list)
    for message in messages:
        by_queue[message.queue].append(QueuedMessage(str(message.id), step_body(message), message.delay_s))
    for queue, batch in by_queue.items():
        url = urls.get(queue)
        if url is None:
            logger.error("no queue for node type", extra={"node_type": queue, "messages": len(batch)})
            continue
        failed = send_messages(url, batch)
        if failed:
            logger.warning("step messages not sent; the sweeper resends them", extra={"count": len(failed)})


def republish_stale_outbox(older_than: timedelta) -> int:
    """Resend outbox rows nobody consumed for `older_than` past their delay; returns how many."""
    with UnitOfWork() as uow:
        stale = ExecutionRepository(uow.session).stale_outbox(clock.now(), older_than, REPUBLISH_BATCH)
        uow.commit()
    publish_outbox(stale)
    return len(stale)
