"""Workflow use cases against real Postgres: create/read/list/replace/delete, their 4xx paths,
tenancy (another workspace's workflow is a 404) and nothing stored when validation fails."""

from __future__ import annotations

import copy
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from identity_support import new_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from trigger_support import trigger_env

from a2n.api.pagination import PageRequest, decode_cursor
from a2n.auth.principal import Principal
from a2n.db.enums import WorkspaceRole
from a2n.db.models import (
    AuditLog,
    Credential,
    Workflow,
    WorkflowTrigger,
    WorkflowVersion,
    Workspace,
    WorkspaceMember,
)
from a2n.db.repositories.workflows import WorkflowFilter
from a2n.errors import Conflict, Forbidden, NotFound, ValidationFailed
from a2n.services import workflows
from a2n.services.webhooks import trigger_secrets
from a2n.services.workflow_definitions import SECRET_MASK
from a2n.services.workflows import WorkflowDraft

__all__ = ["trigger_env"]
# Saving seals webhook secrets (local key files) and may sync schedules (moto's Scheduler).
pytestmark = pytest.mark.usefixtures("trigger_env")


def simple_definition() -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "start", "type": "trigger.manual", "config": {}},
            {"id": "done", "type": "noop", "config": {}},
        ],
        "connections": [{"source": "start", "target": "done"}],
    }


def webhook_definition(secret: str = "s3cr3t-value") -> dict[str, Any]:
    return {
        "nodes": [
            {
                "id": "hook",
                "type": "trigger.webhook",
                "config": {"auth": {"type": "header", "header": "X-Token", "secret": secret}},
            },
            {"id": "done", "type": "noop", "config": {}},
        ],
        "connections": [{"source": "hook", "target": "done"}],
    }


def http_definition(credential_id: str) -> dict[str, Any]:
    definition = simple_definition()
    definition["nodes"][1] = {
        "id": "done",
        "type": "http_request",
        "credentialId": credential_id,
        "config": {"method": "GET", "url": "https://example.com/"},
    }
    return definition


def member(session: Session, role: WorkspaceRole = WorkspaceRole.OWNER) -> Principal:
    user = new_user(session, name="u")
    ws = Workspace(name="W", slug=f"w-{uuid.uuid4().hex[:8]}")
    session.add(ws)
    session.flush()
    session.add(WorkspaceMember(workspace_id=ws.id, user_id=user.id, role=role))
    session.flush()
    return Principal(user_id=str(user.id), workspace_id=str(ws.id), auth_type="jwt")


def credential(session: Session, principal: Principal, name: str = "api", *, active: bool = True) -> str:
    row = Credential(
        workspace_id=uuid.UUID(principal.workspace_id),
        name=name,
        type="bearer",
        encrypted_data=b"x",
        data_key_ciphertext=b"x",
        key_id="local",
        is_active=active,
    )
    session.add(row)
    session.flush()
    return str(row.id)


def count(session: Session, model: type[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def pointers(error: ValidationFailed) -> set[str]:
    return {p.pointer for p in error.problems}


@pytest.fixture
def owner(db_session: Session) -> Principal:
    return member(db_session)


def test_create_stores_version_1_with_its_version_row_and_an_audit_entry(
    db_session: Session, owner: Principal
) -> None:
    view = workflows.create_workflow(
        owner, WorkflowDraft("Orders", simple_definition(), "desc", ["a", "b", "a"])
    )

    assert view.version == 1 and view.is_active is False and view.tags == ["a", "b"]
    row = db_session.get(Workflow, view.id)
    assert row is not None and row.workspace_id == uuid.UUID(owner.workspace_id)
    assert row.created_by == uuid.UUID(owner.user_id)
    versions = db_session.scalars(select(WorkflowVersion).where(WorkflowVersion.workflow_id == view.id)).all()
    assert [v.version for v in versions] == [1]
    audit = db_session.scalars(select(AuditLog).where(AuditLog.entity_id == str(view.id))).one()
    assert audit.action == "workflow.create"


def test_top_level_variables_are_stored_in_the_definition_and_not_twice(
    db_session: Session, owner: Principal
) -> None:
    view = workflows.create_workflow(
        owner, WorkflowDraft("V", simple_definition(), variables={"region": "eu"})
    )
    assert view.definition is not None and view.definition["variables"] == {"region": "eu"}

    both = {**simple_definition(), "variables": {"a": 1}}
    with pytest.raises(ValidationFailed) as caught:
        workflows.create_workflow(owner, WorkflowDraft("V", both, variables={"b": 2}))
    assert "/variables" in pointers(caught.value)


def test_invalid_definition_reports_every_problem_and_stores_nothing(
    db_session: Session, owner: Principal
) -> None:
    bad = {
        "nodes": [
            {"id": "start", "type": "trigger.manual"},
            {"id": "a", "type": "no.such.type"},
            {"id": "b", "type": "condition", "config": {"expression": "[[["}},
            {"id": "c", "type": "http_request", "config": {"method": 7, "url": "https://x"}},
        ],
        "connections": [
            {"source": "start", "target": "b"},
            {"source": "b", "sourceHandle": "true", "target": "c"},
            {"source": "c", "target": "b"},
            {"source": "c", "target": "ghost"},
        ],
    }
    before = (count(db_session, Workflow), count(db_session, WorkflowVersion), count(db_session, AuditLog))

    with pytest.raises(ValidationFailed) as caught:
        workflows.create_workflow(owner, WorkflowDraft("Bad", bad))

    found = pointers(caught.value)
    assert "/definition/nodes/1/type" in found
    assert "/definition/nodes/2/config/expression" in found
    assert "/definition/nodes/3/config/method" in found
    assert any(p.startswith("/definition/connections/3") for p in found)
    cyclic = simple_definition()
    cyclic["nodes"].append({"id": "loop", "type": "noop"})
    cyclic["connections"] += [{"source": "done", "target": "loop"}, {"source": "loop", "target": "done"}]
    with pytest.raises(ValidationFailed) as caught:
        workflows.create_workflow(owner, WorkflowDraft("Cyclic", cyclic))
    assert any("cycle" in p.message for p in caught.value.problems)
    after = (count(db_session, Workflow), count(db_session, WorkflowVersion), count(db_session, AuditLog))
    assert after == before


def test_deep_and_nul_text_are_422_not_database_errors(db_session: Session, owner: Principal) -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(200):
        node["x"] = {}
        node = node["x"]
    with pytest.raises(ValidationFailed) as caught:
        workflows.create_workflow(owner, WorkflowDraft("Deep", {**simple_definition(), "variables": deep}))
    assert len(caught.value.problems) == 1

    nul = simple_definition()
    nul["nodes"][1]["name"] = "a\x00b"
    with pytest.raises(ValidationFailed) as caught:
        workflows.create_workflow(owner, WorkflowDraft("N\x00", nul, tags=["\ud800"]))
    assert {"/name", "/tags/0", "/definition/nodes/1/name"} <= pointers(caught.value)


def test_credential_references_must_exist_active_in_the_same_workspace(
    db_session: Session, owner: Principal
) -> None:
    mine = credential(db_session, owner)
    inactive = credential(db_session, owner, "old", active=False)
    foreign = credential(db_session, member(db_session), "theirs")

    workflows.create_workflow(owner, WorkflowDraft("ok", http_definition(mine)))
    for bad in (inactive, foreign, str(uuid.uuid4()), "not-a-uuid"):
        with pytest.raises(ValidationFailed) as caught:
            workflows.create_workflow(owner, WorkflowDraft("bad", http_definition(bad)))
        assert pointers(caught.value) == {"/definition/nodes/1/credentialId"}


def test_responses_mask_webhook_secrets_and_a_masked_put_keeps_the_stored_one(
    db_session: Session, owner: Principal
) -> None:
    view = workflows.create_workflow(owner, WorkflowDraft("hook", webhook_definition()))
    assert view.definition is not None
    assert view.definition["nodes"][0]["config"]["auth"]["secret"] == SECRET_MASK

    fetched = workflows.get_workflow(owner, str(view.id))
    assert fetched.definition is not None
    workflows.replace_workflow(owner, str(view.id), WorkflowDraft("hook2", fetched.definition))

    # The definition holds the mask; the secret itself lives sealed on the trigger row, unchanged.
    stored = db_session.get(Workflow, view.id)
    assert stored is not None
    assert stored.definition["nodes"][0]["config"]["auth"]["secret"] == SECRET_MASK
    (hook,) = db_session.scalars(select(WorkflowTrigger).where(WorkflowTrigger.workflow_id == view.id))
    assert trigger_secrets(hook, datetime.now(UTC)) == [b"s3cr3t-value"]
    assert hook.webhook_secret_previous_encrypted is None  # the mask was no rotation

    with pytest.raises(ValidationFailed) as caught:
        workflows.create_workflow(owner, WorkflowDraft("copy", copy.deepcopy(fetched.definition)))
    assert pointers(caught.value) == {"/definition/nodes/0/config/auth/secret"}


def test_another_workspace_cannot_see_or_change_the_workflow(db_session: Session, owner: Principal) -> None:
    view = workflows.create_workflow(owner, WorkflowDraft("mine", simple_definition()))
    stranger = member(db_session)
    target = str(view.id)

    for call in (
        lambda: workflows.get_workflow(stranger, target),
        lambda: workflows.replace_workflow(stranger, target, WorkflowDraft("x", simple_definition())),
        lambda: workflows.delete_workflow(stranger, target),
        lambda: workflows.list_versions(stranger, target, PageRequest()),
        lambda: workflows.get_version(stranger, target, 1),
        lambda: workflows.restore_version(stranger, target, 1),
        lambda: workflows.export_workflow(stranger, target),
    ):
        with pytest.raises(NotFound):
            call()
    assert workflows.list_workflows(stranger, PageRequest()).items == []
    # Pretending to act in the owner's workspace does not help a non-member either.
    intruder = Principal(user_id=stranger.user_id, workspace_id=owner.workspace_id, auth_type="jwt")
    with pytest.raises(NotFound):
        workflows.get_workflow(intruder, target)


def test_viewer_reads_but_cannot_write(db_session: Session, owner: Principal) -> None:
    view = workflows.create_workflow(owner, WorkflowDraft("mine", simple_definition()))
    viewer_user = new_user(db_session)
    db_session.add(
        WorkspaceMember(
            workspace_id=uuid.UUID(owner.workspace_id), user_id=viewer_user.id, role=WorkspaceRole.VIEWER
        )
    )
    db_session.flush()
    viewer = Principal(user_id=str(viewer_user.id), workspace_id=owner.workspace_id, auth_type="jwt")

    assert workflows.get_workflow(viewer, str(view.id)).name == "mine"
    with pytest.raises(Forbidden):
        workflows.create_workflow(viewer, WorkflowDraft("x", simple_definition()))
    with pytest.raises(Forbidden):
        workflows.delete_workflow(viewer, str(view.id))


def test_unknown_and_malformed_ids_are_404(owner: Principal) -> None:
    for workflow_id in (str(uuid.uuid4()), "nope", ""):
        with pytest.raises(NotFound):
            workflows.get_workflow(owner, workflow_id)


def test_list_filters_by_active_tag_and_text_and_pages_newest_first(
    db_session: Session, owner: Principal
) -> None:
    names = ["alpha 100%", "beta_1", "betax1", "gamma"]
    made = [
        workflows.create_workflow(owner, WorkflowDraft(n, simple_definition(), tags=[n[:4]])) for n in names
    ]
    active = db_session.get(Workflow, made[3].id)
    assert active is not None
    active.is_active = True
    db_session.flush()

    def listed(**kw: Any) -> list[str]:
        found = workflows.list_workflows(owner, PageRequest(limit=50), WorkflowFilter(**kw))
        return [v.name for v in found.items]

    assert listed() == list(reversed(names))
    assert listed(words=("100",)) == ["alpha 100%"]
    assert listed(words=("betax",)) == ["betax1"]
    assert listed(tag="gamm") == ["gamma"]
    assert listed(active=True) == ["gamma"]
    assert "gamma" not in listed(active=False)
    assert all(v.definition is None for v in workflows.list_workflows(owner, PageRequest()).items)

    first = workflows.list_workflows(owner, PageRequest(limit=3))
    assert first.next_cursor is not None
    second = workflows.list_workflows(owner, PageRequest(limit=3, cursor=decode_cursor(first.next_cursor)))
    assert [v.name for v in first.items + list(second.items)] == list(reversed(names))
    assert second.next_cursor is None


def test_replace_bumps_version_and_if_match_guards_lost_updates(
    db_session: Session, owner: Principal
) -> None:
    view = workflows.create_workflow(owner, WorkflowDraft("one", simple_definition()))

    updated = workflows.replace_workflow(
        owner,
        str(view.id),
        WorkflowDraft("two", simple_definition(), tags=["t"]),
        change_note="rename",
        expected_version=1,
    )
    assert (updated.version, updated.name, updated.tags) == (2, "two", ["t"])
    with pytest.raises(Conflict):
        workflows.replace_workflow(
            owner, str(view.id), WorkflowDraft("three", simple_definition()), expected_version=1
        )
    assert workflows.get_workflow(owner, str(view.id)).version == 2


def test_failed_replace_changes_nothing(db_session: Session, owner: Principal) -> None:
    view = workflows.create_workflow(owner, WorkflowDraft("one", simple_definition()))
    with pytest.raises(ValidationFailed):
        workflows.replace_workflow(owner, str(view.id), WorkflowDraft("two", {"nodes": []}))
    db_session.expire_all()
    assert workflows.get_workflow(owner, str(view.id)).name == "one"
    assert count(db_session, WorkflowVersion) >= 1
    assert (
        db_session.scalar(
            select(func.max(WorkflowVersion.version)).where(WorkflowVersion.workflow_id == view.id)
        )
        == 1
    )


def test_delete_hides_the_workflow_everywhere(db_session: Session, owner: Principal) -> None:
    view = workflows.create_workflow(owner, WorkflowDraft("gone", simple_definition()))
    workflows.delete_workflow(owner, str(view.id))

    with pytest.raises(NotFound):
        workflows.get_workflow(owner, str(view.id))
    with pytest.raises(NotFound):
        workflows.delete_workflow(owner, str(view.id))
    assert workflows.list_workflows(owner, PageRequest()).items == []


def test_concurrent_replaces_never_duplicate_a_version(clean_db: str) -> None:
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        owner = member(uow.session)
        uow.commit()
    view = workflows.create_workflow(owner, WorkflowDraft("race", simple_definition()))
    errors: list[BaseException] = []

    def save(n: int) -> None:
        try:
            workflows.replace_workflow(owner, str(view.id), WorkflowDraft(f"v{n}", simple_definition()))
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=save, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    with UnitOfWork() as uow:
        versions = uow.session.scalars(
            select(WorkflowVersion.version).where(WorkflowVersion.workflow_id == view.id)
        ).all()
    assert sorted(versions) == list(range(1, 8))
    assert workflows.get_workflow(owner, str(view.id)).version == 7
