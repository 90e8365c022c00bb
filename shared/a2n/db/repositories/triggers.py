"""Trigger rows, webhook receipts (replay and delivery dedupe) and poll dedupe: the SQL behind
activation and trigger fires.

Lookups from the outside world (a webhook token, a schedule fire) return the trigger together with
its workflow, so the caller can tell an inactive or deleted workflow from a live one in one query.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert

from a2n.db.enums import ExecutionStatus, TriggerType
from a2n.db.models import Execution, PollSeenItem, WebhookReceipt, Workflow, WorkflowTrigger
from a2n.db.repositories.base import WorkspaceScopedRepository


@dataclass(frozen=True)
class LiveTrigger:
    """A trigger row with its workflow (both loaded, neither locked)."""

    trigger: WorkflowTrigger
    workflow: Workflow

    @property
    def accepts_fires(self) -> bool:
        """Active trigger of an active, not deleted workflow."""
        return self.trigger.is_active and self.workflow.is_active and self.workflow.archived_at is None


@dataclass(frozen=True)
class ExecutionProgress:
    status: ExecutionStatus
    webhook_response: dict[str, Any] | None
    output: dict[str, Any] | None


class TriggerRepository(WorkspaceScopedRepository[WorkflowTrigger]):
    model = WorkflowTrigger

    def of_workflow(self, workflow_id: uuid.UUID) -> list[WorkflowTrigger]:
        query = select(WorkflowTrigger).where(WorkflowTrigger.workflow_id == workflow_id)
        return list(self.session.scalars(query.order_by(WorkflowTrigger.node_id)))

    def by_token(self, token: str) -> LiveTrigger | None:
        """The webhook trigger behind ``token`` (active or not: the caller decides)."""
        query = (
            select(WorkflowTrigger, Workflow)
            .join(Workflow, Workflow.id == WorkflowTrigger.workflow_id)
            .where(WorkflowTrigger.webhook_token == token, WorkflowTrigger.type == TriggerType.WEBHOOK)
        )
        row = self.session.execute(query).one_or_none()
        return LiveTrigger(row[0], row[1]) if row is not None else None

    def webhook_of(self, workflow_id: uuid.UUID, node_id: str) -> WorkflowTrigger | None:
        """The webhook trigger row of ``node_id`` (active or not; kept after its node is removed)."""
        query = select(WorkflowTrigger).where(
            WorkflowTrigger.workflow_id == workflow_id,
            WorkflowTrigger.node_id == node_id,
            WorkflowTrigger.type == TriggerType.WEBHOOK,
        )
        found: WorkflowTrigger | None = self.session.scalars(query).one_or_none()
        return found

    def with_workflow(self, trigger_id: uuid.UUID) -> LiveTrigger | None:
        query = (
            select(WorkflowTrigger, Workflow)
            .join(Workflow, Workflow.id == WorkflowTrigger.workflow_id)
            .where(WorkflowTrigger.id == trigger_id)
        )
        row = self.session.execute(query).one_or_none()
        return LiveTrigger(row[0], row[1]) if row is not None else None

    def active_scheduled(self) -> list[WorkflowTrigger]:
        """Every active schedule/poll trigger of an active workflow (``a2n dev`` re-creates them)."""
        query = (
            select(WorkflowTrigger)
            .join(Workflow, Workflow.id == WorkflowTrigger.workflow_id)
            .where(
                WorkflowTrigger.type.in_([TriggerType.SCHEDULE, TriggerType.POLL]),
                WorkflowTrigger.is_active.is_(True),
                Workflow.is_active.is_(True),
                Workflow.archived_at.is_(None),
            )
        )
        return list(self.session.scalars(query))

    def deactivate_all(self, workflow_id: uuid.UUID) -> None:
        self.session.execute(
            update(WorkflowTrigger).where(WorkflowTrigger.workflow_id == workflow_id).values(is_active=False)
        )


class WebhookReceiptRepository:
    """Replay protection: one row per accepted signature, unique per trigger."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def claim(self, trigger_id: uuid.UUID, replay_id: str) -> uuid.UUID | None:
        """Record ``replay_id``; None when it was already recorded (a replay).

        A concurrent claim of the same id waits on the unique index until the first transaction
        ends: committed → this one sees the conflict; rolled back → this one wins.
        """
        statement = (
            insert(WebhookReceipt)
            .values(id=uuid.uuid4(), trigger_id=trigger_id, replay_id=replay_id)
            .on_conflict_do_nothing(index_elements=["trigger_id", "replay_id"])
            .returning(WebhookReceipt.id)
        )
        found: uuid.UUID | None = self.session.scalars(statement).one_or_none()
        return found

    def execution_of(self, trigger_id: uuid.UUID, replay_id: str) -> uuid.UUID | None:
        """The execution the delivery that first claimed ``replay_id`` started. Read after a lost
        claim: that claim's transaction has committed (the claim waited for it), and this statement
        sees it."""
        query = select(WebhookReceipt.execution_id).where(
            WebhookReceipt.trigger_id == trigger_id, WebhookReceipt.replay_id == replay_id
        )
        found: uuid.UUID | None = self.session.scalars(query).one_or_none()
        return found

    def link_execution(self, receipt_ids: Collection[uuid.UUID], execution_id: uuid.UUID) -> None:
        if receipt_ids:
            self.session.execute(
                update(WebhookReceipt)
                .where(WebhookReceipt.id.in_(list(receipt_ids)))
                .values(execution_id=execution_id)
            )

    def count_for(self, trigger_id: uuid.UUID) -> int:
        rows = self.session.scalars(select(WebhookReceipt.id).where(WebhookReceipt.trigger_id == trigger_id))
        return len(list(rows))


class PollSeenItemRepository:
    def __init__(self, session: Any) -> None:
        self.session = session

    def record_new(self, trigger_id: uuid.UUID, keys: Collection[str]) -> set[str]:
        """Insert the keys not seen before; returns exactly those (concurrent polls split them)."""
        if not keys:
            return set()
        statement = (
            insert(PollSeenItem)
            .values([{"id": uuid.uuid4(), "trigger_id": trigger_id, "item_key": key} for key in keys])
            .on_conflict_do_nothing(index_elements=["trigger_id", "item_key"])
            .returning(PollSeenItem.item_key)
        )
        return set(self.session.scalars(statement))

    def forget(self, trigger_id: uuid.UUID, keys: Collection[str]) -> None:
        """Un-see ``keys`` (recorded in this transaction but not started): the next poll finds them new."""
        if keys:
            self.session.execute(
                delete(PollSeenItem).where(
                    PollSeenItem.trigger_id == trigger_id, PollSeenItem.item_key.in_(keys)
                )
            )

    def has_any(self, trigger_id: uuid.UUID) -> bool:
        query = select(PollSeenItem.id).where(PollSeenItem.trigger_id == trigger_id).limit(1)
        return self.session.scalars(query).first() is not None


class ExecutionProgressQuery:
    """What a synchronous webhook waits for: the end of the run or its respond_webhook answer."""

    def __init__(self, session: Any) -> None:
        self.session = session

    def progress(self, execution_id: uuid.UUID) -> ExecutionProgress | None:
        query = select(Execution.status, Execution.webhook_response, Execution.output).where(
            Execution.id == execution_id
        )
        row = self.session.execute(query).one_or_none()
        if row is None:
            return None
        return ExecutionProgress(ExecutionStatus(row.status), row.webhook_response, row.output)

    def for_trigger(self, trigger_id: uuid.UUID) -> Sequence[Execution]:
        query = select(Execution).where(Execution.trigger_id == trigger_id).order_by(Execution.started_at)
        return list(self.session.scalars(query))
