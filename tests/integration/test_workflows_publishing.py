"""Draft and published (issue 13 item 2): a save is a draft that never changes what runs; publishing
makes a version what triggers and published runs execute; manual runs may test the draft."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime
from typing import Any

import engine_harness
import pytest
from credential_support import member
from engine_harness import Engine
from sqlalchemy import text
from sqlalchemy.orm import Session

from a2n.auth.principal import Principal
from a2n.db.enums import WorkspaceRole
from a2n.db.models import AuditLog, WorkflowTrigger
from a2n.errors import Forbidden, NotFound
from a2n.services import workflows
from a2n.services.execution_commands import execute_workflow
from a2n.services.publishing import publish_workflow
from a2n.services.webhooks import trigger_secrets
from a2n.services.workflows import WorkflowDraft

engine = engine_harness.engine  # the fixture: a real engine over moto's SQS


def labelled(label: str) -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "start", "type": "trigger.manual", "config": {}},
            {"id": "out", "type": "transform", "config": {"value": {"label": label}}},
        ],
        "connections": [{"source": "start", "target": "out"}],
    }


def hooked(secret: str) -> dict[str, Any]:
    definition = labelled("hook")
    definition["nodes"].append(
        {"id": "hook", "type": "trigger.webhook",
         "config": {"method": "POST", "auth": {"type": "hmac", "preset": "generic", "secret": secret}}}
    )  # fmt: skip
    definition["connections"].append({"source": "hook", "target": "out"})
    return definition


def owner_in(engine: Engine) -> Principal:
    from identity_support import new_user

    from a2n.db.models import WorkspaceMember
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        user = new_user(uow.session)
        uow.session.add(
            WorkspaceMember(workspace_id=engine.workspace_id, user_id=user.id, role=WorkspaceRole.OWNER)
        )
        uow.commit()
    return Principal(user_id=str(user.id), workspace_id=str(engine.workspace_id), auth_type="jwt")


def run(engine: Engine, owner: Principal, workflow_id: uuid.UUID, *, draft: bool = False) -> dict[str, Any]:
    started = execute_workflow(
        owner, workflow_id, {}, idempotency_key=None, request_hash=None, run_draft=draft
    )
    engine.pump()
    return engine.execution(started.execution_id)


def test_a_saved_draft_never_changes_what_runs_until_it_is_published(engine: Engine) -> None:
    owner = owner_in(engine)
    workflow_id = workflows.create_workflow(owner, WorkflowDraft("wf", labelled("v1"))).id
    workflows.replace_workflow(owner, str(workflow_id), WorkflowDraft("wf", labelled("v2")))

    published_run = run(engine, owner, workflow_id)
    draft_run = run(engine, owner, workflow_id, draft=True)

    assert (published_run["output"], published_run["workflow_version"]) == ({"label": "v1"}, 1)
    assert (draft_run["output"], draft_run["workflow_version"]) == ({"label": "v2"}, 2)
    view = publish_workflow(owner, str(workflow_id), None)
    assert view.published is not None and view.published.version == 2
    assert run(engine, owner, workflow_id)["output"] == {"label": "v2"}
    publish_workflow(owner, str(workflow_id), 1)  # back to an older version
    assert run(engine, owner, workflow_id)["output"] == {"label": "v1"}


def test_get_shows_the_draft_and_the_published_version(db_session: Session) -> None:
    owner = member(db_session).principal
    workflow_id = workflows.create_workflow(owner, WorkflowDraft("wf", labelled("v1"))).id
    workflows.replace_workflow(owner, str(workflow_id), WorkflowDraft("wf", labelled("v2")))

    view = workflows.get_workflow(owner, str(workflow_id))

    assert view.version == 2 and view.definition is not None
    assert view.definition["nodes"][1]["config"]["value"] == {"label": "v2"}
    assert view.published is not None and view.published.version == 1
    assert view.published.definition is not None
    assert view.published.definition["nodes"][1]["config"]["value"] == {"label": "v1"}


def test_publishing_is_audited_with_the_version_it_replaced_and_needs_a_member(db_session: Session) -> None:
    owner = member(db_session)
    viewer = member(db_session, WorkspaceRole.VIEWER, owner.workspace).principal
    workflow_id = workflows.create_workflow(owner.principal, WorkflowDraft("wf", labelled("v1"))).id
    workflows.replace_workflow(owner.principal, str(workflow_id), WorkflowDraft("wf", labelled("v2")))

    with pytest.raises(Forbidden):
        publish_workflow(viewer, str(workflow_id), None)
    with pytest.raises(NotFound):
        publish_workflow(owner.principal, str(workflow_id), 7)
    publish_workflow(owner.principal, str(workflow_id), 2)
    publish_workflow(owner.principal, str(workflow_id), 2)  # again: nothing changes, nothing audited

    entries = (
        db_session.query(AuditLog).filter_by(action="workflow.publish", entity_id=str(workflow_id)).all()
    )
    assert [e.changes for e in entries] == [{"version": 2, "previousVersion": 1}]


def test_an_unpublished_drafts_secret_survives_later_saves_and_its_restore(db_session: Session) -> None:
    """The secret a draft introduced is sealed on its version row, carried by later saves that show
    the mask, and by a restore of that version; it reaches the trigger row only when published."""
    owner = member(db_session).principal
    workflow_id = workflows.create_workflow(owner, WorkflowDraft("wf", hooked("first-secret"))).id
    workflows.replace_workflow(owner, str(workflow_id), WorkflowDraft("wf", hooked("second-secret")))
    masked = workflows.get_workflow(owner, str(workflow_id)).definition
    assert masked is not None
    workflows.replace_workflow(owner, str(workflow_id), WorkflowDraft("wf", copy.deepcopy(masked)))  # v3
    workflows.replace_workflow(owner, str(workflow_id), WorkflowDraft("wf", hooked("third-secret")))  # v4
    workflows.restore_version(owner, str(workflow_id), 3)  # v5: the second secret again

    row = db_session.query(WorkflowTrigger).filter_by(workflow_id=workflow_id).one()
    assert trigger_secrets(row, datetime.now(UTC)) == [b"first-secret"]
    stored = " ".join(
        db_session.execute(
            text("SELECT definition::text || coalesce(sealed_secrets::text, '') FROM workflow_versions")
        ).scalars()
    )
    assert not any(plain in stored for plain in ("first-secret", "second-secret", "third-secret"))

    publish_workflow(owner, str(workflow_id), 5)

    db_session.refresh(row)
    assert trigger_secrets(row, datetime.now(UTC)) == [b"second-secret", b"first-secret"]


def test_a_sealed_draft_secret_opens_only_for_its_own_workflow_and_node(db_session: Session) -> None:
    from a2n.crypto.envelope import CredentialDecryptError
    from a2n.services.publishing import open_draft_secrets, sealed_draft_secrets

    workflow_id = uuid.uuid4()
    stored = {"nodes": []}
    sealed = sealed_draft_secrets(workflow_id, stored, {"hook": "s3cret"}, None)

    assert sealed is not None and open_draft_secrets(workflow_id, sealed) == {"hook": "s3cret"}
    with pytest.raises(CredentialDecryptError):
        open_draft_secrets(uuid.uuid4(), sealed)
    with pytest.raises(CredentialDecryptError):
        open_draft_secrets(workflow_id, {"other": sealed["hook"]})
