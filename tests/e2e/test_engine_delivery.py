"""Step delivery through the local runtime's SQS pollers and the real step functions: a poison
message reaches its queue's DLQ while its neighbours succeed (SECURITY 4), and no step message is
received and then left in flight, which would stall a run for the queue's visibility timeout."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from e2e_support import ApiClient, RegisteredUser, wait_for_execution
from waiting import wait_until

from a2n.local.runtime import LocalRuntime

STEP_QUEUES = ("NoopStepQueue", "TransformStepQueue")


@pytest.fixture
def visibility(stack: LocalRuntime) -> Iterator[Callable[[str, int], None]]:
    """Set a step queue's visibility timeout for one test; the template's value is put back."""
    sqs = stack.aws_client("sqs")
    saved: dict[str, str] = {}

    def set_timeout(queue: str, seconds: int) -> None:
        url = stack.queue_url(queue)
        current = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])
        saved.setdefault(url, current["Attributes"]["VisibilityTimeout"])
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": str(seconds)})

    yield set_timeout
    for url, seconds in saved.items():
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": seconds})


def settle_pollers(stack: LocalRuntime) -> None:
    """A receive already waiting (the runtime long-polls for 1 s) took the queue's visibility
    timeout when it began: wait until every step queue's poller has begun a receive since."""
    pollers = [poller for queue in STEP_QUEUES for poller in stack.pollers(queue)]
    begun = [poller.receives_begun for poller in pollers]
    assert pollers
    wait_until(
        lambda: all(p.receives_begun > n for p, n in zip(pollers, begun, strict=True)),
        "a fresh receive on every step queue",
    )


def chain(trigger: dict[str, Any], node_type: str, length: int) -> dict[str, Any]:
    ids = [f"n{i}" for i in range(length)]
    config = {"value": {"seen": "{{ input }}"}} if node_type == "transform" else {}
    return {
        "nodes": [{"id": "start", **trigger}] + [{"id": i, "type": node_type, "config": config} for i in ids],
        "connections": [{"source": a, "target": b} for a, b in zip(["start", *ids], ids, strict=False)],
    }


def in_flight(stack: LocalRuntime, queue: str) -> int:
    attributes = stack.aws_client("sqs").get_queue_attributes(
        QueueUrl=stack.queue_url(queue), AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )
    return int(attributes["Attributes"]["ApproximateNumberOfMessagesNotVisible"])


def dead_letters(stack: LocalRuntime, queue: str) -> list[str]:
    received = stack.aws_client("sqs").receive_message(
        QueueUrl=stack.queue_url(queue), MaxNumberOfMessages=10, VisibilityTimeout=0
    )
    return [m["Body"] for m in received.get("Messages", [])]




def test_a_poison_step_message_reaches_the_dlq_while_its_batch_succeeds(
    stack: LocalRuntime, user: RegisteredUser, visibility: Callable[[str, int], None]
) -> None:
    visibility("NoopStepQueue", 1)  # redeliveries within seconds: maxReceiveCount (5) is reached fast
    settle_pollers(stack)
    poison = ["not json", json.dumps({"executionId": "x", "nodeId": "n0", "attempt": 1, "extra": True})]
    created = user.client.post("/workflows", {"name": "noops", "definition": chain(
        {"type": "trigger.manual", "config": {}}, "noop", 3)})  # fmt: skip
    assert created.status == 201, created.body
    entries = [{"Id": str(i), "MessageBody": body} for i, body in enumerate(poison)]
    stack.aws_client("sqs").send_message_batch(QueueUrl=stack.queue_url("NoopStepQueue"), Entries=entries)
    started = user.client.post(f"/workflows/{created.json['id']}/execute", {"input": {"n": 1}})
    assert started.status == 202, started.body

    execution = wait_for_execution(user, started.json["executionId"])
    assert execution["status"] == "SUCCEEDED"
    assert [n["status"] for n in execution["nodes"]] == ["SUCCEEDED"] * 4
    seen: set[str] = set()
    wait_until(lambda: seen.update(dead_letters(stack, "NoopStepDeadLetterQueue")) or seen >= set(poison),
               "both poison messages in the noop DLQ", limit_s=40)  # fmt: skip
    assert all(
        json.loads(body)["executionId"] != started.json["executionId"] for body in seen - set(poison[:1])
    )
    logs = user.client.get(f"/executions/{started.json['executionId']}/logs").json["items"]
    assert sum(1 for log in logs if log["message"] == "node started") == 3  # no step ran twice


def test_sequential_sync_webhooks_never_wait_for_a_visibility_timeout(
    stack: LocalRuntime, user: RegisteredUser, visibility: Callable[[str, int], None]
) -> None:
    # A message received and then abandoned would stay invisible this long, far past the 25 s
    # sync limit, so such a stall shows up as a 202 instead of the workflow's answer.
    for queue in STEP_QUEUES:
        visibility(queue, 900)
    settle_pollers(stack)
    hook = {"type": "trigger.webhook", "config": {"method": "POST", "mode": "sync", "auth": {"type": "none"}}}
    created = user.client.post(
        "/workflows", {"name": "sync chain", "definition": chain(hook, "transform", 10)}
    )
    assert created.status == 201, created.body
    activation = user.client.post(f"/workflows/{created.json['id']}/activate")
    assert activation.status == 200, activation.body
    path = urlsplit(activation.json["triggers"][0]["webhookUrl"]).path
    caller = ApiClient(stack.url)

    answers = [caller.post(path, {"run": run}) for run in range(20)]

    assert [a.status for a in answers] == [200] * 20, [a.body for a in answers if a.status != 200]
    assert all(a.json["seen"]["seen"] is not None for a in answers)
    assert [in_flight(stack, queue) for queue in STEP_QUEUES] == [0, 0]
