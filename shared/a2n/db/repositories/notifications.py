"""Inbox rows, always by their user: a page newest first, the unread count, marking read."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update

from a2n.db.models import Notification
from a2n.db.repositories.base import Keyset, Repository, Slice


class NotificationRepository(Repository[Notification]):
    model = Notification

    def inbox(
        self, user_id: uuid.UUID, *, unread_only: bool, limit: int, after: Keyset | None
    ) -> Slice[Notification]:
        query = select(Notification).where(Notification.user_id == user_id)
        if unread_only:
            query = query.where(Notification.read_at.is_(None))
        return self.page(query, limit=limit, after=after)

    def of_user(self, user_id: uuid.UUID, notification_id: uuid.UUID) -> Notification | None:
        found: Notification | None = self.session.scalars(
            select(Notification).where(Notification.id == notification_id, Notification.user_id == user_id)
        ).one_or_none()
        return found

    def unread_count(self, user_id: uuid.UUID) -> int:
        query = select(func.count()).where(Notification.user_id == user_id, Notification.read_at.is_(None))
        return int(self.session.scalar(query) or 0)

    def mark_all_read(self, user_id: uuid.UUID, at: datetime) -> int:
        result = cast(
            "CursorResult[Any]",
            self.session.execute(
                update(Notification)
                .where(Notification.user_id == user_id, Notification.read_at.is_(None))
                .values(read_at=at),
                execution_options={"synchronize_session": False},
            ),
        )
        return int(result.rowcount or 0)
