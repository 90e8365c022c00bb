"""Engine timers: one-time EventBridge Scheduler schedules, so that nothing polls Postgres while
nothing runs (scale to zero). Both kinds live in the stack's schedule group, invoke the sweeper
function (settings.timer_target_arn) and delete themselves once fired.

*Node timers* (`timer-…`). A node parked for longer than SQS can delay a message (900 s) — a wait, a
retry, a resume wait, a sub-workflow node waiting for its child — gets a timer at the earlier of its
due time and its execution's deadline. It is created inside the transaction that parks the node,
before commit: if the Scheduler refuses, that transaction rolls back and whatever drove it is
retried (SQS redelivers the step, the API answers 503). A timer whose transaction then rolled back
fires into a node that is not parked and changes nothing. A node that leaves the parked state
another way (resumed, its child ended, cancelled, timed out) has its timer deleted after commit, best
effort: a stray fire is fenced by the attempt and costs one query.

*Sweep ticks* (`sweep-<minute>`). The sweeper runs only while work is in flight (an outbox row,
a RUNNING node): every transaction that writes step messages makes sure, before commit, that a tick
comes at least SWEEP_MARGIN later — by then that transaction has committed or rolled back, so the
tick sees its work — and each sweep that still finds work in flight asks for the next minute's. When
nothing is in flight no tick is asked for, the chain stops, and no function touches the database.
A tick is named by its minute, so every container asking for one minute gets the same schedule; a
container remembers the latest minute it made sure of and asks the Scheduler about once a minute,
not once per step.
"""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from a2n.adapters.sqs import SQS_MAX_DELAY_S
from a2n.db.uow import after_commit
from a2n.engine.statuses import NODE_TERMINAL, NodeStatus
from a2n.errors import ConfigurationError
from a2n.observability import get_logger
from a2n.settings import get_settings

if TYPE_CHECKING:
    from a2n.adapters.scheduler import ScheduleSpec
    from a2n.db.repositories.executions import ExecutionRepository, StoredNodeState
    from a2n.execution.rows import NodeRowUpdate

# A tick asked for by a transaction fires at least this long after it: longer than any transaction
# takes from writing its step messages to its commit (statements time out after 15 s).
SWEEP_MARGIN = timedelta(seconds=60)
# A timer is never set closer than this (an at() in the past may never fire).
MIN_LEAD = timedelta(seconds=60)
NODE_TIMER_PREFIX = "timer-"
SWEEP_PREFIX = "sweep-"
WAKE, SWEEP, DAILY = "wake", "sweep", "daily"


@dataclass(frozen=True, slots=True)
class NodeTimer:
    """The timer of one parked attempt of one node."""

    execution_id: uuid.UUID
    node_id: str
    attempt: int

    @property
    def name(self) -> str:
        """≤ 64 characters of [0-9a-z-]: node ids are free text, so they are hashed."""
        node = hashlib.sha256(self.node_id.encode()).hexdigest()[:12]
        return f"{NODE_TIMER_PREFIX}{self.execution_id.hex}-{node}-{self.attempt}"

    def event(self) -> dict[str, Any]:
        return {"kind": WAKE, "executionId": str(self.execution_id), "nodeId": self.node_id,
                "attempt": self.attempt}  # fmt: skip

    @classmethod
    def from_event(cls, event: Any) -> NodeTimer | None:
        if not isinstance(event, Mapping) or event.get("kind") != WAKE:
            return None
        try:
            return cls(uuid.UUID(str(event["executionId"])), str(event["nodeId"]), int(event["attempt"]))
        except (KeyError, ValueError, TypeError):
            return None


def follow(
    repo: ExecutionRepository,
    execution_id: uuid.UUID,
    stored: Mapping[str, StoredNodeState],
    rows: Mapping[str, NodeRowUpdate],
    now: datetime,
) -> None:
    """Inside the transaction writing `rows`: arm a timer for every row it parks, and delete (after
    commit) the timers of rows it takes out of a parked state."""
    parking = [row for row in rows.values() if _parks(row, now)]
    if parking:
        deadline = repo.deadline_of(execution_id)
        for row in parking:
            attempt = row.attempt if row.attempt is not None else stored[row.node_id].attempt
            due = row.wait_until if row.status is NodeStatus.WAITING else row.next_attempt_at
            arm(NodeTimer(execution_id, row.node_id, attempt), fire_time(due, deadline, now))
    leaving = [
        NodeTimer(execution_id, node_id, stored[node_id].attempt)
        for node_id, row in rows.items()
        if node_id in stored and _leaves_parked(stored[node_id], row)
    ]
    if leaving:
        after_commit(repo.session, lambda: cancel(leaving))


def _parks(row: NodeRowUpdate, now: datetime) -> bool:
    if row.status is NodeStatus.QUEUED:
        return row.next_attempt_at is not None  # a retry longer than SQS can delay
    if row.status is not NodeStatus.WAITING:
        return False
    # A wait SQS can hold wakes through a delayed step message (an outbox row: the sweeper watches it).
    return row.wait_until is None or row.wait_until - now > timedelta(seconds=SQS_MAX_DELAY_S)


def _leaves_parked(state: StoredNodeState, row: NodeRowUpdate) -> bool:
    """A waiting node that stops waiting, or a queued retry (attempt > 1: its delay may have been a
    long one) that ends without running (cancelled, timed out, skipped)."""
    if state.status == NodeStatus.WAITING.value:
        return row.status is not NodeStatus.WAITING
    return state.status == NodeStatus.QUEUED.value and state.attempt > 1 and row.status in NODE_TERMINAL


def fire_time(due: datetime | None, deadline: datetime | None, now: datetime) -> datetime:
    """The earlier of the due time and the deadline, at least MIN_LEAD from now, on a whole second
    (rounded up: a timer must not fire before its node is due)."""
    moments = [m for m in (due, deadline) if m is not None]
    at = max(min(moments) if moments else now, now + MIN_LEAD)
    return datetime.fromtimestamp(math.ceil(at.timestamp()), UTC)


def arm(timer: NodeTimer, at: datetime) -> None:
    from a2n.adapters.scheduler import create_schedule

    create_schedule(_spec(timer.name, at, timer.event(), f"wake {timer.node_id} (attempt {timer.attempt})"))


def cancel(timers: Sequence[NodeTimer]) -> None:
    """Delete timers nobody needs any more; a failure is logged (the fire is fenced), never raised."""
    from a2n.adapters.scheduler import delete_schedule

    group = get_settings().schedule_group
    for timer in timers:
        try:
            delete_schedule(timer.name, group)
        except Exception as error:
            get_logger().warning("engine timer not deleted; its fire will find nothing to do",
                                 extra={"timer": timer.name, "error": str(error)})  # fmt: skip


# Per container: the latest sweep tick (epoch minute) made sure of, per Scheduler endpoint and group.
_ensured: dict[tuple[str | None, str], int] = {}


def ensure_sweep(not_before: datetime) -> None:
    """Make sure a sweep tick fires at `not_before` or within the minute after it."""
    settings = get_settings()
    key = (settings.aws_endpoint_url, settings.schedule_group)
    minute = math.ceil(not_before.timestamp() / 60)
    if _ensured.get(key, -1) >= minute:
        return
    from a2n.adapters.scheduler import create_schedule

    at = datetime.fromtimestamp(minute * 60, UTC)
    create_schedule(_spec(f"{SWEEP_PREFIX}{minute}", at, {"kind": SWEEP}, "sweep while work is in flight"))
    _ensured[key] = max(_ensured.get(key, -1), minute)


def forget_ensured_sweeps() -> None:
    """Tests and the local runtime: another Scheduler (a fresh moto) has none of the ticks."""
    _ensured.clear()


def _spec(name: str, at: datetime, event: Mapping[str, Any], description: str) -> ScheduleSpec:
    from a2n.adapters.scheduler import ScheduleSpec

    settings = get_settings()
    if not settings.timer_target_arn or not settings.timer_role_arn:
        raise ConfigurationError(
            "engine timers need A2N_TIMER_TARGET_ARN and A2N_TIMER_ROLE_ARN (the sweeper function and"
            " the role EventBridge Scheduler assumes to invoke it): template.yaml sets both, and a2n dev"
            " reads them from it"
        )
    return ScheduleSpec(
        name=name,
        group=settings.schedule_group,
        expression=f"at({at.astimezone(UTC):%Y-%m-%dT%H:%M:%S})",
        timezone="UTC",
        target_arn=settings.timer_target_arn,
        role_arn=settings.timer_role_arn,
        input=json.dumps(dict(event), separators=(",", ":")),
        dlq_arn=settings.schedule_dlq_arn,
        description=f"A2N engine timer: {description}",
        delete_after_completion=True,
    )
