"""Workflows and their saved versions: workspace-scoped lookups, filtered keyset lists, row locks,
and the credential look-ups a save needs (ids and names, never credential data)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select, text
from sqlalchemy.orm import Session

from a2n.db.models import Credential, Workflow, WorkflowVersion
from a2n.db.repositories.base import Keyset, Repository, Slice, WorkspaceScopedRepository
from a2n.errors import NotFound

VERSION_CONFLICT = "Another change saved this workflow at the same time; reload and retry"


@dataclass(frozen=True)
class WorkflowFilter:
    """``GET /workflows``' filters. ``words`` are matched as prefixes, all of them, by full-text search
    over name, tags and description; ``folder_id`` None with ``root_only`` means "not in any folder"."""

    active: bool | None = None
    tag: str | None = None
    words: tuple[str, ...] | None = None
    category: str | None = None
    folder_id: uuid.UUID | None = None
    root_only: bool = False
    include_subfolders: bool = False
    archived: bool = False


def prefix_query(words: tuple[str, ...]) -> str | None:
    """A to_tsquery text matching every word as a prefix, or None when nothing is searchable.
    Only \\w+ runs survive, so user text never carries a tsquery operator or quote."""
    lexemes = [run for word in words for run in _WORD.findall(word.lower())]
    return " & ".join(f"'{lexeme}':*" for lexeme in lexemes) or None


_WORD = re.compile(r"\w+")


class WorkflowRepository(WorkspaceScopedRepository[Workflow]):
    """Deleted (archived) workflows are invisible here: every lookup skips them."""

    model = Workflow

    def _live(self, workspace_id: uuid.UUID, *, archived: bool = False) -> Select[Any]:
        state = Workflow.archived_at.is_not(None) if archived else Workflow.archived_at.is_(None)
        return select(Workflow).where(Workflow.workspace_id == workspace_id, state)

    def require_archived(self, workspace_id: uuid.UUID, workflow_id: uuid.UUID) -> Workflow:
        """An archived (deleted, not yet purged) workflow of the workspace, locked, or NotFound."""
        query = self._live(workspace_id, archived=True).where(Workflow.id == workflow_id).with_for_update()
        found: Workflow | None = self.session.scalars(query).one_or_none()
        if found is None:
            raise NotFound("No archived workflow with this id")
        return found

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
        self, workspace_id: uuid.UUID, wanted: WorkflowFilter, *, limit: int, after: Keyset | None
    ) -> Slice[Workflow]:
        from a2n.db.repositories.folders import SUBTREE

        query = self._live(workspace_id, archived=wanted.archived)
        if wanted.active is not None:
            query = query.where(Workflow.is_active.is_(wanted.active))
        if wanted.tag is not None:
            query = query.where(Workflow.tags.contains([wanted.tag]))  # served by the GIN index on tags
        if wanted.category is not None:
            query = query.where(func.lower(Workflow.category) == wanted.category.lower())
        if wanted.root_only:
            query = query.where(Workflow.folder_id.is_(None))
        elif wanted.folder_id is not None and wanted.include_subfolders:
            subtree = text(SUBTREE).bindparams(folder=wanted.folder_id, workspace=workspace_id)
            query = query.where(Workflow.folder_id.in_(subtree.columns(id=Workflow.folder_id.type)))
        elif wanted.folder_id is not None:
            query = query.where(Workflow.folder_id == wanted.folder_id)
        if wanted.words is not None:
            searched = prefix_query(wanted.words)
            if searched is None:
                query = query.where(text("false"))  # a search with no searchable word finds nothing
            else:
                document = func.a2n_workflow_search_document(
                    Workflow.name, Workflow.description, Workflow.tags
                )
                tsquery = func.to_tsquery(text("'simple'::regconfig"), searched)
                query = query.where(document.op("@@")(tsquery))  # served by ix_workflows_search
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

    def types_by_id(self, workspace_id: uuid.UUID, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
        if not ids:
            return {}
        rows = self.session.execute(
            select(Credential.id, Credential.type).where(
                Credential.workspace_id == workspace_id, Credential.id.in_(ids)
            )
        )
        return {row.id: row.type for row in rows}

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
