"""The sweeper, fired every minute by an EventBridge rule: republishes stale outbox rows, re-queues
expired leases, wakes due waits, times out executions and applies retention (a2n.services.sweeper).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from a2n.observability import get_logger

logger = get_logger()


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any] | None, context: LambdaContext) -> dict[str, int]:
    from a2n.services.sweeper import sweep

    # The wall clock, not the event's scheduled time: a late or retried run must still see now.
    return sweep(datetime.now(UTC)).counts()
