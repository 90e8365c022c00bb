"""Access checks: members get their role, others a 404, API keys stay in their workspace."""

from __future__ import annotations

import uuid

import pytest
from identity_support import new_user

from a2n.auth.policy import Action, Role
from a2n.auth.principal import Principal
from a2n.db.enums import WorkspaceRole
from a2n.db.models import User, Workspace, WorkspaceMember
from a2n.errors import Forbidden, NotFound
from a2n.services.access import require


def _member(db_session, role: WorkspaceRole) -> tuple[User, Workspace]:
    user = new_user(db_session, name="u")
    ws = Workspace(name="W", slug=f"w-{uuid.uuid4().hex[:8]}")
    db_session.add(ws)
    db_session.flush()
    db_session.add(WorkspaceMember(workspace_id=ws.id, user_id=user.id, role=role))
    db_session.flush()
    return user, ws


def test_member_gets_its_role_and_viewer_cannot_write(db_session) -> None:
    user, ws = _member(db_session, WorkspaceRole.VIEWER)
    me = Principal(user_id=str(user.id), workspace_id=str(ws.id), auth_type="jwt")
    assert require(db_session, me, Action.WORKFLOW_READ) is Role.VIEWER
    with pytest.raises(Forbidden):
        require(db_session, me, Action.WORKFLOW_WRITE)


def test_non_member_gets_not_found(db_session) -> None:
    user, _ = _member(db_session, WorkspaceRole.OWNER)
    _, foreign = _member(db_session, WorkspaceRole.OWNER)
    me = Principal(user_id=str(user.id), workspace_id=str(foreign.id), auth_type="jwt")
    with pytest.raises(NotFound):
        require(db_session, me, Action.WORKFLOW_READ)


def test_api_key_cannot_reach_another_workspace_even_as_member(db_session) -> None:
    user, ws = _member(db_session, WorkspaceRole.OWNER)
    other = Workspace(name="W2", slug=f"w2-{uuid.uuid4().hex[:8]}")
    db_session.add(other)
    db_session.flush()
    db_session.add(WorkspaceMember(workspace_id=other.id, user_id=user.id, role=WorkspaceRole.OWNER))
    db_session.flush()
    key = Principal(
        user_id=str(user.id), workspace_id=str(ws.id), auth_type="api_key",
        scopes=frozenset({"workflows:read"}), api_key_id=str(uuid.uuid4()),
    )
    assert require(db_session, key, Action.WORKFLOW_READ) is Role.OWNER
    with pytest.raises(NotFound):
        require(db_session, key, Action.WORKFLOW_READ, workspace_id=str(other.id))
    with pytest.raises(Forbidden):
        require(db_session, key, Action.WORKFLOW_WRITE)
