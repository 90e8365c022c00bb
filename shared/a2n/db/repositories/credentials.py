"""Credential rows: workspace-scoped lookups, usable-for-a-run checks and key-rotation claims.

The encrypted columns are read and written whole; nothing here ever sees plaintext.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import UUID

from a2n.db.base import utcnow
from a2n.db.models import Credential
from a2n.db.repositories.base import WorkspaceScopedRepository

# The credential a step (or poll) is about to use: found only if it is in the workspace, active and
# not expired; ``allowed`` only if whoever attached it to the workflow may still use it (its owner, a
# workspace ADMIN+, a live share to them or to the whole workspace). An allowed use is logged by the
# same statement, so the usage log costs a step no round trip; so is last_used_at (at most once a
# minute, and never waiting for a row an edit or a rotation holds).
_FOR_RUN = text("""
WITH c AS (
    SELECT id, workspace_id, type, encrypted_data, data_key_ciphertext, key_id, key_version, last_used_at,
           created_by
    FROM credentials
    WHERE id = :c AND workspace_id = :ws AND is_active AND (expires_at IS NULL OR expires_at > now())
), attacher AS (
    SELECT a.attached_by FROM credential_attachments a WHERE a.workflow_id = :w AND a.credential_id = :c
), allowed AS (
    SELECT 1 FROM c, attacher a
    WHERE c.created_by = a.attached_by
       OR EXISTS (SELECT 1 FROM workspace_members m WHERE m.workspace_id = c.workspace_id
                  AND m.user_id = a.attached_by AND m.role IN ('OWNER', 'ADMIN'))
       OR EXISTS (SELECT 1 FROM credential_shares s WHERE s.credential_id = c.id
                  AND (s.expires_at IS NULL OR s.expires_at > now())
                  AND (s.grantee_user_id IS NULL OR s.grantee_user_id = a.attached_by))
    LIMIT 1
), logged AS (
    INSERT INTO credential_usage
        (id, credential_id, workspace_id, workflow_id, execution_id, node_id, attempt, used_at)
    SELECT gen_random_uuid(), c.id, c.workspace_id, :w, :e, :n, :attempt, now()
    FROM c WHERE EXISTS (SELECT 1 FROM allowed)
    RETURNING 1
), touched AS (
    UPDATE credentials SET last_used_at = now()
    WHERE id IN (SELECT id FROM credentials WHERE id = :c
                 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
                 FOR UPDATE SKIP LOCKED)
      AND EXISTS (SELECT 1 FROM allowed)
    RETURNING 1
)
SELECT c.*, EXISTS (SELECT 1 FROM allowed) AS allowed, (SELECT count(*) FROM logged) AS logged,
       (SELECT count(*) FROM touched) AS touched
FROM c
""").columns(
    id=UUID(as_uuid=True), workspace_id=UUID(as_uuid=True), created_by=UUID(as_uuid=True)
)


@dataclass(frozen=True)
class RunCredential:
    """A credential row as a run loads it (the sealed data, opened by the service)."""

    id: uuid.UUID
    workspace_id: uuid.UUID
    type: str
    encrypted_data: bytes
    data_key_ciphertext: bytes
    key_id: str
    key_version: int
    last_used_at: datetime | None
    created_by: uuid.UUID | None
    allowed: bool
    logged: int
    touched: int


@dataclass(frozen=True)
class UseSite:
    """Where a credential is used: the workflow and, for a step, the execution, node and attempt."""

    workflow_id: uuid.UUID
    node_id: str
    execution_id: uuid.UUID | None = None
    attempt: int | None = None


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

    def for_run(
        self, workspace_id: uuid.UUID, credential_id: uuid.UUID, site: UseSite
    ) -> RunCredential | None:
        """One statement: the credential (None if unusable by anyone), whether this workflow may use
        it, and — if it may — one usage log row."""
        row = self.session.execute(
            _FOR_RUN,
            {"c": credential_id, "ws": workspace_id, "w": site.workflow_id, "e": site.execution_id,
             "n": site.node_id, "attempt": site.attempt},
        ).one_or_none()  # fmt: skip
        return None if row is None else RunCredential(*row)

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
