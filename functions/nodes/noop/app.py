"""Step function of the ``noop`` node type: one SQS batch of step messages from NoopStepQueue.

Each record carries only ids (``{executionId, nodeId, attempt}``); the engine does the rest.
Failed records are reported one by one so SQS retries only them (then the DLQ after 5 receives).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict

from a2n.observability import get_logger

logger = get_logger()
processor = BatchProcessor(event_type=EventType.SQS)


class StepMessage(BaseModel):
    """The SQS body of a node step; a malformed body fails only its own record."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    executionId: str  # camelCase: the wire format
    nodeId: str
    attempt: int


def run_step(record: SQSRecord) -> None:
    from a2n.services.steps import handle_step_message

    handle_step_message(StepMessage.model_validate_json(record.body))


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=run_step, processor=processor, context=context
    )
