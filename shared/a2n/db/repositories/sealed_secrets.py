"""Platform secrets sealed in single bytea columns (webhook, TOTP and notification-channel secrets),
read and replaced for key rotation. The columns are a closed list: nothing here takes a table name
from outside."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from a2n.db.models import NotificationChannel, User, WorkflowTrigger

# kind → (model, column): each holds ``pack_blob`` output bound to (purpose, the row's id).
SEALED_COLUMNS: dict[str, tuple[Any, str]] = {
    "webhook": (WorkflowTrigger, "webhook_secret_encrypted"),
    "webhook_previous": (WorkflowTrigger, "webhook_secret_previous_encrypted"),
    "totp": (User, "totp_secret_encrypted"),
    "notification_channel": (NotificationChannel, "secret"),
}


class SealedSecretRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def page(self, kind: str, *, after: uuid.UUID | None, limit: int) -> list[tuple[uuid.UUID, bytes]]:
        """Rows holding a secret of ``kind``, in id order after ``after``."""
        model, name = SEALED_COLUMNS[kind]
        column = getattr(model, name)
        query = select(model.id, column).where(column.is_not(None)).order_by(model.id).limit(limit)
        if after is not None:
            query = query.where(model.id > after)
        return [(row_id, bytes(value)) for row_id, value in self.session.execute(query)]

    def replace(self, kind: str, row_id: uuid.UUID, old: bytes, new: bytes) -> bool:
        """Swap the sealed value only if it is still ``old`` (an edit meanwhile wins: False)."""
        model, name = SEALED_COLUMNS[kind]
        column = getattr(model, name)
        result: Any = self.session.execute(
            update(model).where(model.id == row_id, column == old).values({name: new})
        )
        return bool(result.rowcount)
