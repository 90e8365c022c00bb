"""SQS event source mappings of the local runtime: batches, partial failures, redelivery, DLQ."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from waiting import wait_until

from a2n.local.clock import ManualClock
from a2n.local.runtime import LocalRuntime

TEMPLATE = Path(__file__).parents[1] / "fixtures" / "runtime" / "template.yaml"


@pytest.fixture(scope="module")
def runtime() -> Iterator[LocalRuntime]:
    with LocalRuntime(TEMPLATE, clock=ManualClock()) as rt:
        yield rt


def worker(rt: LocalRuntime) -> Any:
    """The fixture worker's module, as the runtime imported it (its recordings live there)."""
    return sys.modules[rt.functions.handler("WorkerFunction").__module__]


def send(rt: LocalRuntime, *bodies: str) -> None:
    entries = [{"Id": str(i), "MessageBody": b} for i, b in enumerate(bodies)]
    rt.aws_client("sqs").send_message_batch(QueueUrl=rt.queue_url("WorkQueue"), Entries=entries)


def deliveries_of(rt: LocalRuntime, body: str) -> list[dict[str, Any]]:
    return [r for r in list(worker(rt).DELIVERIES) if r["body"] == body]


def dead_letters(rt: LocalRuntime) -> list[str]:
    sqs = rt.aws_client("sqs")
    url = rt.queue_url("WorkDeadLetterQueue")
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    return [m["Body"] for m in received.get("Messages", [])]


def queue_is_empty(rt: LocalRuntime) -> bool:
    attrs = rt.aws_client("sqs").get_queue_attributes(
        QueueUrl=rt.queue_url("WorkQueue"),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return {attrs["ApproximateNumberOfMessages"], attrs["ApproximateNumberOfMessagesNotVisible"]} == {"0"}


def test_successful_messages_are_delivered_in_batches_once_and_deleted(runtime: LocalRuntime) -> None:
    bodies = [f"ok-{uuid.uuid4()}" for _ in range(7)]
    send(runtime, *bodies)
    wait_until(lambda: all(deliveries_of(runtime, b) for b in bodies), "all messages delivered")
    wait_until(lambda: queue_is_empty(runtime), "the queue to drain")
    assert [len(deliveries_of(runtime, b)) for b in bodies] == [1] * 7
    assert max(worker(runtime).BATCH_SIZES) <= 5  # BatchSize from the template
    record = deliveries_of(runtime, bodies[0])[0]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"].endswith(":a2n-local-WorkQueue")
    assert record["attributes"]["ApproximateReceiveCount"] == "1"


def test_partial_failure_is_redelivered_then_dead_lettered(runtime: LocalRuntime) -> None:
    good, bad = f"ok-{uuid.uuid4()}", f"fail-{uuid.uuid4()}"
    send(runtime, good, bad)
    wait_until(lambda: bad in dead_letters(runtime), "the failed message in the DLQ")
    counts = [r["attributes"]["ApproximateReceiveCount"] for r in deliveries_of(runtime, bad)]
    assert counts == ["1", "2"]  # maxReceiveCount 2, then redriven
    assert len(deliveries_of(runtime, good)) == 1


def test_handler_exception_fails_the_whole_batch(runtime: LocalRuntime) -> None:
    body = f"raise-{uuid.uuid4()}"
    send(runtime, body)
    wait_until(lambda: body in dead_letters(runtime), "the raising message in the DLQ")
    assert len(deliveries_of(runtime, body)) == 2
