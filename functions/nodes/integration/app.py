"""Step function of the ``integration`` node type: SQS batches of step messages from IntegrationStepQueue.

Records are handled one by one by the engine's step protocol; failures are reported per record.
"""

from typing import Any

from a2n.observability import get_logger

logger = get_logger()


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # Imported on the first event, not at cold start: the engine pulls in SQLAlchemy (§11: ≤ 300 ms).
    from a2n.execution.steps import process_step_batch

    return process_step_batch(event, context)
