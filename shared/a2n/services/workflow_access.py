"""Opening one workflow for a use case: the caller's standing toward it (role in its workspace and
best live share, one statement), the policy's verdict, then the row. A workflow of another
workspace is reachable only through a share; without one it is indistinguishable from none (404).

Use cases that open a workflow act in *its* workspace from then on (credentials, audit, execution
starts), which for a share holder may not be the workspace the request acts in.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from a2n.errors import NotFound, Problem, ValidationFailed

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.auth.policy import Action, WorkflowAccess
    from a2n.auth.principal import Principal
    from a2n.db.models import Workflow


def workflow_uuid(text: str) -> uuid.UUID:
    """A malformed id names no workflow: the same 404 as an unknown one."""
    try:
        return uuid.UUID(text)
    except ValueError:
        raise NotFound("Workflow not found") from None


def workflow_access(
    session: Session, principal: Principal, workflow_id: uuid.UUID
) -> tuple[uuid.UUID, WorkflowAccess]:
    """The workflow's workspace and the caller's standing toward it; NotFound for no live workflow."""
    from a2n.auth.policy import Role, WorkflowAccess
    from a2n.db.repositories.shares import ShareRepository

    standing = ShareRepository(session).standing(workflow_id, uuid.UUID(principal.user_id))
    if standing is None:
        raise NotFound("Workflow not found")
    role = Role(standing.role.value) if standing.role is not None else None
    acting_there = str(standing.workspace_id) == principal.workspace_id
    return standing.workspace_id, WorkflowAccess(role, acting_there, standing.share)


def require_workflow(session: Session, principal: Principal, workflow_id: str, action: Action) -> uuid.UUID:
    """The workflow's workspace id if the caller may do ``action`` on it (by role or share)."""
    from a2n.auth.policy import authorize_workflow

    workspace_id, access = workflow_access(session, principal, workflow_uuid(workflow_id))
    authorize_workflow(principal, access, action)
    return workspace_id


def open_workflow(
    session: Session, principal: Principal, workflow_id: str, action: Action, *, lock: bool = False
) -> Workflow:
    """The live workflow if the caller may do ``action`` on it; ``lock`` takes its row lock."""
    from a2n.db.repositories.workflows import WorkflowRepository

    workspace_id = require_workflow(session, principal, workflow_id, action)
    return WorkflowRepository(session).require_live(workspace_id, workflow_uuid(workflow_id), lock=lock)


def require_folder(session: Session, workspace_id: uuid.UUID, folder_id: uuid.UUID, pointer: str) -> None:
    """A folder named in a body must be one of the workspace's: 422 at ``pointer`` otherwise."""
    from a2n.db.repositories.folders import FolderRepository

    if FolderRepository(session).get_in_workspace(workspace_id, folder_id) is None:
        raise ValidationFailed([Problem(pointer, "no folder with this id in this workspace")])
