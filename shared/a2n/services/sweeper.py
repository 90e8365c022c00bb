"""The sweeper (EventBridge, every minute): the engine's safety net and the housekeeping.

Duties, each in its own short transaction(s) so one slow or failing duty never blocks the rest:
republish stale outbox rows, re-queue nodes whose lease expired, wake due waits and retries,
time out executions past their deadline, then retention. Messages are published after commit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

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

    def counts(self) -> dict[str, int]:
        """Flat name → count, for the log line and the metrics."""
        flat = {k: v for k, v in asdict(self).items() if isinstance(v, int)}
        if self.retention is not None:
            flat.update(asdict(self.retention))
        flat["failed_duties"] = len(self.failed_duties)
        return flat


def sweep(now: datetime) -> SweepReport:
    """One sweeper run at ``now``; never raises for a duty's failure (it is logged and counted)."""
    from a2n.execution import sweeps as engine
    from a2n.execution.outbox import republish_stale_outbox
    from a2n.observability import get_logger

    failed: list[str] = []
    republished = _guard("outbox", failed, lambda: republish_stale_outbox(_stale_after()), 0)
    leases = _guard("leases", failed, lambda: run_engine_duty(engine.requeue_expired_leases, now), 0)
    wakes = _guard("waits", failed, lambda: run_engine_duty(engine.wake_due_waits, now), 0)
    timeouts = _guard("timeouts", failed, lambda: run_engine_duty(engine.timeout_executions, now), 0)
    retention = _guard("retention", failed, lambda: _retention(now), None)
    report = SweepReport(republished, leases, wakes, timeouts, retention, tuple(failed))
    get_logger().info("sweep finished", extra={"sweep": report.counts(), "failed": report.failed_duties})
    _emit_metrics(report)
    return report


def run_engine_duty(duty: EngineDuty, now: datetime) -> int:
    """One engine duty in its own transaction; its step messages are published after commit."""
    from a2n.db.uow import UnitOfWork
    from a2n.execution.outbox import publish_outbox

    with UnitOfWork() as uow:
        messages = list(duty(uow.session, now))
        uow.commit()
    publish_outbox(messages)
    return len(messages)


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
        # The next run (a minute later) retries; the other duties must still run now.
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
