"""Housekeeping queries of the sweeper: retention deletes, idempotency-key expiry, credential expiry,
idle login throttles, expired session revocations.

Each statement handles one bounded batch of rows locked ``FOR UPDATE SKIP LOCKED``, so two
sweepers running at once split the work instead of waiting on (or double-acting on) each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CTE, CursorResult, delete, select, update
from sqlalchemy.orm import Session

from a2n.db.enums import ACTIVE_EXECUTION_STATUSES, ExecutionStatus
from a2n.db.models import (
    AccountToken,
    Credential,
    CredentialUsage,
    Execution,
    ExecutionLog,
    LoginThrottle,
    NotificationDelivery,
    RateCounter,
    RevokedSession,
    WebhookDeliveryRecord,
    WebhookReceipt,
    Workflow,
)


class RetentionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def delete_ended_executions(
        self, statuses: Sequence[ExecutionStatus], ended_before: datetime, *, limit: int
    ) -> int:
        """Executions in ``statuses`` that ended before the cutoff; nodes and logs cascade."""
        batch = _batch(Execution, limit, Execution.status.in_(statuses), Execution.ended_at < ended_before)
        return self._rowcount(delete(Execution).where(Execution.id == batch.c.id))

    def delete_logs(self, before: datetime, *, limit: int) -> int:
        batch = _batch(ExecutionLog, limit, ExecutionLog.ts < before)
        return self._rowcount(delete(ExecutionLog).where(ExecutionLog.id == batch.c.id))

    def delete_webhook_receipts(self, before: datetime, *, limit: int) -> int:
        batch = _batch(WebhookReceipt, limit, WebhookReceipt.received_at < before)
        return self._rowcount(delete(WebhookReceipt).where(WebhookReceipt.id == batch.c.id))

    def delete_webhook_deliveries(self, before: datetime, *, limit: int) -> int:
        batch = _batch(WebhookDeliveryRecord, limit, WebhookDeliveryRecord.received_at < before)
        return self._rowcount(delete(WebhookDeliveryRecord).where(WebhookDeliveryRecord.id == batch.c.id))

    def delete_notification_deliveries(self, before: datetime, *, limit: int) -> int:
        """Delivery-log rows written before the cutoff that are settled; a pending one is still work."""
        batch = _batch(
            NotificationDelivery,
            limit,
            NotificationDelivery.created_at < before,
            NotificationDelivery.status != "pending",
        )
        return self._rowcount(delete(NotificationDelivery).where(NotificationDelivery.id == batch.c.id))

    def delete_login_throttles(self, idle_before: datetime, *, limit: int) -> int:
        """Failed-login counters of unknown emails untouched since the cutoff (any lock long over)."""
        batch = _batch(LoginThrottle, limit, LoginThrottle.updated_at < idle_before, key="email_hash")
        return self._rowcount(delete(LoginThrottle).where(LoginThrottle.email_hash == batch.c.email_hash))

    def delete_revoked_sessions(self, now: datetime, *, limit: int) -> int:
        """Deny-list rows whose session can no longer hold an unexpired access token."""
        batch = _batch(RevokedSession, limit, RevokedSession.expires_at < now, key="session_id")
        return self._rowcount(delete(RevokedSession).where(RevokedSession.session_id == batch.c.session_id))

    def delete_credential_uses(self, before: datetime, *, limit: int) -> int:
        batch = _batch(CredentialUsage, limit, CredentialUsage.used_at < before)
        return self._rowcount(delete(CredentialUsage).where(CredentialUsage.id == batch.c.id))

    def purge_archived_workflows(self, archived_before: datetime, *, limit: int) -> int:
        """Workflows archived before the cutoff, with no execution still running or waiting (a
        purged definition could not finish it). Versions, triggers and what hangs on the workflow
        cascade; executions stay (no foreign key) until their own retention."""
        unended = (
            select(Execution.id)
            .where(Execution.workflow_id == Workflow.id, Execution.status.in_(ACTIVE_EXECUTION_STATUSES))
            .exists()
        )
        batch = _batch(Workflow, limit, Workflow.archived_at < archived_before, ~unended)
        return self._rowcount(delete(Workflow).where(Workflow.id == batch.c.id))

    def delete_account_tokens(self, expired_before: datetime, *, limit: int) -> int:
        """Single-use account tokens long expired: used or not, they can never work again."""
        batch = _batch(AccountToken, limit, AccountToken.expires_at < expired_before)
        return self._rowcount(delete(AccountToken).where(AccountToken.id == batch.c.id))

    def delete_rate_counters(self, opened_before: datetime, *, limit: int) -> int:
        """Rate windows opened before the cutoff (the longest window is an hour)."""
        batch = _batch(RateCounter, limit, RateCounter.window_start < opened_before, key="key")
        return self._rowcount(delete(RateCounter).where(RateCounter.key == batch.c.key))

    def clear_idempotency_keys(self, created_before: datetime, *, limit: int) -> int:
        """Forget keys older than their window, so the same key may start a new execution."""
        batch = _batch(
            Execution, limit, Execution.idempotency_key.is_not(None), Execution.created_at < created_before
        )
        statement = (
            update(Execution)
            .where(Execution.id == batch.c.id)
            .values(idempotency_key=None, request_hash=None)
        )
        return self._rowcount(statement)

    def deactivate_expired_credentials(self, now: datetime, *, limit: int) -> int:
        batch = _batch(Credential, limit, Credential.is_active.is_(True), Credential.expires_at < now)
        statement = (
            update(Credential).where(Credential.id == batch.c.id).values(is_active=False, updated_at=now)
        )
        return self._rowcount(statement)

    def _rowcount(self, statement: Any) -> int:
        # Bulk statements: no ORM objects are loaded or synchronised.
        result = cast(
            "CursorResult[Any]",
            self.session.execute(statement, execution_options={"synchronize_session": False}),
        )
        return int(result.rowcount)


def _batch(model: Any, limit: int, *conditions: Any, key: str = "id") -> CTE:
    """At most ``limit`` ids, locked SKIP LOCKED, as a CTE the statement joins on.

    Not ``WHERE id IN (SELECT … LIMIT n)``: Postgres may re-run such a subquery for each outer row,
    and after the first deletions it returns new rows — a "batch of 2" deleted 7. A locking CTE is
    evaluated once.
    """
    column = getattr(model, key)
    return select(column).where(*conditions).limit(limit).with_for_update(skip_locked=True).cte("batch")
