"""Credential shares, attachments and the usage log: who may use a credential, who attached it to
which workflow, which active workflows depend on it, and its uses, newest first."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, text, tuple_

from a2n.db.models import Credential, CredentialAttachment, CredentialShare, CredentialUsage
from a2n.db.repositories.base import Keyset, WorkspaceScopedRepository

# Who may use a credential: its creator, a workspace ADMIN+, a live share to them or to the workspace.
_USERS_WHO_MAY_USE = text("""
SELECT u.id, (
    c.created_by = u.id
    OR EXISTS (SELECT 1 FROM workspace_members m WHERE m.workspace_id = c.workspace_id AND m.user_id = u.id
               AND m.role IN ('OWNER', 'ADMIN'))
    OR EXISTS (SELECT 1 FROM credential_shares s WHERE s.credential_id = c.id
               AND (s.expires_at IS NULL OR s.expires_at > now())
               AND (s.grantee_user_id IS NULL OR s.grantee_user_id = u.id))
) AS may
FROM credentials c CROSS JOIN unnest(CAST(:users AS uuid[])) AS u(id)
WHERE c.id = :c
""")

_USABLE_BY = text("""
SELECT c.id FROM credentials c
WHERE c.workspace_id = :ws AND c.id = ANY(CAST(:ids AS uuid[])) AND (
    c.created_by = :u
    OR EXISTS (SELECT 1 FROM workspace_members m WHERE m.workspace_id = c.workspace_id AND m.user_id = :u
               AND m.role IN ('OWNER', 'ADMIN'))
    OR EXISTS (SELECT 1 FROM credential_shares s WHERE s.credential_id = c.id
               AND (s.expires_at IS NULL OR s.expires_at > now())
               AND (s.grantee_user_id IS NULL OR s.grantee_user_id = :u)))
""")

# Active workflows whose published version uses the credential, with who attached it.
_DEPENDENTS = text("""
SELECT w.id, w.name, a.attached_by
FROM credential_attachments a JOIN workflows w ON w.id = a.workflow_id
WHERE a.credential_id = :c AND w.is_active AND w.archived_at IS NULL
  AND w.published_definition -> 'nodes'
      @> jsonb_build_array(jsonb_build_object('credentialId', CAST(:c AS text)))
ORDER BY w.name, w.id
""")


@dataclass(frozen=True)
class Dependent:
    workflow_id: uuid.UUID
    name: str
    attached_by: uuid.UUID | None


class CredentialShareRepository(WorkspaceScopedRepository[CredentialShare]):
    model = CredentialShare

    def of_grantee(self, credential_id: uuid.UUID, grantee: uuid.UUID | None) -> CredentialShare | None:
        column = CredentialShare.grantee_user_id
        who = column.is_(None) if grantee is None else column == grantee
        found: CredentialShare | None = self.session.scalars(
            select(CredentialShare).where(CredentialShare.credential_id == credential_id, who)
        ).one_or_none()
        return found

    def of_credential(self, credential_id: uuid.UUID) -> list[CredentialShare]:
        query = select(CredentialShare).where(CredentialShare.credential_id == credential_id)
        return list(
            self.session.scalars(query.order_by(CredentialShare.created_at.desc(), CredentialShare.id))
        )

    def drop_expired(self, credential_id: uuid.UUID, grantee: uuid.UUID | None, now: datetime) -> None:
        column = CredentialShare.grantee_user_id
        who = column.is_(None) if grantee is None else column == grantee
        self.session.execute(
            delete(CredentialShare).where(
                CredentialShare.credential_id == credential_id, who, CredentialShare.expires_at <= now
            ),
            execution_options={"synchronize_session": False},
        )

    def who_may_use(
        self, credential_id: uuid.UUID, users: Collection[uuid.UUID | None]
    ) -> dict[uuid.UUID | None, bool]:
        """``None`` (an attacher whose account is gone) may use it only through a workspace share."""
        if not users:
            return {}
        rows = self.session.execute(_USERS_WHO_MAY_USE, {"c": credential_id, "users": list(users)})
        return {row.id: bool(row.may) for row in rows}

    def usable_by(
        self, workspace_id: uuid.UUID, user_id: uuid.UUID, ids: Collection[uuid.UUID]
    ) -> set[uuid.UUID]:
        """Which of ``ids`` (credentials of the workspace) ``user_id`` may use."""
        if not ids:
            return set()
        rows = self.session.execute(_USABLE_BY, {"ws": workspace_id, "u": user_id, "ids": list(ids)})
        return {row.id for row in rows}

    def dependents(self, credential_id: uuid.UUID) -> list[Dependent]:
        return [Dependent(*row) for row in self.session.execute(_DEPENDENTS, {"c": credential_id})]


class AttachmentRepository:
    def __init__(self, session: Any) -> None:
        self.session = session

    def attached(self, workflow_id: uuid.UUID) -> set[uuid.UUID]:
        query = select(CredentialAttachment.credential_id).where(
            CredentialAttachment.workflow_id == workflow_id
        )
        return set(self.session.scalars(query))

    def attach(self, workflow_id: uuid.UUID, credential_ids: Collection[uuid.UUID], by: uuid.UUID) -> None:
        for credential_id in credential_ids:
            self.session.add(
                CredentialAttachment(workflow_id=workflow_id, credential_id=credential_id, attached_by=by)
            )
        self.session.flush()


class UsageRepository:
    def __init__(self, session: Any) -> None:
        self.session = session

    def page(
        self, credential_id: uuid.UUID, *, limit: int, after: Keyset | None
    ) -> tuple[list[CredentialUsage], bool]:
        query = select(CredentialUsage).where(CredentialUsage.credential_id == credential_id)
        if after is not None:
            query = query.where(
                tuple_(CredentialUsage.used_at, CredentialUsage.id) < tuple_(after.created_at, after.id)
            )
        order = (CredentialUsage.used_at.desc(), CredentialUsage.id.desc())
        rows = list(self.session.scalars(query.order_by(*order).limit(limit + 1)))
        return rows[:limit], len(rows) > limit

    def count(self, credential_id: uuid.UUID) -> int:
        query = select(func.count()).where(CredentialUsage.credential_id == credential_id)
        return int(self.session.scalar(query) or 0)

    def counts(self, credential_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, int]:
        if not credential_ids:
            return {}
        rows = self.session.execute(
            select(CredentialUsage.credential_id, func.count())
            .where(CredentialUsage.credential_id.in_(list(credential_ids)))
            .group_by(CredentialUsage.credential_id)
        )
        return {credential_id: int(n) for credential_id, n in rows}


def credential_of(session: Any, workspace_id: uuid.UUID, credential_id: uuid.UUID) -> Credential | None:
    found: Credential | None = session.scalars(
        select(Credential).where(Credential.id == credential_id, Credential.workspace_id == workspace_id)
    ).one_or_none()
    return found
