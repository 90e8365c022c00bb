"""The sweeper: the engine's safety net and its timers, run by one-time schedules (a2n.execution.timers)
only while there is something to do, and by a daily rule for retention.

Three kinds of invocation:
- a sweep tick (while work is in flight): republish stale outbox rows, re-queue nodes whose lease
  expired, wake due waits and retries (a net under their own timers), time out executions; then,
  if work is still in flight, make sure the next minute's tick comes — else the chain stops;
- a node timer: wake that node, or time out its execution (timers.NodeTimer);
- the daily run: the same sweep, then retention.
Each duty runs in its own short transaction(s), so one slow or failing duty never blocks the rest;
messages are published after commit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.db.models import OutboxMessage
    from a2n.services.retention import RetentionReport

T = TypeVar("T")
EngineDuty = Callable[["Session", datetime], "Sequence[OutboxMessage]"]


@dataclass(frozen=True)
class SweepReport:
    outbox_republished: int = 0
    lease_messages: int = 0
    wake_messages: int = 0
    timeout_messages: int = 0
    retention: RetentionReport | None = None
    failed_duties: tuple[str, ...] = field(default_factory=tuple)
    # Work still in flight after the sweep: the next tick was asked for.
    chained: bool = False

    def counts(self) -> dict[str, int]:
        """Flat name → count, for the log line and the metrics."""
        flat = {k: int(v) for k, v in asdict(self).items() if isinstance(v, int)}
        if self.retention is not None:
            flat.update(asdict(self.retention))
        flat["failed_duties"] = len(self.failed_duties)
        return flat


def handle_timer_event(event: Any, now: datetime) -> dict[str, int]:
    """What the sweeper function does with one invocation (see the module docstring). An event it
    does not know (a hand-made `aws lambda invoke`) runs a sweep: after an upgrade from the
    per-minute sweeper, one such invocation takes over the work in flight."""
    from a2n.execution.timers import DAILY, NodeTimer

    timer = NodeTimer.from_event(event)
    if timer is not None:
        return {"wake_messages": fire(timer, now)}
    daily = isinstance(event, Mapping) and event.get("kind") == DAILY
    return sweep(now, retention=daily).counts()


def fire(timer: Any, now: datetime) -> int:
    """One node timer; raises TimerEarly (the Scheduler retries) when it came before its time."""
    from a2n.execution.sweeps import fire_node_timer

    return run_engine_duty(lambda session, at: fire_node_timer(session, timer, at), now)


def sweep(now: datetime, *, retention: bool = False) -> SweepReport:
    """One sweep at ``now``; never raises for a duty's failure (it is logged and counted), but does
    when the next tick cannot be asked for (the Scheduler then retries this one)."""
    from a2n.execution import sweeps as engine
    from a2n.execution.outbox import republish_stale_outbox
    from a2n.observability import get_logger
    from a2n.services.notification_routing import republish_stale, warn_expiring_credentials

    failed: list[str] = []
    republished = _guard("outbox", failed, lambda: republish_stale_outbox(_stale_after()), 0)
    # Notification deliveries whose message was lost count as republished step messages do.
    republished += _guard("notifications", failed, lambda: republish_stale(now - _stale_after()), 0)
    leases = _guard("leases", failed, lambda: run_engine_duty(engine.requeue_expired_leases, now), 0)
    wakes = _guard("waits", failed, lambda: run_engine_duty(engine.wake_due_waits, now), 0)
    timeouts = _guard("timeouts", failed, lambda: run_engine_duty(engine.timeout_executions, now), 0)
    kept = _guard("retention", failed, lambda: _retention(now), None) if retention else None
    if retention:  # once a day: owners of credentials expiring within 7 days are told, once each
        _guard("credential expiry", failed, lambda: warn_expiring_credentials(now), 0)
    chained = bool(failed) or _work_in_flight()  # a failed duty is retried by the next tick
    report = SweepReport(republished, leases, wakes, timeouts, kept, tuple(failed), chained)
    get_logger().info("sweep finished", extra={"sweep": report.counts(), "failed": report.failed_duties})
    _emit_metrics(report)
    if chained:
        from a2n.execution.timers import ensure_sweep

        ensure_sweep(now + timedelta(seconds=1))  # the next minute's tick
    return report


def run_engine_duty(duty: EngineDuty, now: datetime) -> int:
    """One engine duty in its own transaction; its step messages are published after commit (a
    sweep is sure to come for them first: timers.ensure_sweep)."""
    from a2n.db.uow import UnitOfWork
    from a2n.execution.outbox import publish_outbox
    from a2n.execution.timers import SWEEP_MARGIN, ensure_sweep

    with UnitOfWork() as uow:
        messages = list(duty(uow.session, now))
        if messages:
            ensure_sweep(now + SWEEP_MARGIN)
        uow.commit()
    publish_outbox(messages)
    return len(messages)


def _work_in_flight() -> bool:
    from a2n.db.repositories.executions import ExecutionRepository
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        return ExecutionRepository(uow.session).work_in_flight()


def _stale_after() -> timedelta:
    from a2n.settings import get_settings

    return timedelta(seconds=get_settings().outbox_republish_after_s)


def _retention(now: datetime) -> RetentionReport:
    from a2n.services.retention import apply_retention

    return apply_retention(now)


def _guard(name: str, failed: list[str], duty: Callable[[], T], fallback: T) -> T:
    try:
        return duty()
    except Exception:
        # The next tick retries; the other duties must still run now.
        from a2n.observability import get_logger

        get_logger().exception("sweeper duty failed", extra={"duty": name})
        failed.append(name)
        return fallback


def _emit_metrics(report: SweepReport) -> None:
    from aws_lambda_powertools.metrics import MetricUnit

    from a2n.observability import get_metrics

    metrics = get_metrics()
    for name, value in report.counts().items():
        metrics.add_metric(name="Sweep" + name.title().replace("_", ""), unit=MetricUnit.Count, value=value)
    metrics.flush_metrics()
