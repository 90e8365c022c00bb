"""Telling people that something happened: a notification in their inbox, written in the same
transaction as what it is about. It carries ids, names and links only — never a secret, a node's
output or a comment's text — because it may travel on to other systems (README "Notifications").
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session




def link(path: str) -> str:
    from a2n.settings import get_settings

    return get_settings().public_base_url.rstrip("/") + path


def notify(
    session: Session,
    user_id: uuid.UUID,
    *,
    kind: str,
    title: str,
    workspace_id: uuid.UUID | None,
    data: dict[str, Any],
) -> uuid.UUID:
    """One inbox item for ``user_id``; the caller's transaction commits it."""
    from a2n.db.models import Notification

    item = Notification(user_id=user_id, workspace_id=workspace_id, kind=kind, title=title[:300], data=data)
    session.add(item)
    session.flush()
    return item.id


def email_of(session: Session, user_id: uuid.UUID | None) -> str | None:
    from a2n.db.repositories.identity import UserRepository

    if user_id is None:
        return None
    return UserRepository(session).emails({user_id}).get(user_id)
