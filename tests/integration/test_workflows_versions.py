"""Versions, restore, export/import and validate against real Postgres: restore validates again,
exports carry credential names and no secrets, imports resolve names in the importer's workspace."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from test_workflows_crud import (
    credential,
    http_definition,
    member,
    pointers,
    simple_definition,
    webhook_definition,
)
from trigger_support import trigger_env

from a2n.api.pagination import PageRequest, decode_cursor
from a2n.auth.principal import Principal
from a2n.db.models import AuditLog, Credential, Workflow, WorkflowTrigger
from a2n.errors import NotFound, ValidationFailed
from a2n.services import workflows
from a2n.services.webhooks import trigger_secrets
from a2n.services.workflow_definitions import SECRET_MASK
from a2n.services.workflows import WorkflowDraft

__all__ = ["trigger_env"]
pytestmark = pytest.mark.usefixtures("trigger_env")


@pytest.fixture
def owner(db_session: Session) -> Principal:
    return member(db_session)


def test_versions_page_newest_first_and_each_keeps_its_definition(owner: Principal) -> None:
    view = workflows.create_workflow(owner, WorkflowDraft("v", simple_definition()))
    for n in range(2, 5):
        changed = simple_definition()
        changed["nodes"][1]["name"] = f"step {n}"
        workflows.replace_workflow(owner, str(view.id), WorkflowDraft("v", changed), change_note=f"n{n}")

    first = workflows.list_versions(owner, str(view.id), PageRequest(limit=3))
    assert [(v.version, v.change_note) for v in first.items] == [(4, "n4"), (3, "n3"), (2, "n2")]
    assert first.items[0].created_by == uuid.UUID(owner.user_id)
    assert first.next_cursor is not None
    rest = workflows.list_versions(
        owner, str(view.id), PageRequest(limit=3, cursor=decode_cursor(first.next_cursor))
    )
    assert [v.version for v in rest.items] == [1] and rest.next_cursor is None

    old = workflows.get_version(owner, str(view.id), 3)
    assert old.definition is not None and old.definition["nodes"][1]["name"] == "step 3"
    with pytest.raises(NotFound):
        workflows.get_version(owner, str(view.id), 99)


def test_restore_makes_a_new_version_equal_to_the_old_one(db_session: Session, owner: Principal) -> None:
    view = workflows.create_workflow(owner, WorkflowDraft("v", webhook_definition("first-secret")))
    token = db_session.scalars(
        select(WorkflowTrigger.webhook_token).where(WorkflowTrigger.workflow_id == view.id)
    ).one()
    workflows.replace_workflow(owner, str(view.id), WorkflowDraft("v", simple_definition()))

    restored = workflows.restore_version(owner, str(view.id), 1)

    assert restored.version == 3
    # The webhook node came back with its sealed secret and its address: its trigger row outlived it.
    stored = db_session.get(Workflow, view.id)
    assert stored is not None
    assert stored.definition["nodes"][0]["config"]["auth"]["secret"] == SECRET_MASK
    (hook,) = db_session.scalars(select(WorkflowTrigger).where(WorkflowTrigger.workflow_id == view.id))
    assert trigger_secrets(hook, datetime.now(UTC)) == [b"first-secret"] and hook.webhook_token == token
    note = workflows.list_versions(owner, str(view.id), PageRequest()).items[0].change_note
    assert note == "Restored from version 1"
    actions = db_session.scalars(select(AuditLog.action).where(AuditLog.entity_id == str(view.id))).all()
    assert "workflow.restore" in actions


def test_restore_of_a_version_whose_credential_was_deleted_is_422(
    db_session: Session, owner: Principal
) -> None:
    cred = credential(db_session, owner)
    view = workflows.create_workflow(owner, WorkflowDraft("v", http_definition(cred)))
    workflows.replace_workflow(owner, str(view.id), WorkflowDraft("v", simple_definition()))
    row = db_session.get(Credential, uuid.UUID(cred))
    assert row is not None
    db_session.delete(row)
    db_session.flush()

    with pytest.raises(ValidationFailed) as caught:
        workflows.restore_version(owner, str(view.id), 1)
    assert pointers(caught.value) == {"/definition/nodes/1/credentialId"}
    assert workflows.get_workflow(owner, str(view.id)).version == 2


def test_export_names_credentials_and_drops_secrets_then_import_resolves_by_name(
    db_session: Session, owner: Principal
) -> None:
    cred = credential(db_session, owner, "billing-api")
    definition = http_definition(cred)
    definition["nodes"][0] = webhook_definition()["nodes"][0]
    definition["connections"][0]["source"] = "hook"
    view = workflows.create_workflow(owner, WorkflowDraft("exp", definition, "d", ["t"]))

    exported = workflows.export_workflow(owner, str(view.id))

    assert exported["a2nExport"] == 1 and exported["tags"] == ["t"] and exported["description"] == "d"
    nodes = exported["definition"]["nodes"]
    assert nodes[1]["credentialName"] == "billing-api" and "credentialId" not in nodes[1]
    assert "secret" not in nodes[0]["config"]["auth"]
    assert cred not in str(exported) and "s3cr3t" not in str(exported)

    importer = member(db_session)
    with pytest.raises(ValidationFailed) as caught:
        workflows.import_workflow(importer, WorkflowDraft("imp", exported["definition"]))
    assert pointers(caught.value) == {"/definition/nodes/1/credentialName"}

    theirs = credential(db_session, importer, "billing-api")
    imported = workflows.import_workflow(importer, WorkflowDraft("imp", exported["definition"], tags=["t"]))
    assert imported.definition is not None and imported.definition["nodes"][1]["credentialId"] == theirs
    assert imported.version == 1


def test_import_refuses_credential_ids_from_elsewhere(db_session: Session, owner: Principal) -> None:
    with pytest.raises(ValidationFailed) as caught:
        workflows.import_workflow(owner, WorkflowDraft("imp", http_definition(str(uuid.uuid4()))))
    assert "/definition/nodes/1/credentialId" in pointers(caught.value)


def test_validate_checks_credentials_too_and_stores_nothing(db_session: Session, owner: Principal) -> None:
    workflows.validate_workflow_definition(owner, simple_definition())
    with pytest.raises(ValidationFailed) as caught:
        workflows.validate_workflow_definition(owner, http_definition(str(uuid.uuid4())))
    assert pointers(caught.value) == {"/definition/nodes/1/credentialId"}
    with pytest.raises(ValidationFailed) as caught:
        workflows.validate_workflow_definition(owner, [1, 2])
    assert pointers(caught.value) == {"/definition"}
    assert workflows.list_workflows(owner, PageRequest()).items == []
