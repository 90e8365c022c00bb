"""Retention: delete what has outlived its settings — finished executions, old log lines, webhook
receipts, webhook and notification delivery-log rows, workflows archived long ago — forget expired
idempotency keys and session revocations, and deactivate expired credentials.

Every batch is its own short transaction and each rule stops after ``max_batches``, so a backlog
drains over several sweeper runs instead of timing one out or holding locks for long.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from a2n.db.enums import ExecutionStatus

if TYPE_CHECKING:
    from a2n.db.repositories.retention import RetentionRepository
    from a2n.settings import Settings

BATCH_SIZE = 500
MAX_BATCHES = 20

# Cancelled and timed-out runs are kept as long as failures: someone may still be investigating.
UNSUCCESSFUL = (ExecutionStatus.FAILED, ExecutionStatus.CANCELLED, ExecutionStatus.TIMED_OUT)

Rule = Callable[["RetentionRepository", int], int]


@dataclass(frozen=True)
class RetentionReport:
    succeeded_executions_deleted: int = 0
    failed_executions_deleted: int = 0
    logs_deleted: int = 0
    webhook_receipts_deleted: int = 0
    webhook_deliveries_deleted: int = 0
    notification_deliveries_deleted: int = 0
    idempotency_keys_cleared: int = 0
    credentials_deactivated: int = 0
    login_throttles_deleted: int = 0
    revoked_sessions_deleted: int = 0
    archived_workflows_purged: int = 0
    account_tokens_deleted: int = 0
    rate_counters_deleted: int = 0
    credential_uses_deleted: int = 0


def retention_rules(now: datetime, settings: Settings) -> dict[str, Rule | None]:
    """Report field → one batch of that rule (None: disabled by a 0 setting)."""

    def older(days: int) -> datetime:
        return now - timedelta(days=days)

    def days_rule(days: int, rule: Callable[[RetentionRepository, datetime, int], int]) -> Rule | None:
        return None if days <= 0 else lambda repo, limit: rule(repo, older(days), limit)

    return {
        "succeeded_executions_deleted": days_rule(
            settings.retention_succeeded_days,
            lambda r, t, n: r.delete_ended_executions((ExecutionStatus.SUCCEEDED,), t, limit=n),
        ),
        "failed_executions_deleted": days_rule(
            settings.retention_failed_days,
            lambda r, t, n: r.delete_ended_executions(UNSUCCESSFUL, t, limit=n),
        ),
        "logs_deleted": days_rule(settings.retention_logs_days, lambda r, t, n: r.delete_logs(t, limit=n)),
        "webhook_receipts_deleted": days_rule(
            settings.retention_webhook_receipts_days, lambda r, t, n: r.delete_webhook_receipts(t, limit=n)
        ),
        "webhook_deliveries_deleted": days_rule(
            settings.retention_webhook_deliveries_days,
            lambda r, t, n: r.delete_webhook_deliveries(t, limit=n),
        ),
        "notification_deliveries_deleted": days_rule(
            settings.retention_notification_deliveries_days,
            lambda r, t, n: r.delete_notification_deliveries(t, limit=n),
        ),
        "idempotency_keys_cleared": lambda r, n: r.clear_idempotency_keys(
            now - timedelta(hours=settings.idempotency_window_h), limit=n
        ),
        "credentials_deactivated": lambda r, n: r.deactivate_expired_credentials(now, limit=n),
        # A day idle: the longest lockout is 15 minutes, so nothing a login would read is lost.
        "login_throttles_deleted": lambda r, n: r.delete_login_throttles(now - timedelta(days=1), limit=n),
        # Once expired, no access token of a revoked session can still be valid: the row is moot.
        "revoked_sessions_deleted": lambda r, n: r.delete_revoked_sessions(now, limit=n),
        "credential_uses_deleted": days_rule(
            settings.retention_credential_usage_days, lambda r, t, n: r.delete_credential_uses(t, limit=n)
        ),
        "archived_workflows_purged": days_rule(
            settings.retention_archived_workflows_days, lambda r, t, n: r.purge_archived_workflows(t, limit=n)
        ),
        # Single-use account tokens a day past their expiry (used or not, they can never work again),
        # and rate windows a day old (the longest is an hour).
        "account_tokens_deleted": lambda r, n: r.delete_account_tokens(now - timedelta(days=1), limit=n),
        "rate_counters_deleted": lambda r, n: r.delete_rate_counters(now - timedelta(days=1), limit=n),
    }


def apply_retention(
    now: datetime,
    settings: Settings | None = None,
    *,
    batch_size: int = BATCH_SIZE,
    max_batches: int = MAX_BATCHES,
) -> RetentionReport:
    from a2n.settings import get_settings

    rules = retention_rules(now, settings or get_settings())
    counts = {
        field: 0 if rule is None else run_rule(rule, batch_size, max_batches) for field, rule in rules.items()
    }
    return RetentionReport(**counts)


def run_rule(rule: Rule, batch_size: int, max_batches: int) -> int:
    """Batches until one comes back short (nothing more to do) or the per-run bound is hit."""
    from a2n.db.repositories.retention import RetentionRepository
    from a2n.db.uow import UnitOfWork

    total = 0
    for _ in range(max_batches):
        with UnitOfWork() as uow:
            done = rule(RetentionRepository(uow.session), batch_size)
            uow.commit()
        total += done
        if done < batch_size:
            break
    return total
