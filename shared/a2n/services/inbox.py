"""The inbox: a user's notifications, newest first, with the unread count, marking one or all read.
Everyone sees only their own (the user id is the scope); sessions only, since a notification may
come from any workspace the user belongs to and an API key is bound to one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from a2n.auth.policy import Action, authorize
from a2n.errors import NotFound

if TYPE_CHECKING:
    from a2n.auth.principal import Principal
    from a2n.pagination import Page, PageRequest


@dataclass(frozen=True)
class NotificationView:
    id: uuid.UUID
    kind: str
    title: str
    workspace_id: uuid.UUID | None
    data: dict[str, Any]
    read: bool
    read_at: datetime | None
    created_at: datetime


def list_notifications(
    principal: Principal, page: PageRequest, *, unread_only: bool = False
) -> Page[NotificationView]:
    from a2n.db.repositories.base import Keyset
    from a2n.db.repositories.notifications import NotificationRepository
    from a2n.db.uow import UnitOfWork
    from a2n.pagination import Page, encode_cursor

    authorize(principal, None, Action.INBOX)
    after = Keyset(page.cursor.sort_key_datetime(), page.cursor.id_uuid()) if page.cursor else None
    with UnitOfWork() as uow:
        found = NotificationRepository(uow.session).inbox(
            _me(principal), unread_only=unread_only, limit=page.limit, after=after
        )
        items = [_view(n) for n in found.items]
        keyset = found.next_keyset()
    return Page(items=items, next_cursor=encode_cursor(keyset.created_at, keyset.id) if keyset else None)


def unread_count(principal: Principal) -> int:
    from a2n.db.repositories.notifications import NotificationRepository
    from a2n.db.uow import UnitOfWork

    authorize(principal, None, Action.INBOX)
    with UnitOfWork() as uow:
        return NotificationRepository(uow.session).unread_count(_me(principal))


def mark_read(principal: Principal, notification_id: str) -> NotificationView:
    from a2n.db.base import utcnow
    from a2n.db.repositories.notifications import NotificationRepository
    from a2n.db.uow import UnitOfWork

    authorize(principal, None, Action.INBOX)
    try:
        wanted = uuid.UUID(notification_id)
    except ValueError:
        raise NotFound("Notification not found") from None
    with UnitOfWork() as uow:
        item = NotificationRepository(uow.session).of_user(_me(principal), wanted)
        if item is None:
            raise NotFound("Notification not found")
        if item.read_at is None:
            item.read_at = utcnow()
        uow.session.flush()
        view = _view(item)
        uow.commit()
    return view


def mark_all_read(principal: Principal) -> int:
    """How many were unread (now read)."""
    from a2n.db.base import utcnow
    from a2n.db.repositories.notifications import NotificationRepository
    from a2n.db.uow import UnitOfWork

    authorize(principal, None, Action.INBOX)
    with UnitOfWork() as uow:
        marked = NotificationRepository(uow.session).mark_all_read(_me(principal), utcnow())
        uow.commit()
    return marked


def _me(principal: Principal) -> uuid.UUID:
    return uuid.UUID(principal.user_id)


def _view(item: Any) -> NotificationView:
    return NotificationView(
        id=item.id,
        kind=item.kind,
        title=item.title,
        workspace_id=item.workspace_id,
        data=dict(item.data),
        read=item.read_at is not None,
        read_at=item.read_at,
        created_at=item.created_at,
    )
