"""Opening one workflow for a use case: the caller's access decided by the policy, then the row,
scoped so that another workspace's workflow is indistinguishable from none (404)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from a2n.errors import NotFound, Problem, ValidationFailed

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.auth.policy import Action
    from a2n.auth.principal import Principal
    from a2n.db.models import Workflow


def workflow_uuid(text: str) -> uuid.UUID:
    """A malformed id names no workflow: the same 404 as an unknown one."""
    try:
        return uuid.UUID(text)
    except ValueError:
        raise NotFound("Workflow not found") from None


def open_workflow(
    session: Session, principal: Principal, workflow_id: str, action: Action, *, lock: bool = False
) -> Workflow:
    """The live workflow if the caller may do ``action`` on it; ``lock`` takes its row lock."""
    from a2n.db.repositories.workflows import WorkflowRepository
    from a2n.services.access import require

    require(session, principal, action)
    return WorkflowRepository(session).require_live(
        uuid.UUID(principal.workspace_id), workflow_uuid(workflow_id), lock=lock
    )


def require_folder(session: Session, workspace_id: uuid.UUID, folder_id: uuid.UUID, pointer: str) -> None:
    """A folder named in a body must be one of the workspace's: 422 at ``pointer`` otherwise."""
    from a2n.db.repositories.folders import FolderRepository

    if FolderRepository(session).get_in_workspace(workspace_id, folder_id) is None:
        raise ValidationFailed([Problem(pointer, "no folder with this id in this workspace")])
