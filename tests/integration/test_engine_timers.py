"""Scale to zero: waits, long retries and deadlines are one-time Scheduler schedules (engine timers),
and the sweeper runs only when the engine asked for a tick. Time is the engine's clock, moved by
the test; the only sweeps are the ones the Scheduler (timer_harness) fires."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta

import engine_harness
import pytest
import timer_harness
from engine_harness import Engine, HitServer, node, sql, trigger
from timer_harness import DAY_MS, Timers, parked, parked_for_two_hours, wait_workflow

from a2n.db.uow import UnitOfWork
from a2n.execution.control import cancel_execution, issue_resume_token, resume_node
from a2n.execution.outbox import publish_outbox
from a2n.execution.sweeps import TimerEarly
from a2n.execution.timers import NodeTimer
from a2n.services.sweeper import handle_timer_event

engine = engine_harness.engine
hits = engine_harness.hits
timers = timer_harness.timers


def on_second(moment: datetime) -> datetime:
    return datetime.fromtimestamp(math.ceil(moment.timestamp()), UTC)


def node_timers(timers: Timers) -> dict[str, datetime]:
    return {name: at for name, (at, _) in timers.pending().items() if name.startswith("timer-")}


def resume_token(execution_id: uuid.UUID) -> str:
    with UnitOfWork() as uow:
        _, token = issue_resume_token(uow.session, execution_id=execution_id, node_id="pause")
        uow.commit()
    return token


def test_a_two_hour_wait_parks_on_one_timer_that_wakes_it_and_nothing_sweeps_meanwhile(
    engine: Engine, timers: Timers
) -> None:
    execution_id = parked_for_two_hours(engine)
    until = engine.nodes(execution_id)["pause"]["wait_until"]
    assert until == timers.now + timedelta(hours=2)

    assert node_timers(timers) == {NodeTimer(execution_id, "pause", 1).name: on_second(until)}
    assert sql("SELECT count(*) FROM outbox")[0][0] == 0
    # The ticks the start asked for find the run parked: the chain stops, nothing sweeps for 2 hours.
    (tick,) = timers.run_until(until - timedelta(seconds=1))
    assert tick.name.startswith("sweep-") and tick.at <= timers.now - timedelta(hours=1)
    assert timers.ticks() == [] and engine.execution(execution_id)["status"] == "WAITING"

    (woken,) = timers.run_until(until + timedelta(seconds=1))
    engine.pump(until=lambda: engine.execution(execution_id)["status"] == "SUCCEEDED")

    assert woken.name == NodeTimer(execution_id, "pause", 1).name and woken.error is None
    assert engine.execution(execution_id)["status"] == "SUCCEEDED"
    assert "resumedAt" in engine.nodes(execution_id)["after"]["input"]
    timers.advance(timedelta(minutes=5))
    assert timers.pending() == {}  # the tick after the wake found nothing in flight


def test_a_retry_delayed_thirty_minutes_is_queued_by_its_timer(
    engine: Engine, hits: HitServer, timers: Timers
) -> None:
    hits.statuses = [503]
    half_hour = 1_800_000
    retry = {"maxAttempts": 2, "backoff": "fixed", "initialDelayMs": half_hour, "maxDelayMs": half_hour,
             "jitter": False}  # fmt: skip
    workflow_id = engine.workflow(
        [trigger(), node("call", "http_request", {"method": "GET", "url": hits.url}, retry=retry)],
        [("start", "call")],
    )
    execution_id = engine.start(workflow_id)
    engine.pump(until=lambda: engine.nodes(execution_id)["call"]["next_attempt_at"] is not None)
    due = engine.nodes(execution_id)["call"]["next_attempt_at"]

    assert due == timers.now + timedelta(minutes=30)
    assert node_timers(timers) == {NodeTimer(execution_id, "call", 2).name: on_second(due)}
    timers.run_until(due - timedelta(seconds=1))
    assert (hits.hits, timers.ticks()) == (1, [])

    timers.run_until(due + timedelta(seconds=1))
    engine.pump()

    assert (engine.execution(execution_id)["status"], hits.hits) == ("SUCCEEDED", 2)
    assert engine.nodes(execution_id)["call"]["next_attempt_at"] is None


def test_a_resume_wait_times_out_at_the_execution_deadline_on_its_timer(
    engine: Engine, timers: Timers
) -> None:
    execution_id = engine.start(wait_workflow(engine, {"mode": "resume"}, timeoutMs=3 * 3_600_000))
    parked(engine, execution_id)
    deadline = engine.execution(execution_id)["deadline_at"]

    assert deadline == timers.now + timedelta(hours=3)
    assert node_timers(timers) == {NodeTimer(execution_id, "pause", 1).name: on_second(deadline)}
    timers.run_until(deadline - timedelta(seconds=1))
    assert engine.execution(execution_id)["status"] == "WAITING"

    timers.run_until(deadline + timedelta(seconds=1))

    assert engine.execution(execution_id)["status"] == "TIMED_OUT"
    assert engine.nodes(execution_id)["pause"]["status"] == "CANCELLED"


def test_a_wait_past_the_deadline_fires_at_the_deadline_not_at_its_end(
    engine: Engine, timers: Timers
) -> None:
    """The default execution timeout (an hour) ends a two-hour wait at its deadline."""
    execution_id = engine.start(wait_workflow(engine, {"mode": "duration", "seconds": 7200}))
    parked(engine, execution_id)

    (at,) = node_timers(timers).values()
    assert at == on_second(engine.execution(execution_id)["deadline_at"])
    timers.run_until(at)
    assert engine.execution(execution_id)["status"] == "TIMED_OUT"


def test_resuming_or_cancelling_a_waiting_node_deletes_its_timer(engine: Engine, timers: Timers) -> None:
    resumed = engine.start(wait_workflow(engine, {"mode": "resume", "timeoutSeconds": 7200}))
    cancelled = engine.start(wait_workflow(engine, {"mode": "duration", "seconds": 7200}))
    parked(engine, resumed)
    parked(engine, cancelled)
    both = {NodeTimer(resumed, "pause", 1).name, NodeTimer(cancelled, "pause", 1).name}
    assert set(node_timers(timers)) == both
    token = resume_token(resumed)

    with UnitOfWork() as uow:
        messages = resume_node(uow.session, execution_id=resumed, token=token, data={"ok": True})
        assert set(node_timers(timers)) == both
        uow.commit()  # deleted after commit: a rolled-back resume keeps its timer
    publish_outbox(messages)
    with UnitOfWork() as uow:
        cancel_execution(uow.session, cancelled)
        uow.commit()
    engine.pump()

    assert node_timers(timers) == {}
    assert engine.execution(resumed)["status"] == "SUCCEEDED"
    assert engine.execution(cancelled)["status"] == "CANCELLED"


def test_a_rolled_back_resume_keeps_the_timer(engine: Engine, timers: Timers) -> None:
    execution_id = engine.start(wait_workflow(engine, {"mode": "resume", "timeoutSeconds": 7200}))
    parked(engine, execution_id)
    token = resume_token(execution_id)

    with UnitOfWork() as uow:
        resume_node(uow.session, execution_id=execution_id, token=token, data=None)
        # ...and the Lambda dies before its commit.

    assert list(node_timers(timers)) == [NodeTimer(execution_id, "pause", 1).name]
    assert engine.nodes(execution_id)["pause"]["status"] == "WAITING"


def test_a_timer_firing_early_raises_for_the_scheduler_to_retry_and_changes_nothing(
    engine: Engine, timers: Timers
) -> None:
    execution_id = parked_for_two_hours(engine)
    timer = NodeTimer(execution_id, "pause", 1)

    with pytest.raises(TimerEarly):
        handle_timer_event(timer.event(), timers.now + timedelta(minutes=119))

    assert engine.nodes(execution_id)["pause"]["status"] == "WAITING"
    assert sql("SELECT count(*) FROM outbox")[0][0] == 0
    assert handle_timer_event(timer.event(), timers.now + timedelta(minutes=120)) == {"wake_messages": 1}


def test_a_stale_timer_finds_its_node_moved_on_and_does_nothing(engine: Engine, timers: Timers) -> None:
    execution_id = engine.start(wait_workflow(engine, {"mode": "resume", "timeoutSeconds": 7200}))
    parked(engine, execution_id)
    token = resume_token(execution_id)
    with UnitOfWork() as uow:
        publish_outbox(resume_node(uow.session, execution_id=execution_id, token=token, data=None))
        uow.commit()
    engine.pump()

    # A delete that failed: the fire comes anyway, hours after the run ended.
    fired = handle_timer_event(NodeTimer(execution_id, "pause", 1).event(), timers.now + timedelta(hours=2))

    assert fired == {"wake_messages": 0}
    assert engine.execution(execution_id)["status"] == "SUCCEEDED"


def test_a_sub_workflow_parent_waits_on_a_deadline_timer_deleted_when_the_child_ends(
    engine: Engine, timers: Timers
) -> None:
    child = wait_workflow(engine, {"mode": "duration", "seconds": 3600}, timeoutMs=DAY_MS)
    sub = node("sub", "sub_workflow", {"workflowId": str(child), "input": {}})
    parent = engine.workflow(
        [trigger(), sub, node("end", "noop")],
        [("start", "sub"), ("sub", "end")],
        timeoutMs=4 * 3_600_000,
    )
    execution_id = engine.start(parent)
    engine.pump(until=lambda: len(node_timers(timers)) == 2)
    child_id = engine.nodes(execution_id)["sub"]["child_execution_id"]
    pending = node_timers(timers)
    deadline = engine.execution(execution_id)["deadline_at"]
    assert pending[NodeTimer(execution_id, "sub", 1).name] == on_second(deadline)
    assert NodeTimer(child_id, "pause", 1).name in pending

    timers.advance(timedelta(hours=1, seconds=1))
    engine.pump(until=lambda: engine.execution(execution_id)["status"] == "SUCCEEDED")

    assert engine.execution(execution_id)["status"] == "SUCCEEDED"
    assert node_timers(timers) == {}


def test_a_wait_sqs_can_delay_needs_no_timer(engine: Engine, timers: Timers) -> None:
    execution_id = engine.start(wait_workflow(engine, {"mode": "duration", "seconds": 600}))
    parked(engine, execution_id)

    assert node_timers(timers) == {}
    assert sql("SELECT delay_s FROM outbox WHERE node_id = 'pause'") == [(600,)]
    # Its delayed message is work in flight: the ticks keep watching until it is claimed.
    timers.advance(timedelta(minutes=3))
    assert timers.ticks() != []


def test_the_start_asks_for_a_tick_a_minute_ahead_once_per_minute(engine: Engine, timers: Timers) -> None:
    workflow_id = engine.workflow([trigger(), node("n", "noop")], [("start", "n")])
    for _ in range(3):
        engine.start(workflow_id)

    minute = math.ceil((timers.now + timedelta(seconds=60)).timestamp() / 60)
    assert timers.ticks() == [f"sweep-{minute}"]
    engine.pump()
    timers.advance(timedelta(minutes=5))
    assert timers.pending() == {}  # one tick saw nothing in flight and asked for no other
