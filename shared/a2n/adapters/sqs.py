"""SQS adapter: send step messages in batches of ten; the only module that talks to SQS.

Each batch goes out through sqs_wire's lean signed call when ``sqs_fast_path`` is on, else (or when
that fails) through the boto3 client, built on first use and cached per container.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

    from a2n.settings import Settings

SQS_BATCH_LIMIT = 10
SQS_MAX_DELAY_S = 900


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    id: str  # unique within one send call; reported back when the message was not sent
    body: str
    delay_s: int = 0


def send_messages(queue_url: str, messages: Sequence[QueuedMessage]) -> set[str]:
    """Send every message; returns the ids that SQS did not accept (or all of a failed call's)."""
    from a2n.settings import get_settings

    settings = get_settings()
    failed: set[str] = set()
    for start in range(0, len(messages), SQS_BATCH_LIMIT):
        entries = batch_entries(messages[start : start + SQS_BATCH_LIMIT])
        if settings.sqs_fast_path:
            failed |= _send_lean_or_boto3(queue_url, entries, settings)
        else:
            failed |= _send_boto3(queue_url, entries)
    return failed


def batch_entries(messages: Sequence[QueuedMessage]) -> list[SendMessageBatchRequestEntryTypeDef]:
    """SendMessageBatch entries; the delay is clamped to what SQS accepts (longer waits are the
    sweeper's, through ``next_attempt_at``)."""
    return [
        {
            "Id": message.id,
            "MessageBody": message.body,
            "DelaySeconds": max(0, min(message.delay_s, SQS_MAX_DELAY_S)),
        }
        for message in messages
    ]


def reset_client() -> None:
    """Forget the cached client, connections and credentials (tests switch endpoints and mocks)."""
    from a2n.adapters import sqs_wire

    _client.cache_clear()
    sqs_wire.reset()


def _send_lean_or_boto3(
    queue_url: str, entries: list[SendMessageBatchRequestEntryTypeDef], settings: Settings
) -> set[str]:
    from a2n.adapters import sqs_wire

    try:
        return sqs_wire.send_message_batch(
            queue_url, entries, region=settings.aws_region, endpoint_url=settings.aws_endpoint_url
        )
    except Exception as error:  # boto3 has botocore's retries; entries SQS listed as failed never get here
        from a2n.observability import get_logger

        get_logger().warning(
            "SQS fast path failed; sending the batch through boto3",
            extra={"error": f"{type(error).__name__}: {error}", "queue": queue_url, "entries": len(entries)},
        )
    return _send_boto3(queue_url, entries)


def _send_boto3(queue_url: str, entries: list[SendMessageBatchRequestEntryTypeDef]) -> set[str]:
    try:
        answer = _client().send_message_batch(QueueUrl=queue_url, Entries=entries)
    except Exception:  # the caller keeps the outbox rows; the sweeper resends them
        return {entry["Id"] for entry in entries}
    return {entry["Id"] for entry in answer.get("Failed", [])}


@lru_cache(maxsize=1)
def _client() -> SQSClient:
    import boto3

    from a2n.settings import get_settings

    settings = get_settings()
    return boto3.client("sqs", region_name=settings.aws_region, endpoint_url=settings.aws_endpoint_url)
