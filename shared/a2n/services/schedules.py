"""Schedule fires: one execution per (trigger, scheduled time), whatever EventBridge delivers.

A duplicate or retried fire finds the execution the first one started (unique constraint); fires for
inactive or deleted workflows, and fires older than the lateness limit, are dropped, never retried.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any


class FireOutcome(StrEnum):
    STARTED = "started"
    DUPLICATE = "duplicate"  # this (trigger, time) already has its execution
    INACTIVE = "inactive"  # trigger or workflow inactive, deleted, or unknown
    TOO_LATE = "too_late"
    MALFORMED = "malformed"
    POLLED = "polled"
    RATE_LIMITED = "rate_limited"  # over the workspace's start rate: skipped, in the audit log
    DEACTIVATED = "deactivated"  # the poll failed once too often in a row: the workflow was turned off


@dataclass(frozen=True)
class FireResult:
    outcome: FireOutcome
    execution_ids: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True)
class ScheduleFire:
    trigger_id: uuid.UUID
    scheduled_time: datetime

    @classmethod
    def from_event(cls, event: Any) -> ScheduleFire | None:
        """The schedule's Input: ``{"triggerId", "scheduledTime"}``; None when it is not that."""
        if not isinstance(event, Mapping):
            return None
        try:
            trigger_id = uuid.UUID(str(event["triggerId"]))
            moment = datetime.fromisoformat(str(event["scheduledTime"]).replace("Z", "+00:00"))
        except (KeyError, ValueError):
            return None
        if moment.tzinfo is None:
            return None
        return cls(trigger_id, moment.astimezone(UTC))


def handle_fire(event: Any, *, now: datetime | None = None) -> FireResult:
    """What the schedule function does with one EventBridge Scheduler invocation."""
    from a2n.observability import get_logger

    get_logger().clear_state()  # no keys left over from a previous invocation
    fire = ScheduleFire.from_event(event)
    result = _handle(fire, now or datetime.now(UTC)) if fire else FireResult(FireOutcome.MALFORMED)
    get_logger().info(
        "schedule fire",
        extra={"outcome": result.outcome.value, "trigger_id": str(fire.trigger_id) if fire else None},
    )
    return result


def _handle(fire: ScheduleFire, now: datetime) -> FireResult:
    from a2n.settings import get_settings

    if now - fire.scheduled_time > timedelta(seconds=get_settings().schedule_max_lateness_s):
        return FireResult(FireOutcome.TOO_LATE)
    return start_scheduled_run(fire)


def start_scheduled_run(fire: ScheduleFire) -> FireResult:
    """One fire; a failing poll is counted, and re-raised (EventBridge retries) until the trigger has
    failed A2N_POLL_FAILURES_TO_DEACTIVATE times in a row, which deactivates its workflow."""
    from a2n.services.polling import PollFailed, count_poll_failure

    try:
        return _start_scheduled_run(fire)
    except PollFailed as failure:
        if count_poll_failure(fire.trigger_id, failure.detail or str(failure)):
            return FireResult(FireOutcome.DEACTIVATED)
        raise


def _start_scheduled_run(fire: ScheduleFire) -> FireResult:
    from a2n.db.enums import ExecutionMode, TriggerType
    from a2n.db.repositories.triggers import TriggerRepository
    from a2n.db.uow import UnitOfWork
    from a2n.execution.links import start_execution
    from a2n.execution.outbox import publish_outbox
    from a2n.execution.start import StartRequest

    with UnitOfWork() as uow:
        live = TriggerRepository(uow.session).with_workflow(fire.trigger_id)
        if live is None or not live.accepts_fires:
            return FireResult(FireOutcome.INACTIVE)
        if live.trigger.type == TriggerType.POLL:
            from a2n.services.polling import poll_once

            return FireResult(FireOutcome.POLLED, poll_once(uow, live, fire.scheduled_time))
        if live.trigger.type != TriggerType.SCHEDULE:
            return FireResult(FireOutcome.INACTIVE)
        if not _admitted(uow, live, fire):
            return FireResult(FireOutcome.RATE_LIMITED)
        request = StartRequest(
            workflow_id=live.workflow.id,
            workspace_id=live.workflow.workspace_id,
            mode=ExecutionMode.SCHEDULE,
            trigger_data={"scheduledTime": _iso(fire.scheduled_time)},
            trigger_node_id=live.trigger.node_id,
            trigger_id=live.trigger.id,
            scheduled_time=fire.scheduled_time,
        )
        started, messages = start_execution(uow.session, request)
        uow.commit()
    publish_outbox(messages)
    outcome = FireOutcome.STARTED if started.created else FireOutcome.DUPLICATE
    return FireResult(outcome, (started.execution_id,))


def _admitted(uow: Any, live: Any, fire: ScheduleFire) -> bool:
    """Whether the workspace's start rate lets this fire run. A skipped fire is not retried (it has
    no caller to answer, and a retry would add load where there is too much): it is committed to
    the audit log, where the owner sees it."""
    from a2n.services.start_limits import admit_starts, record_skipped_fire

    workspace_id = live.workflow.workspace_id
    if admit_starts(uow.session, workspace_id, 1) == 1:
        return True
    details = {"triggerId": str(live.trigger.id), "nodeId": live.trigger.node_id, "mode": "schedule",
               "scheduledTime": _iso(fire.scheduled_time)}  # fmt: skip
    record_skipped_fire(uow.session, workspace_id, workflow_id=live.workflow.id, details=details)
    uow.commit()
    return False


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
