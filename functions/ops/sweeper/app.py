"""The sweeper, invoked by the engine's one-time schedules (sweep ticks while work is in flight, node
timers) and by a daily rule (sweep + retention): a2n.services.sweeper.handle_timer_event.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from a2n.observability import get_logger

logger = get_logger()


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any] | None, context: LambdaContext) -> dict[str, int]:
    from a2n.execution import clock
    from a2n.services.sweeper import handle_timer_event

    # The engine's clock, not the event's scheduled time: a late or retried run must still see now.
    return handle_timer_event(event, clock.now())
