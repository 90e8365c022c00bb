"""Workflows and their saved versions: workspace-scoped lookups, filtered keyset lists, row locks,
and the credential look-ups a save needs (ids and names, never credential data)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from a2n.db.models import Credential, Workflow, WorkflowVersion
from a2n.db.repositories.base import Keyset, Repository, Slice, WorkspaceScopedRepository
from a2n.errors import NotFound

VERSION_CONFLICT = "Another change saved this workflow at the same time; reload and retry"


def _like_pattern(text: str) -> str:
    # The user's text is matched literally: % and _ are data, not wildcards.
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class WorkflowRepository(WorkspaceScopedRepository[Workflow]):
    """Deleted (archived) workflows are invisible here: every lookup skips them."""

    model = Workflow

    def _live(self, workspace_id: uuid.UUID) -> Select[Any]:
        return select(Workflow).where(Workflow.workspace_id == workspace_id, Workflow.archived_at.is_(None))

    def require_live(
        self, workspace_id: uuid.UUID, workflow_id: uuid.UUID, *, lock: bool = False
    ) -> Workflow:
        """The workflow, or NotFound; ``lock`` takes ``FOR UPDATE`` so concurrent saves serialise."""
        query = self._live(workspace_id).where(Workflow.id == workflow_id)
        if lock:
            query = query.with_for_update()
        found: Workflow | None = self.session.scalars(query).one_or_none()
        if found is None:
            raise NotFound("Workflow not found")
        return found

    def search(
        self,
        workspace_id: uuid.UUID,
        *,
        active: bool | None,
        tag: str | None,
        text: str | None,
        limit: int,
        after: Keyset | None,
    ) -> Slice[Workflow]:
        query = self._live(workspace_id)
        if active is not None:
            query = query.where(Workflow.is_active.is_(active))
        if tag is not None:
            query = query.where(Workflow.tags.contains([tag]))  # served by the GIN index on tags
        if text:
            pattern = _like_pattern(text)
            query = query.where(
                or_(
                    Workflow.name.ilike(pattern, escape="\\"),
                    Workflow.description.ilike(pattern, escape="\\"),
                )
            )
        return self.page(query, limit=limit, after=after)


class WorkflowVersionRepository(Repository[WorkflowVersion]):
    """Versions are reached through their workflow, which the caller has already scoped."""

    model = WorkflowVersion

    def of_workflow(self, workflow_id: uuid.UUID, *, limit: int, before: int | None) -> list[WorkflowVersion]:
        """Newest first; ``before`` is the last version already returned. One extra row tells
        the caller whether more exist."""
        query = select(WorkflowVersion).where(WorkflowVersion.workflow_id == workflow_id)
        if before is not None:
            query = query.where(WorkflowVersion.version < before)
        query = query.order_by(WorkflowVersion.version.desc()).limit(limit + 1)
        return list(self.session.scalars(query))

    def require_version(self, workflow_id: uuid.UUID, version: int) -> WorkflowVersion:
        found = self.session.scalars(
            select(WorkflowVersion).where(
                WorkflowVersion.workflow_id == workflow_id, WorkflowVersion.version == version
            )
        ).one_or_none()
        if found is None:
            raise NotFound(f"Version {version} not found")
        return found


class CredentialReferences:
    """Which credentials a definition may name: active ones of the same workspace."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def existing_ids(self, workspace_id: uuid.UUID, ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        if not ids:
            return set()
        rows = self.session.scalars(
            select(Credential.id).where(
                Credential.workspace_id == workspace_id,
                Credential.is_active.is_(True),
                Credential.id.in_(ids),
            )
        )
        return set(rows)

    def names_by_id(self, workspace_id: uuid.UUID, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
        if not ids:
            return {}
        rows = self.session.execute(
            select(Credential.id, Credential.name).where(
                Credential.workspace_id == workspace_id, Credential.id.in_(ids)
            )
        )
        return {row.id: row.name for row in rows}

    def ids_by_name(self, workspace_id: uuid.UUID, names: Collection[str]) -> dict[str, uuid.UUID]:
        if not names:
            return {}
        rows = self.session.execute(
            select(Credential.id, Credential.name).where(
                Credential.workspace_id == workspace_id,
                Credential.is_active.is_(True),
                Credential.name.in_(names),
            )
        )
        return {row.name: row.id for row in rows}
