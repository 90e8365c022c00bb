"""Organising a workspace's workflows: nested folders (create, list, rename, move, delete when
empty), a workflow's details (name, description, tags, category, folder: never a new version), and
un-archiving a deleted workflow before retention purges it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from a2n.auth.policy import Action
from a2n.errors import Conflict, NotFound, Problem, ValidationFailed
from a2n.services.audit import Actor, Origin, record_audit

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.auth.principal import Principal
    from a2n.db.models import WorkflowFolder
    from a2n.pagination import Page, PageRequest
    from a2n.services.workflow_views import WorkflowView

# Deep enough for any real tree, shallow enough that every walk stays trivially cheap.
MAX_FOLDER_DEPTH = 10
# What a PATCH leaves alone (distinct from None, which clears a field).
UNCHANGED: Any = object()


@dataclass(frozen=True)
class FolderView:
    id: uuid.UUID
    name: str
    parent_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class WorkflowDetails:
    """``PATCH /workflows/{id}``: fields left UNCHANGED are not touched; None clears an optional one."""

    name: Any = UNCHANGED
    description: Any = UNCHANGED
    tags: Any = UNCHANGED
    category: Any = UNCHANGED
    folder_id: Any = UNCHANGED


def _view(folder: WorkflowFolder) -> FolderView:
    return FolderView(folder.id, folder.name, folder.parent_id, folder.created_at, folder.updated_at)


def _workspace(principal: Principal) -> uuid.UUID:
    return uuid.UUID(principal.workspace_id)


def _parse(text: str, what: str = "Folder") -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise NotFound(f"{what} not found") from None


# --- folders --------------------------------------------------------------------------------------


def create_folder(
    principal: Principal, name: str, parent_id: uuid.UUID | None, *, origin: Origin | None = None
) -> FolderView:
    from a2n.db.models import WorkflowFolder
    from a2n.db.repositories.folders import FOLDER_NAME_TAKEN, FolderRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.access import require

    with UnitOfWork() as uow:
        require(uow.session, principal, Action.FOLDER_WRITE)
        workspace_id = _workspace(principal)
        if parent_id is not None:
            _check_depth(uow.session, workspace_id, parent_id, height=1)
        folder = WorkflowFolder(
            workspace_id=workspace_id, parent_id=parent_id, name=name, created_by=uuid.UUID(principal.user_id)
        )
        FolderRepository(uow.session).add(folder, conflict=FOLDER_NAME_TAKEN)
        _audit(
            uow.session,
            principal,
            "folder.create",
            folder,
            {"name": name, "parentId": _text(parent_id)},
            origin=origin,
        )
        view = _view(folder)
        uow.commit()
    return view


def list_folders(principal: Principal, page: PageRequest, *, parent: str | None = None) -> Page[FolderView]:
    """Newest first; ``parent`` a folder id (its children) or ``root`` (top-level folders)."""
    from a2n.db.repositories.base import Keyset
    from a2n.db.repositories.folders import FolderRepository
    from a2n.db.uow import UnitOfWork
    from a2n.pagination import Page, encode_cursor
    from a2n.services.access import require

    after = None
    if page.cursor is not None:
        after = Keyset(page.cursor.sort_key_datetime(), page.cursor.id_uuid())
    root_only = parent == "root"
    parent_id = None if parent is None or root_only else _parse(parent)
    with UnitOfWork() as uow:
        require(uow.session, principal, Action.FOLDER_READ)
        found = FolderRepository(uow.session).search(
            _workspace(principal), parent=parent_id, root_only=root_only, limit=page.limit, after=after
        )
        keyset = found.next_keyset()
        return Page(
            items=[_view(f) for f in found.items],
            next_cursor=encode_cursor(keyset.created_at, keyset.id) if keyset else None,
        )


def update_folder(
    principal: Principal, folder_id: str, *, name: Any = UNCHANGED, parent_id: Any = UNCHANGED,
    origin: Origin | None = None,
) -> FolderView:  # fmt: skip
    """Rename and/or move (``parent_id`` None = to the top level); a move into itself or below
    itself, or deeper than MAX_FOLDER_DEPTH, is a 422."""
    from a2n.db.repositories.folders import FOLDER_NAME_TAKEN, FolderRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.access import require

    with UnitOfWork() as uow:
        require(uow.session, principal, Action.FOLDER_WRITE)
        workspace_id = _workspace(principal)
        repo = FolderRepository(uow.session)
        folder = repo.require_in_workspace(workspace_id, _parse(folder_id))
        changes: dict[str, Any] = {}
        if parent_id is not UNCHANGED and parent_id != folder.parent_id:
            if parent_id is not None:
                if folder.id in repo.ancestors(workspace_id, parent_id):
                    raise ValidationFailed(
                        [Problem("/parentId", "a folder cannot move into itself or below itself")]
                    )
                _check_depth(uow.session, workspace_id, parent_id, height=repo.height(folder.id))
            changes["parentId"] = {"from": _text(folder.parent_id), "to": _text(parent_id)}
            folder.parent_id = parent_id
        if name is not UNCHANGED and name != folder.name:
            changes["name"] = {"from": folder.name, "to": name}
            folder.name = name
        if changes:
            folder.updated_at = datetime.now(UTC)
            repo.save(conflict=FOLDER_NAME_TAKEN)
            _audit(uow.session, principal, "folder.update", folder, changes, origin=origin)
        view = _view(folder)
        uow.commit()
    return view


def delete_folder(principal: Principal, folder_id: str, *, origin: Origin | None = None) -> None:
    """Only an empty folder (no live workflow, no subfolder) is deleted; else 409 saying what is in it.
    Archived workflows in it move to the top level (they are not shown in folders anyway)."""
    from a2n.db.repositories.folders import FolderRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.access import require

    with UnitOfWork() as uow:
        require(uow.session, principal, Action.FOLDER_WRITE)
        repo = FolderRepository(uow.session)
        folder = repo.require_in_workspace(_workspace(principal), _parse(folder_id))
        contents = repo.contents(folder.id)
        if not contents.empty:
            raise Conflict(
                f"The folder holds {contents.workflows} workflow(s) and {contents.folders} folder(s);"
                " move or delete them first"
            )
        _audit(uow.session, principal, "folder.delete", folder, {"name": folder.name}, origin=origin)
        repo.delete(folder)
        uow.commit()


def _check_depth(session: Session, workspace_id: uuid.UUID, parent_id: uuid.UUID, *, height: int) -> None:
    from a2n.db.repositories.folders import FolderRepository

    chain = FolderRepository(session).ancestors(workspace_id, parent_id)
    if not chain:
        raise ValidationFailed([Problem("/parentId", "no folder with this id in this workspace")])
    if len(chain) + height > MAX_FOLDER_DEPTH:
        raise ValidationFailed([Problem("/parentId", f"folders nest at most {MAX_FOLDER_DEPTH} levels deep")])


# --- workflow details and un-archiving ------------------------------------------------------------


def update_workflow_details(
    principal: Principal, workflow_id: str, details: WorkflowDetails, *, origin: Origin | None = None
) -> WorkflowView:
    """``PATCH /workflows/{id}``: organisation and labels; the definition, its versions and what runs
    are untouched. Moving to a folder needs the workspace role (folders are the workspace's)."""
    from a2n.db.uow import UnitOfWork
    from a2n.services.workflow_access import open_workflow
    from a2n.services.workflow_views import workflow_view

    with UnitOfWork() as uow:
        action = Action.WORKFLOW_ORGANISE if details.folder_id is not UNCHANGED else Action.WORKFLOW_WRITE
        workflow = open_workflow(uow.session, principal, workflow_id, action, lock=True)
        if details.folder_id not in (UNCHANGED, None):
            from a2n.services.workflow_access import require_folder

            require_folder(uow.session, workflow.workspace_id, details.folder_id, "/folderId")
        changes: dict[str, Any] = {}
        for field, column in (
            ("name", "name"), ("description", "description"), ("category", "category"),
            ("folder_id", "folder_id"),
        ):  # fmt: skip
            value = getattr(details, field)
            if value is not UNCHANGED and value != getattr(workflow, column):
                changes[_camel(field)] = {"from": _text(getattr(workflow, column)), "to": _text(value)}
                setattr(workflow, column, value)
        if details.tags is not UNCHANGED:
            tags = list(dict.fromkeys(details.tags))
            if tags != list(workflow.tags):
                changes["tags"] = {"from": list(workflow.tags), "to": tags}
                workflow.tags = tags
        if changes:
            workflow.updated_at = datetime.now(UTC)
            record_audit(
                uow.session, workspace_id=workflow.workspace_id, actor=Actor.of(principal),
                action="workflow.update_details", entity_type="workflow", entity_id=workflow.id,
                changes=changes, origin=origin,
            )  # fmt: skip
        uow.session.flush()
        view = workflow_view(workflow)
        uow.commit()
    return view


def unarchive_workflow(
    principal: Principal, workflow_id: str, *, origin: Origin | None = None
) -> WorkflowView:
    """``POST /workflows/{id}/unarchive``: a deleted workflow comes back, inactive (its triggers were
    detached when it was deleted; activate it again to run them)."""
    from a2n.db.repositories.workflows import WorkflowRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.access import require
    from a2n.services.workflow_views import workflow_view

    with UnitOfWork() as uow:
        require(uow.session, principal, Action.WORKFLOW_ORGANISE)
        workflow = WorkflowRepository(uow.session).require_archived(
            _workspace(principal), _parse(workflow_id, "Workflow")
        )
        archived_at = workflow.archived_at
        workflow.archived_at = None
        workflow.updated_at = datetime.now(UTC)
        record_audit(
            uow.session, workspace_id=workflow.workspace_id, actor=Actor.of(principal),
            action="workflow.unarchive", entity_type="workflow", entity_id=workflow.id,
            changes={"archivedAt": archived_at.isoformat() if archived_at else None}, origin=origin,
        )  # fmt: skip
        uow.session.flush()
        view = workflow_view(workflow)
        uow.commit()
    return view


def _camel(field: str) -> str:
    head, *rest = field.split("_")
    return head + "".join(part.title() for part in rest)


def _text(value: Any) -> Any:
    return str(value) if isinstance(value, uuid.UUID) else value


def _audit(
    session: Session, principal: Principal, action: str, folder: WorkflowFolder, changes: dict[str, Any],
    *, origin: Origin | None,
) -> None:  # fmt: skip
    record_audit(
        session, workspace_id=folder.workspace_id, actor=Actor.of(principal), action=action,
        entity_type="folder", entity_id=folder.id, changes=changes, origin=origin,
    )  # fmt: skip
