"""Credential sharing and usage (issue 13 item 6): private to its owner and the workspace's ADMINs
until shared for use; attaching needs the right to use it; a run uses it while whoever attached it
still may; unsharing or deleting what active workflows depend on is a 409 unless forced; every use
by a step is logged and counted."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import engine_harness
import pytest
from credential_support import ORIGIN
from engine_harness import Engine
from identity_support import new_user
from scripted_http import HitServer
from sqlalchemy import text

from a2n.api.pagination import PageRequest
from a2n.auth.principal import Principal
from a2n.db.base import utcnow
from a2n.db.enums import WorkspaceRole
from a2n.db.models import WorkspaceMember
from a2n.db.uow import UnitOfWork
from a2n.errors import Conflict, Forbidden, NotFound, ValidationFailed
from a2n.services import credential_sharing as sharing
from a2n.services import credentials, workflows
from a2n.services.activation import activate_workflow
from a2n.services.credentials import CredentialDraft
from a2n.services.execution_commands import execute_workflow
from a2n.services.workflows import WorkflowDraft

engine = engine_harness.engine
hits = engine_harness.hits


def person(engine: Engine, role: WorkspaceRole) -> Principal:
    with UnitOfWork() as uow:
        user = new_user(uow.session)
        uow.session.add(WorkspaceMember(workspace_id=engine.workspace_id, user_id=user.id, role=role))
        uow.commit()
    return Principal(user_id=str(user.id), workspace_id=str(engine.workspace_id), auth_type="jwt")


def email_of(who: Principal) -> str:
    with UnitOfWork() as uow:
        return str(
            uow.session.execute(
                text("SELECT email FROM users WHERE id = :u"), {"u": who.user_id}
            ).scalar_one()
        )


def calls(url: str, credential_id: str, *, count: int = 1) -> dict[str, Any]:
    nodes: list[dict[str, Any]] = [{"id": "start", "type": "trigger.manual", "config": {}}]
    edges = []
    for n in range(count):
        nodes.append({"id": f"call{n}", "type": "http_request", "credentialId": credential_id,
                      "config": {"method": "GET", "url": url}})  # fmt: skip
        edges.append({"source": nodes[-2]["id"], "target": f"call{n}"})
    return {"nodes": nodes, "connections": edges}


def run(engine: Engine, who: Principal, workflow_id: uuid.UUID) -> dict[str, Any]:
    started = execute_workflow(who, workflow_id, {}, idempotency_key=None, request_hash=None)
    engine.pump()
    return engine.execution(started.execution_id) | {"nodes": engine.nodes(started.execution_id)}


def secret(owner: Principal) -> str:
    draft = CredentialDraft(f"api-{uuid.uuid4().hex[:6]}", "bearer", {"token": "t0k"})
    return str(credentials.create_credential(owner, draft, ORIGIN).id)


def test_a_credential_is_private_until_shared_for_use(engine: Engine, hits: HitServer) -> None:
    owner, member, admin = (
        person(engine, r) for r in (WorkspaceRole.MEMBER, WorkspaceRole.MEMBER, WorkspaceRole.ADMIN)
    )
    credential_id = secret(owner)

    with pytest.raises(ValidationFailed) as refused:
        workflows.create_workflow(member, WorkflowDraft("mine", calls(hits.url, credential_id)))
    assert [(p.pointer, p.message) for p in refused.value.problems] == [
        ("/definition/nodes/1/credentialId", "this credential is not shared with you")
    ]
    workflows.create_workflow(admin, WorkflowDraft("an admin's", calls(hits.url, credential_id)))
    sharing.share_credential(owner, credential_id, email_of(member), expires_at=None)
    workflow = workflows.create_workflow(member, WorkflowDraft("mine", calls(hits.url, credential_id)))

    assert run(engine, member, workflow.id)["status"] == "SUCCEEDED"
    listed = {i.id: i.can_use for i in credentials.list_credentials(member, PageRequest()).items}
    assert listed[uuid.UUID(credential_id)] is True


def test_each_step_that_uses_a_credential_is_logged_and_counted(engine: Engine, hits: HitServer) -> None:
    owner = person(engine, WorkspaceRole.MEMBER)
    credential_id = secret(owner)
    workflow = workflows.create_workflow(
        owner, WorkflowDraft("three calls", calls(hits.url, credential_id, count=3))
    )

    first = run(engine, owner, workflow.id)
    second = run(engine, owner, workflow.id)

    usage = sharing.credential_usage(owner, credential_id, PageRequest()).items
    assert len(usage) == 6
    assert {(u.execution_id, u.node_id, u.attempt, u.workflow_id) for u in usage} == {
        (run_["id"], f"call{n}", 1, workflow.id) for run_ in (first, second) for n in range(3)
    }
    assert credentials.get_credential(owner, credential_id).usage_count == 6
    assert [u.used_at for u in usage] == sorted((u.used_at for u in usage), reverse=True)


def test_unsharing_what_an_active_workflow_depends_on_is_409_unless_forced(
    engine: Engine, hits: HitServer
) -> None:
    owner, member = person(engine, WorkspaceRole.MEMBER), person(engine, WorkspaceRole.MEMBER)
    credential_id = secret(owner)
    share = sharing.share_credential(owner, credential_id, email_of(member), expires_at=None)
    workflow = workflows.create_workflow(member, WorkflowDraft("depends", calls(hits.url, credential_id)))
    activate_workflow(member, workflow.id)

    with pytest.raises(Conflict) as refused:
        sharing.unshare_credential(owner, credential_id, str(share.id), force=False)
    assert refused.value.extra["workflows"] == [{"id": str(workflow.id), "name": "depends"}]
    assert run(engine, member, workflow.id)["status"] == "SUCCEEDED"  # nothing changed

    sharing.unshare_credential(owner, credential_id, str(share.id), force=True)

    after = run(engine, member, workflow.id)
    assert after["status"] == "FAILED"
    assert "not shared with whoever attached it" in after["nodes"]["call0"]["error"]["message"]
    with UnitOfWork() as uow:
        entry = uow.session.execute(
            text("SELECT changes FROM audit_logs WHERE action = 'credential.unshare' AND entity_id = :c"),
            {"c": credential_id},
        ).scalar_one()
    assert entry["forced"] is True and entry["workflows"] == [str(workflow.id)]


def test_an_expired_share_stops_the_runs_and_the_attaching(engine: Engine, hits: HitServer) -> None:
    owner, member = person(engine, WorkspaceRole.MEMBER), person(engine, WorkspaceRole.MEMBER)
    credential_id = secret(owner)
    sharing.share_credential(owner, credential_id, email_of(member), expires_at=utcnow() + timedelta(hours=1))
    workflow = workflows.create_workflow(member, WorkflowDraft("borrowed", calls(hits.url, credential_id)))
    assert run(engine, member, workflow.id)["status"] == "SUCCEEDED"

    with UnitOfWork() as uow:
        uow.session.execute(text("UPDATE credential_shares SET expires_at = now() - interval '1 second'"))
        uow.commit()

    assert run(engine, member, workflow.id)["status"] == "FAILED"
    with pytest.raises(ValidationFailed):
        workflows.create_workflow(member, WorkflowDraft("again", calls(hits.url, credential_id)))


def test_editing_a_workflow_keeps_what_someone_else_attached(engine: Engine, hits: HitServer) -> None:
    """The right to attach is checked for credentials a save adds; an editor without it can still
    change the rest of a workflow, and runs use the credential under its attacher's right."""
    owner, editor = person(engine, WorkspaceRole.MEMBER), person(engine, WorkspaceRole.MEMBER)
    credential_id = secret(owner)
    workflow = workflows.create_workflow(owner, WorkflowDraft("wf", calls(hits.url, credential_id)))
    other = secret(owner)

    workflows.replace_workflow(
        editor, str(workflow.id), WorkflowDraft("renamed", calls(hits.url, credential_id))
    )
    with pytest.raises(ValidationFailed):
        workflows.replace_workflow(editor, str(workflow.id), WorkflowDraft("renamed", calls(hits.url, other)))
    from a2n.services.publishing import publish_workflow

    publish_workflow(editor, str(workflow.id), None)
    assert run(engine, editor, workflow.id)["status"] == "SUCCEEDED"


def test_deleting_a_credential_active_workflows_use_is_409_unless_forced(
    engine: Engine, hits: HitServer
) -> None:
    owner = person(engine, WorkspaceRole.MEMBER)
    credential_id = secret(owner)
    workflow = workflows.create_workflow(owner, WorkflowDraft("uses it", calls(hits.url, credential_id)))
    activate_workflow(owner, workflow.id)

    with pytest.raises(Conflict) as refused:
        credentials.delete_credential(owner, credential_id, ORIGIN)
    assert [w["id"] for w in refused.value.extra["workflows"]] == [str(workflow.id)]
    credentials.delete_credential(owner, credential_id, ORIGIN, force=True)

    with pytest.raises(NotFound):
        credentials.get_credential(owner, credential_id)


def test_only_the_owner_or_an_admin_manages_a_credential_and_shares_go_to_members(engine: Engine) -> None:
    owner, member = person(engine, WorkspaceRole.MEMBER), person(engine, WorkspaceRole.MEMBER)
    admin = person(engine, WorkspaceRole.ADMIN)
    credential_id = secret(owner)
    share = sharing.share_credential(owner, credential_id, None, expires_at=None)  # the whole workspace

    from a2n.services.credentials import CredentialChanges

    with pytest.raises(Forbidden):  # a share lends use, never the right to change it
        credentials.update_credential(member, credential_id, CredentialChanges(name="mine now"), ORIGIN)
    with pytest.raises(Forbidden):
        sharing.share_credential(member, credential_id, email_of(admin), expires_at=None)
    with pytest.raises(Forbidden):
        sharing.credential_usage(member, credential_id, PageRequest())
    credentials.update_credential(admin, credential_id, CredentialChanges(name="renamed by an admin"), ORIGIN)
    with pytest.raises(Conflict):
        sharing.share_credential(owner, credential_id, None, expires_at=None)
    with pytest.raises(Conflict):
        sharing.share_credential(owner, credential_id, email_of(owner), expires_at=None)
    with pytest.raises(NotFound):
        sharing.share_credential(owner, credential_id, "nobody@example.com", expires_at=None)
    with UnitOfWork() as uow:
        outsider = new_user(uow.session)
        uow.commit()
        outsider_email = outsider.email
    with pytest.raises(ValidationFailed):
        sharing.share_credential(owner, credential_id, outsider_email, expires_at=None)
    assert [s.id for s in sharing.list_credential_shares(admin, credential_id)] == [share.id]


def test_retention_drops_old_uses_and_the_count_follows(engine: Engine, hits: HitServer) -> None:
    from datetime import UTC, datetime

    from a2n.services.retention import apply_retention
    from a2n.settings import Settings

    owner = person(engine, WorkspaceRole.MEMBER)
    credential_id = secret(owner)
    definition = calls(hits.url, credential_id, count=2)
    workflow = workflows.create_workflow(owner, WorkflowDraft("calls", definition))
    run(engine, owner, workflow.id)
    with UnitOfWork() as uow:
        uow.session.execute(
            text("UPDATE credential_usage SET used_at = now() - interval '91 days' WHERE node_id = 'call0'")
        )
        uow.commit()

    report = apply_retention(datetime.now(UTC), Settings())

    assert report.credential_uses_deleted == 1
    assert credentials.get_credential(owner, credential_id).usage_count == 1
