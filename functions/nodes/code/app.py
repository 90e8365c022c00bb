"""Step function of the ``code`` node type: SQS batches of step messages from CodeStepQueue.

Records are handled one by one by the engine's step protocol; failures are reported per record.
The user's code never runs here: the node invokes the sandbox function (see a2n.nodes.code_run).
"""

from typing import Any

from a2n.observability import get_logger

logger = get_logger()


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # Imported on the first event, not at cold start: the engine pulls in SQLAlchemy (§11: ≤ 300 ms).
    from a2n.execution.steps import process_step_batch

    return process_step_batch(event, context)
