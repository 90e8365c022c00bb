"""Sharing workflows (issue 13 item 3): who may share, with whom, at which level; revocation and
expiry applying at the next request; the shared-with-me list; audit of every share and unshare."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from credential_support import Member, member
from sqlalchemy import text
from sqlalchemy.orm import Session

from a2n.api.pagination import PageRequest
from a2n.auth.principal import Principal
from a2n.db.base import utcnow
from a2n.db.enums import ShareLevel, WorkspaceRole
from a2n.db.models import AuditLog, WorkspaceMember
from a2n.errors import Conflict, Forbidden, NotFound, ValidationFailed
from a2n.services import shares, workflows
from a2n.services.shares import UNSET, ShareRequest
from a2n.services.workflows import WorkflowDraft


def definition() -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "start", "type": "trigger.manual", "config": {}},
            {"id": "n", "type": "noop", "config": {}},
        ],
        "connections": [{"source": "start", "target": "n"}],
    }


@pytest.fixture
def owner(db_session: Session) -> Member:
    return member(db_session)


def new_workflow(owner: Member) -> str:
    return str(workflows.create_workflow(owner.principal, WorkflowDraft("shared", definition())).id)


def share(owner: Member, workflow_id: str, email: str | None, level: ShareLevel, **kw: Any) -> Any:
    return shares.share_workflow(owner.principal, workflow_id, ShareRequest(email, level, **kw))


def test_an_outsider_reads_through_a_view_share_and_loses_it_at_the_next_request(
    db_session: Session, owner: Member
) -> None:
    workflow_id = new_workflow(owner)
    outsider = member(db_session)
    with pytest.raises(NotFound):
        workflows.get_workflow(outsider.principal, workflow_id)

    granted = share(owner, workflow_id, outsider.user.email.upper(), ShareLevel.VIEW)  # emails ignore case

    assert workflows.get_workflow(outsider.principal, workflow_id).name == "shared"
    with pytest.raises(Forbidden):
        workflows.replace_workflow(outsider.principal, workflow_id, WorkflowDraft("x", definition()))
    listed = shares.shared_with_me(outsider.principal, PageRequest()).items
    assert [(s.name, s.level, s.shared_by) for s in listed] == [("shared", "view", owner.user.email)]

    shares.revoke_share(owner.principal, workflow_id, str(granted.id))

    with pytest.raises(NotFound):
        workflows.get_workflow(outsider.principal, workflow_id)
    assert shares.shared_with_me(outsider.principal, PageRequest()).items == []


def test_outside_the_workspace_only_view_is_granted(db_session: Session, owner: Member) -> None:
    workflow_id = new_workflow(owner)
    outsider = member(db_session)

    for level in (ShareLevel.RUN, ShareLevel.EDIT):
        with pytest.raises(ValidationFailed) as refused:
            share(owner, workflow_id, outsider.user.email, level)
        assert refused.value.problems[0].pointer == "/level"
        assert "credentials" in refused.value.problems[0].message
    assert db_session.scalar(text("SELECT count(*) FROM workflow_shares WHERE workflow_id = :w"),
                             {"w": workflow_id}) == 0  # fmt: skip


def test_a_member_removed_from_the_workspace_keeps_only_view(db_session: Session, owner: Member) -> None:
    import uuid

    from a2n.db.models import Workspace
    from a2n.services.execution_commands import execute_workflow

    workflow_id = new_workflow(owner)
    viewer = member(db_session, WorkspaceRole.VIEWER, owner.workspace)
    share(owner, workflow_id, viewer.user.email, ShareLevel.EDIT)
    own = Workspace(name="Own", slug=f"own-{uuid.uuid4().hex[:8]}")
    db_session.add(own)
    db_session.flush()
    db_session.add(WorkspaceMember(workspace_id=own.id, user_id=viewer.user.id, role=WorkspaceRole.OWNER))
    db_session.flush()
    acting_elsewhere = Principal(user_id=str(viewer.user.id), workspace_id=str(own.id), auth_type="jwt")
    workflows.replace_workflow(acting_elsewhere, workflow_id, WorkflowDraft("edited", definition()))

    db_session.query(WorkspaceMember).filter_by(
        workspace_id=owner.workspace.id, user_id=viewer.user.id
    ).delete()

    assert workflows.get_workflow(acting_elsewhere, workflow_id).name == "edited"
    with pytest.raises(Forbidden):
        workflows.replace_workflow(acting_elsewhere, workflow_id, WorkflowDraft("again", definition()))
    with pytest.raises(Forbidden):
        execute_workflow(
            acting_elsewhere, uuid.UUID(workflow_id), {}, idempotency_key=None, request_hash=None
        )
    listed = shares.list_shares(owner.principal, workflow_id, PageRequest()).items
    assert [(s.level, s.effective_level) for s in listed] == [("edit", "view")]


def test_a_run_share_inside_runs_in_the_owner_workspace_and_is_audited_there(
    db_session: Session, owner: Member
) -> None:
    from uuid import UUID

    from a2n.services.execution_commands import execute_workflow

    workflow_id = new_workflow(owner)
    viewer = member(db_session, WorkspaceRole.VIEWER, owner.workspace)
    with pytest.raises(Forbidden):
        execute_workflow(viewer.principal, UUID(workflow_id), {}, idempotency_key=None, request_hash=None)
    share(owner, workflow_id, viewer.user.email, ShareLevel.RUN)

    started = execute_workflow(
        viewer.principal, UUID(workflow_id), {}, idempotency_key=None, request_hash=None
    )
    with pytest.raises(Forbidden):  # the draft is an editor's
        execute_workflow(viewer.principal, UUID(workflow_id), {}, idempotency_key=None, request_hash=None,
                         run_draft=True)  # fmt: skip

    workspace = db_session.scalar(text("SELECT workspace_id FROM executions WHERE id = :e"),
                                  {"e": started.execution_id})  # fmt: skip
    assert workspace == owner.workspace.id


def test_a_workspace_wide_share_lifts_every_member_but_no_outsider(
    db_session: Session, owner: Member
) -> None:
    workflow_id = new_workflow(owner)
    viewer = member(db_session, WorkspaceRole.VIEWER, owner.workspace)
    outsider = member(db_session)
    share(owner, workflow_id, None, ShareLevel.EDIT)

    workflows.replace_workflow(viewer.principal, workflow_id, WorkflowDraft("by a viewer", definition()))
    with pytest.raises(NotFound):
        workflows.get_workflow(outsider.principal, workflow_id)
    with pytest.raises(Conflict):
        share(owner, workflow_id, None, ShareLevel.VIEW)


def test_bad_shares_are_refused_and_store_nothing(db_session: Session, owner: Member) -> None:
    workflow_id = new_workflow(owner)
    other = member(db_session, WorkspaceRole.MEMBER, owner.workspace)

    with pytest.raises(NotFound) as unknown:
        share(owner, workflow_id, "nobody@example.com", ShareLevel.VIEW)
    assert "workspace" not in str(unknown.value) and "member" not in str(unknown.value)
    with pytest.raises(Conflict):
        share(owner, workflow_id, owner.user.email, ShareLevel.VIEW)
    with pytest.raises(ValidationFailed):
        share(
            owner, workflow_id, other.user.email, ShareLevel.VIEW, expires_at=utcnow() - timedelta(minutes=1)
        )
    share(owner, workflow_id, other.user.email, ShareLevel.VIEW)
    with pytest.raises(Conflict):
        share(owner, workflow_id, other.user.email, ShareLevel.EDIT)

    assert db_session.scalar(text("SELECT count(*) FROM workflow_shares WHERE workflow_id = :w"),
                             {"w": workflow_id}) == 1  # fmt: skip


def test_an_expired_share_grants_nothing_and_gives_way_to_a_new_one(
    db_session: Session, owner: Member
) -> None:
    workflow_id = new_workflow(owner)
    outsider = member(db_session)
    granted = share(
        owner, workflow_id, outsider.user.email, ShareLevel.VIEW, expires_at=utcnow() + timedelta(hours=1)
    )
    workflows.get_workflow(outsider.principal, workflow_id)

    db_session.execute(text("UPDATE workflow_shares SET expires_at = now() - interval '1 second'"))

    with pytest.raises(NotFound):
        workflows.get_workflow(outsider.principal, workflow_id)
    assert shares.shared_with_me(outsider.principal, PageRequest()).items == []
    assert shares.list_shares(owner.principal, workflow_id, PageRequest()).items[0].effective_level is None
    again = share(owner, workflow_id, outsider.user.email, ShareLevel.VIEW)
    assert again.id != granted.id


def test_only_members_of_the_workflow_workspace_manage_its_shares(db_session: Session, owner: Member) -> None:
    workflow_id = new_workflow(owner)
    viewer = member(db_session, WorkspaceRole.VIEWER, owner.workspace)
    editor = member(db_session)
    share(owner, workflow_id, viewer.user.email, ShareLevel.EDIT)

    with pytest.raises(Forbidden):  # an edit share is no right to share it on
        shares.share_workflow(viewer.principal, workflow_id, ShareRequest(editor.user.email, ShareLevel.VIEW))
    with pytest.raises(NotFound):
        shares.list_shares(editor.principal, workflow_id, PageRequest())


def test_changing_a_share_rechecks_the_outside_rule_and_every_change_is_audited(
    db_session: Session, owner: Member
) -> None:
    workflow_id = new_workflow(owner)
    outsider = member(db_session)
    granted = share(owner, workflow_id, outsider.user.email, ShareLevel.VIEW)

    with pytest.raises(ValidationFailed):
        shares.update_share(
            owner.principal, workflow_id, str(granted.id), level=ShareLevel.RUN, expires_at=UNSET
        )
    later = utcnow() + timedelta(days=2)
    changed = shares.update_share(owner.principal, workflow_id, str(granted.id), level=None, expires_at=later)
    assert changed.expires_at == later
    shares.revoke_share(owner.principal, workflow_id, str(granted.id))
    with pytest.raises(NotFound):
        shares.revoke_share(owner.principal, workflow_id, str(granted.id))

    trail = db_session.query(AuditLog).filter(AuditLog.entity_id == workflow_id)
    actions = [e.action for e in trail.filter(AuditLog.action.like("workflow.%share%"))]
    assert sorted(actions) == ["workflow.share", "workflow.share_update", "workflow.unshare"]
    entry = trail.filter_by(action="workflow.share").one()
    assert entry.changes["email"] == outsider.user.email and entry.changes["level"] == "view"
    assert entry.workspace_id == owner.workspace.id
