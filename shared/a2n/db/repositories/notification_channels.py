"""Notification channels, rules and deliveries: who may see which, which rules an event matches, and
the delivery log with the claims the sender takes on it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, or_, select, text
from sqlalchemy.orm import Session

from a2n.db.models import NotificationChannel, NotificationDelivery, NotificationRule
from a2n.db.repositories.base import Keyset, Repository, Slice

# Rules an ending execution matches: the workspace's and its people's, for this workflow, a folder
# holding it (at any depth) or everything. The folder walk only runs when some rule could match.
_EXECUTION_RULES = text("""
WITH RECURSIVE up(id, parent_id, depth) AS (
    SELECT f.id, f.parent_id, 1 FROM workflow_folders f JOIN workflows w ON w.folder_id = f.id
    WHERE w.id = :wf
    UNION ALL
    SELECT f.id, f.parent_id, up.depth + 1 FROM workflow_folders f JOIN up ON f.id = up.parent_id
    WHERE up.depth < 100
)
SELECT r.id FROM notification_rules r
WHERE r.workspace_id = :ws AND r.event = ANY(:events)
  AND ((r.workflow_id IS NULL AND r.folder_id IS NULL) OR r.workflow_id = :wf
       OR r.folder_id IN (SELECT id FROM up))
  AND (r.threshold_s IS NULL OR CAST(:duration_s AS double precision) > r.threshold_s)
  -- a person's rule only while they still belong to the workspace
  AND (r.user_id IS NULL OR EXISTS (
      SELECT 1 FROM workspace_members m WHERE m.workspace_id = r.workspace_id AND m.user_id = r.user_id))
""")


class NotificationChannelRepository(Repository[NotificationChannel]):
    model = NotificationChannel

    def visible(
        self, workspace_id: uuid.UUID, user_id: uuid.UUID, *, limit: int, after: Keyset | None
    ) -> Slice[NotificationChannel]:
        """The caller's own channels in the workspace and the workspace's."""
        query = select(NotificationChannel).where(
            NotificationChannel.workspace_id == workspace_id,
            or_(NotificationChannel.user_id == user_id, NotificationChannel.user_id.is_(None)),
        )
        return self.page(query, limit=limit, after=after)

    def usable(
        self, workspace_id: uuid.UUID, user_id: uuid.UUID | None, ids: Sequence[uuid.UUID]
    ) -> list[uuid.UUID]:
        """Which of ``ids`` a rule of ``user_id`` (None: the workspace) may deliver to."""
        owners: list[Any] = [NotificationChannel.user_id.is_(None)]
        if user_id is not None:
            owners.append(NotificationChannel.user_id == user_id)
        query = select(NotificationChannel.id).where(
            NotificationChannel.id.in_(list(ids)),
            NotificationChannel.workspace_id == workspace_id,
            or_(*owners),
        )
        return list(self.session.scalars(query))

    def enabled(self, ids: Sequence[uuid.UUID]) -> list[NotificationChannel]:
        if not ids:
            return []
        query = select(NotificationChannel).where(
            NotificationChannel.id.in_(list(ids)), NotificationChannel.enabled
        )
        return list(self.session.scalars(query))

    def lock(self, channel_id: uuid.UUID) -> NotificationChannel | None:
        query = select(NotificationChannel).where(NotificationChannel.id == channel_id).with_for_update()
        found: NotificationChannel | None = self.session.scalars(query).one_or_none()
        return found


class NotificationRuleRepository(Repository[NotificationRule]):
    model = NotificationRule

    def visible(
        self, workspace_id: uuid.UUID, user_id: uuid.UUID, *, limit: int, after: Keyset | None
    ) -> Slice[NotificationRule]:
        query = select(NotificationRule).where(
            NotificationRule.workspace_id == workspace_id,
            or_(NotificationRule.user_id == user_id, NotificationRule.user_id.is_(None)),
        )
        return self.page(query, limit=limit, after=after)

    @staticmethod
    def matching_ids(
        bind: Session | Connection,
        workspace_id: uuid.UUID,
        workflow_id: uuid.UUID,
        events: Sequence[str],
        duration_s: float = 0.0,
    ) -> list[uuid.UUID]:
        """The rules an event about a workflow matches: one indexed statement, which is all an
        ending run of a workspace without rules costs."""
        params = {"ws": workspace_id, "wf": workflow_id, "events": list(events), "duration_s": duration_s}
        return [row.id for row in bind.execute(_EXECUTION_RULES, params)]

    def for_workflow(
        self, workspace_id: uuid.UUID, workflow_id: uuid.UUID, events: Sequence[str], duration_s: float = 0.0
    ) -> list[NotificationRule]:
        ids = self.matching_ids(self.session, workspace_id, workflow_id, events, duration_s)
        if not ids:
            return []
        return list(self.session.scalars(select(NotificationRule).where(NotificationRule.id.in_(ids))))

    def of_user(self, user_id: uuid.UUID, event: str) -> list[NotificationRule]:
        """A person's rules for a personal event (a mention, a share), from any of their workspaces."""
        query = select(NotificationRule).where(
            NotificationRule.user_id == user_id, NotificationRule.event == event
        )
        return list(self.session.scalars(query))

    def drop_channel(self, channel_id: uuid.UUID) -> None:
        """A deleted channel leaves every rule that named it (the rules stay, for the inbox)."""
        self.session.execute(
            text(
                "UPDATE notification_rules SET channel_ids = array_remove(channel_ids, :c)"
                " WHERE :c = ANY(channel_ids)"
            ),
            {"c": channel_id},
        )


class NotificationDeliveryRepository(Repository[NotificationDelivery]):
    model = NotificationDelivery

    def of_channel(
        self, channel_id: uuid.UUID, *, limit: int, after: Keyset | None
    ) -> Slice[NotificationDelivery]:
        query = select(NotificationDelivery).where(NotificationDelivery.channel_id == channel_id)
        return self.page(query, limit=limit, after=after)

    def claim(self, delivery_id: uuid.UUID) -> NotificationDelivery | None:
        """The pending delivery, locked for this attempt; None if done or another sender holds it."""
        query = (
            select(NotificationDelivery)
            .where(NotificationDelivery.id == delivery_id, NotificationDelivery.status == "pending")
            .with_for_update(skip_locked=True)
        )
        found: NotificationDelivery | None = self.session.scalars(query).one_or_none()
        return found

    def pending_of_execution(self, execution_id: uuid.UUID) -> list[uuid.UUID]:
        query = select(NotificationDelivery.id).where(
            NotificationDelivery.execution_id == execution_id, NotificationDelivery.status == "pending"
        )
        return list(self.session.scalars(query))

    def stale_pending(self, before: datetime, limit: int) -> list[uuid.UUID]:
        """Pending deliveries nobody tried since ``before`` (their message was lost or not sent)."""
        query = (
            select(NotificationDelivery.id)
            .where(
                NotificationDelivery.status == "pending",
                NotificationDelivery.created_at < before,
                or_(NotificationDelivery.attempted_at.is_(None), NotificationDelivery.attempted_at < before),
            )
            .order_by(NotificationDelivery.created_at)
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def any_pending(self) -> bool:
        query = select(NotificationDelivery.id).where(NotificationDelivery.status == "pending").limit(1)
        return self.session.scalar(query) is not None


# Credentials expiring within the window whose owner was not told yet, claimed (SKIP LOCKED) and
# marked in one statement so two sweeps never warn twice.
_WARN_EXPIRING = text("""
WITH due AS (
    SELECT id FROM credentials
    WHERE is_active AND expiry_warned_at IS NULL AND expires_at > :now AND expires_at <= :until
    ORDER BY expires_at LIMIT :limit FOR UPDATE SKIP LOCKED
)
UPDATE credentials c SET expiry_warned_at = :now FROM due WHERE c.id = due.id
RETURNING c.id, c.name, c.workspace_id, c.created_by, c.expires_at
""")


def claim_expiring_credentials(session: Session, now: datetime, until: datetime, limit: int) -> list[Any]:
    """Rows (id, name, workspace_id, created_by, expires_at) to warn about, marked as warned."""
    return list(session.execute(_WARN_EXPIRING, {"now": now, "until": until, "limit": limit}))
