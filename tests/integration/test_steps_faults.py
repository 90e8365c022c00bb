"""SECURITY cases 1-5 with real failures: duplicate deliveries, steps killed at each point, an
expired lease, a poison message, and siblings completing at the same instant before a join."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Any

import engine_harness
import pytest
from engine_harness import Engine, HitServer, node, sql, trigger

from a2n.db.base import utcnow
from a2n.db.uow import UnitOfWork
from a2n.execution.outbox import publish_outbox, republish_stale_outbox
from a2n.execution.steps import (
    StepDeps,
    StepMessage,
    claim_step,
    complete_step,
    handle_step_message,
    run_claimed,
)
from a2n.execution.sweeps import requeue_expired_leases

engine = engine_harness.engine
hits = engine_harness.hits


class Crash(Exception):
    """The Lambda dies here: nothing after this point happens."""


class KillAt:
    def __init__(self, point: str, times: int = 1) -> None:
        self.point, self.left = point, times

    def hit(self, point: str) -> None:
        if point == self.point and self.left > 0:
            self.left -= 1
            raise Crash(point)


def http_workflow(engine: Engine, url: str) -> uuid.UUID:
    return engine.workflow(
        [trigger(), node("call", "http_request", {"method": "POST", "url": url}), node("after", "noop")],
        [("start", "call"), ("call", "after")],
    )


def assert_ended_once(engine: Engine, execution_id: uuid.UUID, workflow_id: uuid.UUID) -> dict[str, Any]:
    execution = engine.execution(execution_id)
    assert execution["status"] == "SUCCEEDED"
    ended = sql("SELECT count(*) FROM execution_logs WHERE execution_id = :e AND message LIKE 'execution %ed'"
                " AND node_id IS NULL AND message <> 'execution started'", e=execution_id)  # fmt: skip
    assert ended[0][0] == 1
    stats = sql("SELECT execution_count, success_count FROM workflows WHERE id = :w", w=workflow_id)
    assert tuple(stats[0]) == (1, 1)
    return execution


def test_case1_the_same_message_delivered_twice_changes_state_once(engine: Engine, hits: HitServer) -> None:
    workflow_id = http_workflow(engine, hits.url)
    execution_id = engine.start(workflow_id)
    messages = engine.receive("http_request")
    assert len(messages) == 1
    engine.deliver("http_request", messages)
    engine.deliver("http_request", messages)  # SQS at-least-once: the very same body again
    assert handle_step_message(StepMessage.model_validate_json(messages[0]["Body"])) == "skipped"
    engine.pump()
    assert hits.hits == 1
    call = engine.nodes(execution_id)["call"]
    assert (call["attempt"], call["output"]["body"]) == (1, {"hit": 1})
    assert_ended_once(engine, execution_id, workflow_id)


def test_case1_concurrent_duplicate_deliveries_claim_once(engine: Engine, hits: HitServer) -> None:
    workflow_id = http_workflow(engine, hits.url)
    execution_id = engine.start(workflow_id)
    body = engine.receive("http_request")[0]["Body"]
    barrier = threading.Barrier(4)
    results: list[str] = []

    def deliver() -> None:
        barrier.wait()
        results.append(handle_step_message(StepMessage.model_validate_json(body)))

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["completed", "skipped", "skipped", "skipped"]
    engine.pump()
    assert hits.hits == 1
    assert_ended_once(engine, execution_id, workflow_id)


def test_case2_killed_after_the_side_effect_the_lease_sweep_finishes_it_once(
    engine: Engine, hits: HitServer
) -> None:
    workflow_id = http_workflow(engine, hits.url)
    execution_id = engine.start(workflow_id)
    engine.deliver("http_request", engine.receive("http_request"), StepDeps(faults=KillAt("after_run")))
    engine.deliver("http_request", engine.receive("http_request"))  # redelivery: RUNNING, not ours
    assert engine.nodes(execution_id)["call"]["status"] == "RUNNING"
    with UnitOfWork() as uow:
        messages = requeue_expired_leases(uow.session, utcnow() + timedelta(hours=1))
        uow.commit()
    publish_outbox(messages)
    engine.pump()
    call = engine.nodes(execution_id)["call"]
    assert (call["attempt"], hits.hits) == (2, 2)  # node side effects are at-least-once (§5)
    assert_ended_once(engine, execution_id, workflow_id)


def test_case2_killed_after_commit_before_publish_the_outbox_sweep_finishes_it(
    engine: Engine, hits: HitServer, inline_mode: bool
) -> None:
    workflow_id = http_workflow(engine, hits.url)
    execution_id = engine.start(workflow_id)
    engine.deliver("http_request", engine.receive("http_request"), StepDeps(faults=KillAt("after_commit")))
    assert engine.drain() == 1  # only the redelivered step itself: the successor was never sent
    # Inline, the pure successor ran in the committed completion: nothing was left to publish.
    assert engine.nodes(execution_id)["after"]["status"] == ("SUCCEEDED" if inline_mode else "QUEUED")
    assert republish_stale_outbox(timedelta(0)) == (0 if inline_mode else 1)
    engine.pump()
    assert hits.hits == 1
    assert_ended_once(engine, execution_id, workflow_id)


def test_case2_killed_after_publish_the_redelivery_is_acknowledged(engine: Engine, hits: HitServer) -> None:
    workflow_id = http_workflow(engine, hits.url)
    execution_id = engine.start(workflow_id)
    failed = engine.deliver(
        "http_request", engine.receive("http_request"), StepDeps(faults=KillAt("after_publish"))
    )
    assert len(failed) == 1
    engine.pump()
    assert hits.hits == 1
    assert republish_stale_outbox(timedelta(0)) == 0
    assert_ended_once(engine, execution_id, workflow_id)


def test_case3_a_late_completion_after_the_lease_expired_is_fenced_out(
    engine: Engine, hits: HitServer
) -> None:
    workflow_id = http_workflow(engine, hits.url)
    execution_id = engine.start(workflow_id)
    message = StepMessage.model_validate_json(engine.receive("http_request")[0]["Body"])
    claimed = claim_step(message)
    assert claimed is not None
    step, compiled, credential = claimed
    slow = run_claimed(message, step, compiled, credential=credential, now=utcnow())  # hit 1
    with UnitOfWork() as uow:
        publish_outbox(requeue_expired_leases(uow.session, utcnow() + timedelta(hours=1)))
        uow.commit()
    engine.pump()  # attempt 2 runs and completes: hit 2
    assert complete_step(message, slow, StepDeps()) is None  # the late writer loses
    call = engine.nodes(execution_id)["call"]
    assert (call["attempt"], call["output"]["body"]) == (2, {"hit": 2})
    assert_ended_once(engine, execution_id, workflow_id)


def test_case4_a_poison_message_fails_alone_and_reaches_the_dlq(engine: Engine) -> None:
    import json

    dlq = engine.sqs.create_queue(QueueName="step-noop-dlq")["QueueUrl"]
    dlq_arn = engine.sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    engine.sqs.set_queue_attributes(
        QueueUrl=engine.urls["noop"],
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5"})},
    )
    # A poison message on a pure node's queue: the queued-step mode (inline, no message is sent).
    workflow_id = engine.workflow([trigger(), node("n", "noop")], [("start", "n")], inlinePureNodes=False)
    engine.sqs.send_message(QueueUrl=engine.urls["noop"], MessageBody='{"executionId": "nope"}')
    execution_id = engine.start(workflow_id)
    first = engine.receive("noop")
    assert len(first) == 2
    failed = engine.deliver("noop", first)
    assert len(failed) == 1 and engine.execution(execution_id)["status"] == "SUCCEEDED"
    for _ in range(6):
        batch = engine.receive("noop")
        if batch:
            engine.deliver("noop", batch)
    dead = engine.sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in dead] == ['{"executionId": "nope"}']


def test_case5_siblings_completing_at_the_same_time_fire_the_join_once(engine: Engine) -> None:
    # Siblings as queued steps completing at once; the inline join is in test_engine_inline.py.
    workflow_id = engine.workflow(
        [trigger(), node("left", "noop"), node("right", "noop"), node("join", "merge")],
        [("start", "left"), ("start", "right"), ("left", "join"), ("right", "join")],
        inlinePureNodes=False,
    )
    for _ in range(15):
        execution_id = engine.start(workflow_id, {"v": 1})
        bodies = [StepMessage.model_validate_json(m["Body"]) for m in engine.receive("noop")]
        assert len(bodies) == 2
        attempts = []
        for message in bodies:
            claimed = claim_step(message)
            assert claimed is not None
            step, compiled, credential = claimed
            attempts.append(
                (message, run_claimed(message, step, compiled, credential=credential, now=utcnow()))
            )
        barrier = threading.Barrier(2)
        published: list[Any] = []

        def complete(message: StepMessage, attempt: Any) -> None:
            barrier.wait()
            published.extend(complete_step(message, attempt, StepDeps()) or [])

        threads = [threading.Thread(target=complete, args=pair) for pair in attempts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [m.node_id for m in published] == ["join"]
        join = engine.nodes(execution_id)["join"]
        assert (join["status"], join["input"]) == ("QUEUED", {"left": {"v": 1}, "right": {"v": 1}})
        publish_outbox(published)
        engine.pump()
        assert engine.execution(execution_id)["status"] == "SUCCEEDED"


@pytest.fixture(autouse=True, params=[False, True], ids=["inline-off", "inline-on"])
def inline_mode(request: pytest.FixtureRequest) -> bool:
    """Every fault case in both modes: pure nodes as queued steps, and inline (issue 10)."""
    if "engine" in request.fixturenames:
        request.getfixturevalue("engine").inline = request.param
    return bool(request.param)
