"""SECURITY cases 2-3 again without a per-minute sweeper: a step killed after its claim or after its
commit, a failed publish, a start killed before publishing, a failed schedule creation and a killed
sweeper or timer still end every execution exactly once — the only sweeps are the ticks the engine
asked for (timer_harness fires them on the engine's clock)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import engine_harness
import pytest
import timer_harness
from engine_harness import STEP_TYPES, Engine, HitServer, node, sql, trigger
from test_steps_faults import KillAt, assert_ended_once, http_workflow
from timer_harness import DAY_MS, TWO_HOURS, Timers, parked, wait_workflow

from a2n.adapters import scheduler
from a2n.db.enums import ExecutionMode
from a2n.db.uow import UnitOfWork
from a2n.errors import ServiceUnavailable
from a2n.execution import outbox
from a2n.execution import timers as engine_timers
from a2n.execution.links import start_execution
from a2n.execution.start import StartRequest
from a2n.execution.steps import StepDeps

engine = engine_harness.engine
hits = engine_harness.hits
timers = timer_harness.timers

LEASE = timedelta(seconds=25 + 120)  # node_timeout_default_s + step_lease_s


def settle_by_ticks(engine: Engine, timers: Timers, execution_id: uuid.UUID, *, within: timedelta) -> int:
    """Minute by minute: fire what is due, deliver what was sent; how many sweep ticks it took."""
    ticks = 0
    for _ in range(int(within.total_seconds() // 60)):
        ticks += len([f for f in timers.advance(timedelta(minutes=1)) if f.name.startswith("sweep-")])
        deliver_sent(engine)
        if engine.execution(execution_id)["status"] == "SUCCEEDED":
            break
    return ticks


def deliver_sent(engine: Engine) -> None:
    """Run every step message already in the queues (and what they send), then stop."""
    while any([engine.deliver(t, m) is not None for t in STEP_TYPES if (m := engine.receive(t))]):
        pass


def killed_after_claim(engine: Engine, hits: HitServer) -> tuple[uuid.UUID, uuid.UUID]:
    """An HTTP run whose first step dies right after its claim: (workflow id, execution id)."""
    workflow_id = http_workflow(engine, hits.url)
    execution_id = engine.start(workflow_id)
    engine.deliver("http_request", engine.receive("http_request"), StepDeps(faults=KillAt("after_claim")))
    return workflow_id, execution_id


def assert_quiet_after(timers: Timers) -> None:
    """Nothing in flight any more: at most one more tick looks, then no schedule is left."""
    timers.advance(timedelta(minutes=3))
    assert timers.pending() == {}
    assert timers.advance(timedelta(hours=6)) == []


def test_killed_after_its_claim_the_ticks_the_start_asked_for_requeue_the_expired_lease(
    engine: Engine, hits: HitServer, timers: Timers
) -> None:
    workflow_id, execution_id = killed_after_claim(engine, hits)
    engine.deliver("http_request", engine.receive("http_request"))  # redelivery: RUNNING, not ours
    assert engine.nodes(execution_id)["call"]["status"] == "RUNNING"

    ticks = settle_by_ticks(engine, timers, execution_id, within=LEASE + timedelta(minutes=3))

    # The first tick a minute or two after the start, one a minute after it until the lease expired.
    assert 2 <= ticks <= 3
    call = engine.nodes(execution_id)["call"]
    assert (call["attempt"], hits.hits) == (2, 1)  # attempt 1 died before its request
    assert_ended_once(engine, execution_id, workflow_id)
    assert_quiet_after(timers)


@pytest.mark.parametrize("fault", ["killed after commit", "publish failed"])
def test_successors_never_sent_are_republished_by_the_next_tick(
    engine: Engine, hits: HitServer, timers: Timers, fault: str
) -> None:
    workflow_id = http_workflow(engine, hits.url)
    execution_id = engine.start(workflow_id)
    if fault == "killed after commit":
        deps = StepDeps(faults=KillAt("after_commit"))
    else:
        deps = StepDeps(publish=lambda messages: None)  # every send refused: the rows stay
    engine.deliver("http_request", engine.receive("http_request"), deps)
    engine.drain()  # the killed step's own redelivery
    assert engine.nodes(execution_id)["after"]["status"] == "QUEUED"

    settle_by_ticks(engine, timers, execution_id, within=timedelta(minutes=3))

    assert hits.hits == 1
    assert_ended_once(engine, execution_id, workflow_id)
    assert_quiet_after(timers)


def test_a_start_killed_before_publishing_is_published_by_the_tick_it_asked_for(
    engine: Engine, timers: Timers
) -> None:
    workflow_id = engine.workflow([trigger(), node("n", "noop")], [("start", "n")])
    request = StartRequest(workflow_id, engine.workspace_id, ExecutionMode.MANUAL)
    with UnitOfWork() as uow:
        started, _never_published = start_execution(uow.session, request)
        uow.commit()

    assert len(timers.ticks()) == 1
    settle_by_ticks(engine, timers, started.execution_id, within=timedelta(minutes=3))

    assert_ended_once(engine, started.execution_id, workflow_id)
    assert_quiet_after(timers)


def test_a_start_whose_tick_cannot_be_scheduled_is_refused_and_writes_nothing(
    engine: Engine, timers: Timers, monkeypatch: pytest.MonkeyPatch
) -> None:
    workflow_id = engine.workflow([trigger(), node("n", "noop")], [("start", "n")])

    def refused(spec: scheduler.ScheduleSpec) -> bool:
        raise ServiceUnavailable("scheduler error: ThrottlingException")

    monkeypatch.setattr(scheduler, "create_schedule", refused)

    with pytest.raises(ServiceUnavailable):
        engine.start(workflow_id)

    assert sql("SELECT count(*) FROM executions")[0][0] == 0
    assert sql("SELECT count(*) FROM outbox")[0][0] == 0


def test_a_wait_whose_timer_cannot_be_created_is_retried_by_its_lease_and_parks_on_the_next_attempt(
    engine: Engine, timers: Timers, monkeypatch: pytest.MonkeyPatch
) -> None:
    workflow_id = wait_workflow(engine, TWO_HOURS, timeoutMs=DAY_MS)
    execution_id = engine.start(workflow_id)
    create = scheduler.create_schedule

    def no_node_timers(spec: scheduler.ScheduleSpec) -> bool:
        if spec.name.startswith(engine_timers.NODE_TIMER_PREFIX):
            raise ServiceUnavailable("scheduler error: InternalServerException")
        return create(spec)

    monkeypatch.setattr(scheduler, "create_schedule", no_node_timers)
    failed = engine.deliver("wait", engine.receive("wait"))
    monkeypatch.setattr(scheduler, "create_schedule", create)

    assert len(failed) == 1  # the completion rolled back: the node is still RUNNING on its lease
    assert engine.nodes(execution_id)["pause"]["status"] == "RUNNING"
    engine.drain()
    timers.run_until(timers.now + LEASE + timedelta(minutes=2))
    engine.pump(until=lambda: engine.nodes(execution_id)["pause"]["status"] == "WAITING")
    pause = engine.nodes(execution_id)["pause"]
    assert pause["attempt"] == 2 and [n for n in timers.pending() if n.startswith("timer-")]

    timers.run_until(pause["wait_until"])
    engine.pump(until=lambda: engine.execution(execution_id)["status"] == "SUCCEEDED")

    assert_ended_once(engine, execution_id, workflow_id)
    assert_quiet_after(timers)


def test_a_timer_fire_killed_after_its_commit_is_published_by_the_tick_it_asked_for(
    engine: Engine, timers: Timers, monkeypatch: pytest.MonkeyPatch
) -> None:
    workflow_id = wait_workflow(engine, TWO_HOURS, timeoutMs=DAY_MS)
    execution_id = engine.start(workflow_id)
    parked(engine, execution_id)
    until = engine.nodes(execution_id)["pause"]["wait_until"]
    publish = outbox.publish_outbox
    monkeypatch.setattr(outbox, "publish_outbox", lambda messages: None)  # the sweeper dies here
    timers.run_until(until)
    monkeypatch.setattr(outbox, "publish_outbox", publish)
    assert engine.drain() == 0 and sql("SELECT count(*) FROM outbox")[0][0] == 1

    timers.advance(timedelta(minutes=2))
    engine.pump(until=lambda: engine.execution(execution_id)["status"] == "SUCCEEDED")

    assert_ended_once(engine, execution_id, workflow_id)
    assert_quiet_after(timers)


def test_a_sweeper_killed_before_asking_for_the_next_tick_is_retried_by_the_scheduler(
    engine: Engine, hits: HitServer, timers: Timers, monkeypatch: pytest.MonkeyPatch
) -> None:
    workflow_id, execution_id = killed_after_claim(engine, hits)
    ensure = engine_timers.ensure_sweep

    def dies(not_before: object) -> None:
        raise ServiceUnavailable("scheduler unreachable")

    monkeypatch.setattr(engine_timers, "ensure_sweep", dies)
    (first,) = timers.advance(timedelta(minutes=2))
    monkeypatch.setattr(engine_timers, "ensure_sweep", ensure)
    assert first.error is not None and timers.ticks() == [first.name]  # not deleted: retried

    retried = timers.advance(timedelta(minutes=1), retry_failed=True)
    assert retried[0].name == first.name and retried[0].error is None

    settle_by_ticks(engine, timers, execution_id, within=LEASE + timedelta(minutes=3))
    assert_ended_once(engine, execution_id, workflow_id)
    assert_quiet_after(timers)
