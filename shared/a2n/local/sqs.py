"""SQS event source mappings: one poller thread per SQS event of the template, as Lambda runs them.

A poller receives up to BatchSize messages, invokes the function with the Lambda SQS event and
deletes what succeeded. Failures stay in flight until the visibility timeout; moto moves a message
to the dead-letter queue once its receive count reaches the queue's maxReceiveCount.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from a2n.local.functions import FunctionHost
from a2n.local.template import Queue, SqsSource

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

_log = logging.getLogger("a2n.local")
# Short long-polls keep stop() prompt while still not spinning.
_WAIT_SECONDS = 1


def sqs_event(messages: list[MessageTypeDef], queue: Queue, region: str) -> dict[str, Any]:
    """The event Lambda's SQS integration delivers for one batch."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m.get("Body", ""),
                "attributes": dict(m.get("Attributes") or {}),
                "messageAttributes": {
                    name: {k[0].lower() + k[1:]: v for k, v in value.items()}
                    for name, value in (m.get("MessageAttributes") or {}).items()
                },
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": queue.arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


def failed_message_ids(result: Any, batch: list[MessageTypeDef]) -> set[str]:
    """Ids the function reported in ``batchItemFailures``; a malformed report fails the whole batch."""
    all_ids = {m["MessageId"] for m in batch}
    if result is None:
        return set()
    if not isinstance(result, dict):
        return all_ids
    failures = result.get("batchItemFailures") or []
    ids = {f.get("itemIdentifier") for f in failures if isinstance(f, dict)}
    if not ids <= all_ids or None in ids or "" in ids:
        return all_ids  # Lambda treats an unknown or empty identifier as a failure of everything
    return {str(i) for i in ids}


class SqsPoller:
    """Polls one queue for one function until ``stop()``."""

    def __init__(
        self, source: SqsSource, queue: Queue, queue_url: str, sqs: SQSClient, functions: FunctionHost
    ) -> None:
        self.source = source
        self.queue = queue
        self.queue_url = queue_url
        self._sqs = sqs
        self._functions = functions
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"a2n-sqs-{source.function}", daemon=True)
        # Receives begun so far: a change to the queue (e.g. its visibility timeout) applies to the
        # receives begun after it, so a caller can wait for this to move instead of guessing a delay.
        self.receives_begun = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.poll_once()
            except Exception:
                _log.exception("SQS poller for %s failed; retrying", self.source.function)
                self._stopping.wait(1)

    def poll_once(self) -> int:
        """Receive and process one batch; returns how many messages it received."""
        self.receives_begun += 1
        batch = self._sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.source.batch_size,
            WaitTimeSeconds=_WAIT_SECONDS,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if batch:
            self._deliver(batch)
        return len(batch)

    def _deliver(self, batch: list[MessageTypeDef]) -> None:
        event = sqs_event(batch, self.queue, self.queue.arn.split(":")[3])
        try:
            result = self._functions.invoke(self.source.function, event)
        except Exception:
            _log.exception("%s failed; %d messages will be redelivered", self.source.function, len(batch))
            return
        failed = failed_message_ids(result, batch) if self.source.report_batch_item_failures else set()
        done = [m for m in batch if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            chunk = done[start : start + 10]
            entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)]
            self._sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)  # type: ignore[arg-type]
