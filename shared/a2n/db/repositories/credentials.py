"""Credential rows: workspace-scoped lookups, usable-for-a-run checks and key-rotation claims.

The encrypted columns are read and written whole; nothing here ever sees plaintext.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func, or_, select, tuple_, update

from a2n.db.base import utcnow
from a2n.db.models import Credential
from a2n.db.repositories.base import WorkspaceScopedRepository


class CredentialRepository(WorkspaceScopedRepository[Credential]):
    model = Credential

    def usable(self, workspace_id: uuid.UUID, credential_id: uuid.UUID, now: datetime) -> Credential | None:
        """The credential if it is in the workspace, active and not expired; else None."""
        query = select(Credential).where(
            Credential.id == credential_id,
            Credential.workspace_id == workspace_id,
            Credential.is_active.is_(True),
            or_(Credential.expires_at.is_(None), Credential.expires_at > now),
        )
        return self.session.scalars(query).one_or_none()

    def lock_in_workspace(self, workspace_id: uuid.UUID, credential_id: uuid.UUID) -> Credential | None:
        """The row FOR UPDATE (waiting for a holder), re-read from the database."""
        query = (
            select(Credential)
            .where(Credential.id == credential_id, Credential.workspace_id == workspace_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return self.session.scalars(query).one_or_none()

    def mark_used(self, credential_id: uuid.UUID, now: datetime) -> None:
        """Set last_used_at unless another transaction holds the row (then it is skipped, not
        awaited: node runs must never queue behind an edit or a rotation for a timestamp)."""
        free = select(Credential.id).where(Credential.id == credential_id).with_for_update(skip_locked=True)
        # updated_at kept as is: it means "edited by a user", and the ORM's onupdate would bump it.
        self.session.execute(
            update(Credential)
            .where(Credential.id.in_(free))
            .values(last_used_at=now, updated_at=Credential.updated_at),
            execution_options={"synchronize_session": False},
        )

    def stale_ids(
        self, key_id: str, key_version: int, *, limit: int, skip: Collection[uuid.UUID] = ()
    ) -> Sequence[uuid.UUID]:
        """Ids of rows not yet on (key_id, key_version), oldest first, for rotation; ``skip``
        leaves out rows this run already gave up on (locked by another run, or unreadable)."""
        query = select(Credential.id).where(
            tuple_(Credential.key_id, Credential.key_version) != tuple_(key_id, key_version)
        )
        if skip:
            query = query.where(Credential.id.not_in(list(skip)))
        return list(self.session.scalars(query.order_by(Credential.created_at, Credential.id).limit(limit)))

    def count_stale(self, key_id: str, key_version: int) -> int:
        query = select(func.count()).where(
            tuple_(Credential.key_id, Credential.key_version) != tuple_(key_id, key_version)
        )
        return int(self.session.scalar(query) or 0)

    def claim_for_rotation(self, credential_id: uuid.UUID) -> Credential | None:
        """Lock one row for rewrapping; None if another run holds it (SKIP LOCKED) or it is gone."""
        query = (
            select(Credential)
            .where(Credential.id == credential_id)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
        return self.session.scalars(query).one_or_none()

    def write_envelope(
        self,
        credential_id: uuid.UUID,
        *,
        encrypted_data: bytes,
        data_key_ciphertext: bytes,
        key_id: str,
        key_version: int,
        edited: bool,
    ) -> None:
        """Store a new envelope; ``edited`` False (rotation) leaves updated_at alone."""
        values: dict[str, object] = {
            "encrypted_data": encrypted_data,
            "data_key_ciphertext": data_key_ciphertext,
            "key_id": key_id,
            "key_version": key_version,
            "updated_at": utcnow() if edited else Credential.updated_at,
        }
        self.session.execute(
            update(Credential).where(Credential.id == credential_id).values(**values),
            execution_options={"synchronize_session": "fetch"},
        )
