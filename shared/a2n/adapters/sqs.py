"""SQS adapter: send step messages in batches of ten; the only module that talks to SQS.

One boto3 client per container, built on first use and tuned where botocore allows it: no parameter
validation (the entries are built here, never from input), kept-alive TCP connections, short
connect/read timeouts and botocore's standard retry mode, so one call never holds a step for long.
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
    """Send every message; returns the ids that SQS did not accept (or all of a failed call's).
    Never raises: the caller keeps unsent rows in the outbox, and the sweeper resends them."""
    failed: set[str] = set()
    for start in range(0, len(messages), SQS_BATCH_LIMIT):
        entries = batch_entries(messages[start : start + SQS_BATCH_LIMIT])
        try:
            answer = _client().send_message_batch(QueueUrl=queue_url, Entries=entries)
        except Exception:
            failed |= {entry["Id"] for entry in entries}
            continue
        failed |= {entry["Id"] for entry in answer.get("Failed", [])}
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
    """Forget the cached client (tests switch endpoints and mocks)."""
    _client_for.cache_clear()


def _client() -> SQSClient:
    """The container's client for the configured region and endpoint (one per pair: the local
    runtime and tests may point the settings at another endpoint; on Lambda there is one)."""
    from a2n.settings import get_settings

    settings = get_settings()
    return _client_for(settings.aws_region, settings.aws_endpoint_url)


@lru_cache(maxsize=4)
def _client_for(region: str, endpoint_url: str | None) -> SQSClient:
    import boto3
    from botocore.config import Config

    config = Config(
        parameter_validation=False,
        tcp_keepalive=True,
        connect_timeout=2,
        read_timeout=5,
        retries={"mode": "standard", "max_attempts": 3},
    )
    return boto3.client("sqs", region_name=region, endpoint_url=endpoint_url, config=config)
