"""EventBridge Scheduler target: one fire of a schedule or poll trigger → at most one execution."""

from typing import Any


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    from a2n.services.schedules import handle_fire

    result = handle_fire(event)
    return {"outcome": result.outcome.value, "executionIds": [str(i) for i in result.execution_ids]}
