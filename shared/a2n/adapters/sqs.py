"""SQS adapter: send step messages in batches of ten; the only module that talks to SQS.

The client is built on first use and cached per container (honours AWS_ENDPOINT_URL locally).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import SendMessageBatchRequestEntryTypeDef

SQS_BATCH_LIMIT = 10
SQS_MAX_DELAY_S = 900


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    id: str  # unique within one send call; reported back when the message was not sent
    body: str
    delay_s: int = 0


def send_messages(queue_url: str, messages: Sequence[QueuedMessage]) -> set[str]:
    """Send every message; returns the ids that SQS did not accept (or all of a failed call's)."""
    failed: set[str] = set()
    for start in range(0, len(messages), SQS_BATCH_LIMIT):
        chunk = messages[start : start + SQS_BATCH_LIMIT]
        entries: list[SendMessageBatchRequestEntryTypeDef] = [
            {
                "Id": message.id,
                "MessageBody": message.body,
                "DelaySeconds": max(0, min(message.delay_s, SQS_MAX_DELAY_S)),
            }
            for message in chunk
        ]
        try:
            answer = _client().send_message_batch(QueueUrl=queue_url, Entries=entries)
        except Exception:  # the caller keeps the outbox rows; the sweeper resends them
            failed.update(message.id for message in chunk)
            continue
        failed.update(entry["Id"] for entry in answer.get("Failed", []))
    return failed


def reset_client() -> None:
    """Forget the cached client (tests switch endpoints and mocks)."""
    _client.cache_clear()


@lru_cache(maxsize=1)
def _client() -> SQSClient:
    import boto3

    from a2n.settings import get_settings

    settings = get_settings()
    return boto3.client("sqs", region_name=settings.aws_region, endpoint_url=settings.aws_endpoint_url)
