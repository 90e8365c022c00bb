"""The workflows service and the triggers it owns, on real Postgres and moto: webhook secrets sealed
at save (never plaintext in any table), an active workflow's schedules following each save, delete
detaching both, workflows from built-in templates, and deleted workflows never starting a run."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime
from typing import Any

import boto3
import engine_harness
import pytest
from credential_support import member
from engine_harness import Engine, node, trigger
from identity_support import new_user
from sqlalchemy import text
from sqlalchemy.orm import Session
from trigger_support import GROUP, schedule_definition, trigger_env, webhook_definition

from a2n.auth.principal import Principal
from a2n.db.models import WorkflowTrigger
from a2n.errors import Conflict, NotFound, ValidationFailed
from a2n.services import workflows
from a2n.services.activation import activate_workflow
from a2n.services.execution_commands import execute_workflow
from a2n.services.publishing import publish_workflow
from a2n.services.schedules import FireOutcome, ScheduleFire, start_scheduled_run
from a2n.services.webhooks import WebhookDelivery, WebhookNotFound, receive_webhook, trigger_secrets
from a2n.services.workflow_definitions import SECRET_MASK
from a2n.services.workflows import WorkflowDraft

__all__ = ["trigger_env"]
pytestmark = pytest.mark.usefixtures("trigger_env")
engine = engine_harness.engine

CANARY = "canary-5ec7e7-d0-not-store"


def hmac_hook(secret: str) -> dict[str, Any]:
    return webhook_definition({"type": "hmac", "preset": "generic", "secret": secret})


def schedules() -> dict[str, str]:
    """The triggers' schedules (a2n-<trigger id>); the engine's timers share the group."""
    client = boto3.client("scheduler", region_name="us-east-1")
    listed = client.list_schedules(GroupName=GROUP)["Schedules"]
    names = [s["Name"] for s in listed if s["Name"].startswith("a2n-")]
    return {n: client.get_schedule(Name=n, GroupName=GROUP)["ScheduleExpression"] for n in names}


def triggers(session: Session, workflow_id: uuid.UUID) -> dict[str, WorkflowTrigger]:
    rows = session.query(WorkflowTrigger).filter_by(workflow_id=workflow_id)
    return {row.node_id: row for row in rows}


def tables_holding(session: Session, needle: str) -> list[str]:
    """Which stored JSON (definitions, trigger config, audit changes) contains ``needle``."""
    queries = {
        "workflows.definition": "SELECT definition::text FROM workflows",
        "workflow_versions.definition": "SELECT definition::text FROM workflow_versions",
        "workflow_triggers.config": "SELECT config::text FROM workflow_triggers",
        "audit_logs.changes": "SELECT coalesce(changes::text, '') FROM audit_logs",
    }
    return [name for name, sql in queries.items() if any(needle in row for row in session.scalars(text(sql)))]


def two_schedules(first: str, second: str | None) -> dict[str, Any]:
    definition = schedule_definition(first, "UTC")
    if second is not None:
        definition["nodes"].append(
            {"id": "tock", "type": "trigger.schedule", "config": {"expression": second}}
        )
        definition["connections"].append({"source": "tock", "target": "done"})
    return definition


@pytest.fixture
def owner(db_session: Session) -> Principal:
    return member(db_session).principal


# --- secrets sealed at save ----------------------------------------------------------------------


def test_a_webhook_secret_is_stored_only_sealed_on_its_trigger_row(
    db_session: Session, owner: Principal
) -> None:
    view = workflows.create_workflow(owner, WorkflowDraft("hook", hmac_hook(CANARY)))
    fetched = workflows.get_workflow(owner, str(view.id))
    assert fetched.definition is not None
    workflows.replace_workflow(owner, str(view.id), WorkflowDraft("kept", fetched.definition))
    rotated = hmac_hook(CANARY + "-2")
    workflows.replace_workflow(owner, str(view.id), WorkflowDraft("rotated", rotated))
    # A draft's new secret waits, sealed on its version row: the live webhook still verifies the old.
    hook = triggers(db_session, view.id)["hook"]
    assert trigger_secrets(hook, datetime.now(UTC)) == [CANARY.encode()]
    publish_workflow(owner, str(view.id), 3)
    workflows.restore_version(owner, str(view.id), 1)
    exported = workflows.export_workflow(owner, str(view.id))
    workflows.import_workflow(owner, WorkflowDraft("imported", hmac_hook(CANARY + "-3")))

    assert tables_holding(db_session, CANARY) == []
    db_session.refresh(hook)
    assert CANARY.encode() not in (hook.webhook_secret_encrypted or b"")
    # The newest secret, and the one it replaced while the rotation overlap lasts.
    assert trigger_secrets(hook, datetime.now(UTC)) == [(CANARY + "-2").encode(), CANARY.encode()]
    assert "secret" not in exported["definition"]["nodes"][0]["config"]["auth"]
    versions = db_session.execute(
        text("SELECT definition FROM workflow_versions WHERE workflow_id = :w ORDER BY version"),
        {"w": view.id},
    ).scalars()
    assert {d["nodes"][0]["config"]["auth"]["secret"] for d in versions} == {SECRET_MASK}


def test_a_mask_on_a_new_workflow_is_422_and_stores_nothing(db_session: Session, owner: Principal) -> None:
    with pytest.raises(ValidationFailed) as caught:
        workflows.create_workflow(owner, WorkflowDraft("copy", hmac_hook(SECRET_MASK)))

    assert [p.pointer for p in caught.value.problems] == ["/definition/nodes/0/config/auth/secret"]
    assert db_session.scalar(text("SELECT count(*) FROM workflow_triggers")) == 0


# --- an active workflow's schedules follow its saves ---------------------------------------------


def test_publishing_an_active_workflow_updates_adds_and_removes_its_schedules(
    db_session: Session, owner: Principal
) -> None:
    view = workflows.create_workflow(owner, WorkflowDraft("tick", two_schedules("rate(5 minutes)", None)))
    activate_workflow(owner, view.id)
    assert list(schedules().values()) == ["rate(5 minutes)"]

    workflows.replace_workflow(
        owner, str(view.id), WorkflowDraft("tick", two_schedules("rate(7 minutes)", None))
    )
    assert list(schedules().values()) == ["rate(5 minutes)"]  # a saved draft changes no schedule
    publish_workflow(owner, str(view.id), None)
    assert list(schedules().values()) == ["rate(7 minutes)"]

    workflows.replace_workflow(
        owner, str(view.id), WorkflowDraft("tick", two_schedules("rate(7 minutes)", "rate(1 hour)"))
    )
    publish_workflow(owner, str(view.id), None)
    rows = triggers(db_session, view.id)
    assert schedules() == {
        f"a2n-{rows['tick'].id}": "rate(7 minutes)",
        f"a2n-{rows['tock'].id}": "rate(1 hour)",
    }
    assert rows["tock"].is_active

    only_tock = two_schedules("rate(7 minutes)", "rate(2 hours)")
    del only_tock["nodes"][0]
    only_tock["connections"] = [c for c in only_tock["connections"] if c["source"] != "tick"]
    workflows.replace_workflow(owner, str(view.id), WorkflowDraft("tick", only_tock))
    publish_workflow(owner, str(view.id), None)
    assert schedules() == {f"a2n-{rows['tock'].id}": "rate(2 hours)"}
    publish_workflow(owner, str(view.id), 1)  # an older version: its trigger rows come back
    assert list(schedules().values()) == ["rate(5 minutes)"]


def test_publishing_what_an_active_workflow_could_not_run_is_422_and_keeps_the_live_version(
    db_session: Session, owner: Principal
) -> None:
    live = two_schedules("rate(5 minutes)", None)
    live["nodes"].append({"id": "hook", "type": "trigger.webhook", "config": {"method": "POST"}})
    live["connections"].append({"source": "hook", "target": "done"})
    view = workflows.create_workflow(owner, WorkflowDraft("tick", live))
    activate_workflow(owner, view.id)
    unsigned = copy.deepcopy(live)  # saved fine, but an HMAC webhook cannot run without its secret
    unsigned["nodes"][0]["config"]["expression"] = "rate(9 minutes)"
    unsigned["nodes"][-1]["config"]["auth"] = {"type": "hmac", "preset": "generic"}
    workflows.replace_workflow(owner, str(view.id), WorkflowDraft("tick", unsigned))

    with pytest.raises(ValidationFailed) as refused:
        publish_workflow(owner, str(view.id), None)

    assert refused.value.problems[0].pointer.endswith("/config/auth/secret")
    assert list(schedules().values()) == ["rate(5 minutes)"]
    published = workflows.get_workflow(owner, str(view.id)).published
    assert published is not None and published.version == 1


def test_saving_an_inactive_workflow_schedules_nothing(owner: Principal) -> None:
    view = workflows.create_workflow(owner, WorkflowDraft("tick", two_schedules("rate(5 minutes)", None)))
    workflows.replace_workflow(
        owner, str(view.id), WorkflowDraft("tick", two_schedules("rate(6 minutes)", None))
    )
    publish_workflow(owner, str(view.id), None)

    assert schedules() == {}


# --- delete: schedules gone, webhooks 404, nothing starts ------------------------------------------


def delivery(token: str) -> WebhookDelivery:
    return WebhookDelivery(token=token, method="POST", path="/", headers={}, query={}, body=b"{}")


def test_deleting_an_active_workflow_removes_its_schedule_and_its_webhook_answers_404(
    db_session: Session, owner: Principal
) -> None:
    both = two_schedules("rate(5 minutes)", None)
    both["nodes"].append({"id": "hook", "type": "trigger.webhook", "config": {"method": "POST"}})
    both["connections"].append({"source": "hook", "target": "done"})
    view = workflows.create_workflow(owner, WorkflowDraft("both", both))
    activate_workflow(owner, view.id)
    rows = triggers(db_session, view.id)
    token = rows["hook"].webhook_token
    assert token is not None and len(schedules()) == 1
    assert receive_webhook(delivery(token)).status == 202

    workflows.delete_workflow(owner, str(view.id))

    assert schedules() == {}
    with pytest.raises(WebhookNotFound):
        receive_webhook(delivery(token))
    fire = ScheduleFire(rows["tick"].id, datetime.now(UTC))
    assert start_scheduled_run(fire).outcome is FireOutcome.INACTIVE
    with pytest.raises(NotFound):
        execute_workflow(owner, view.id, {}, idempotency_key=None, request_hash=None)
    with pytest.raises(NotFound):
        activate_workflow(owner, view.id)


# --- templates --------------------------------------------------------------------------------------


def test_each_template_becomes_a_valid_workflow_named_after_it(owner: Principal) -> None:
    from a2n.services.templates import list_templates

    for template in list_templates(owner).items:
        view = workflows.create_workflow_from_template(owner, template.id)

        assert (view.name, view.description, view.version) == (template.name, template.description, 1)
        assert view.definition == template.definition


def test_a_template_workflow_takes_a_name_and_variables_over_the_templates(owner: Principal) -> None:
    view = workflows.create_workflow_from_template(
        owner, "uptime-check", name="Shop uptime", tags=["ops"], variables={"checkUrl": "https://shop.test/"}
    )

    assert view.name == "Shop uptime" and view.tags == ["ops"]
    assert view.definition is not None
    assert view.definition["variables"]["checkUrl"] == "https://shop.test/"
    assert view.definition["variables"]["alertUrl"] == "https://hooks.example.com/replace-me"


def test_an_unknown_template_is_422_at_template_id(db_session: Session, owner: Principal) -> None:
    with pytest.raises(ValidationFailed) as caught:
        workflows.create_workflow_from_template(owner, "no-such-template")

    assert [p.pointer for p in caught.value.problems] == ["/templateId"]
    assert db_session.scalar(text("SELECT count(*) FROM workflows")) == 0


def test_a_viewer_cannot_create_from_a_template(db_session: Session, owner: Principal) -> None:
    from a2n.db.enums import WorkspaceRole
    from a2n.db.models import Workspace
    from a2n.errors import Forbidden

    workspace = db_session.get(Workspace, uuid.UUID(owner.workspace_id))
    viewer = member(db_session, WorkspaceRole.VIEWER, workspace).principal

    with pytest.raises(Forbidden):
        workflows.create_workflow_from_template(viewer, "uptime-check")


def test_a_template_definition_is_a_copy(owner: Principal) -> None:
    from a2n.services.templates import get_template

    before = copy.deepcopy(get_template("uptime-check").definition)
    workflows.create_workflow_from_template(owner, "uptime-check", variables={"checkUrl": "https://x.test/"})

    assert get_template("uptime-check").definition == before


def test_an_execution_of_a_deleted_workflow_cannot_be_retried(db_session: Session, owner: Principal) -> None:
    from a2n.execution.control import rerun_execution

    view = workflows.create_workflow(owner, WorkflowDraft("hook", webhook_definition()))
    started = execute_workflow(owner, view.id, {}, idempotency_key=None, request_hash=None)
    workflows.delete_workflow(owner, str(view.id))

    with pytest.raises(Conflict):
        rerun_execution(db_session, execution_id=started.execution_id, from_node_id=None)


def test_a_sub_workflow_node_pointing_at_a_deleted_workflow_fails_with_a_clear_error(engine: Engine) -> None:
    from a2n.db.enums import WorkspaceRole
    from a2n.db.models import WorkspaceMember
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        user = new_user(uow.session)
        uow.session.add(
            WorkspaceMember(workspace_id=engine.workspace_id, user_id=user.id, role=WorkspaceRole.OWNER)
        )
        owner = Principal(user_id=str(user.id), workspace_id=str(engine.workspace_id), auth_type="jwt")
        uow.commit()
    child_id = engine.workflow([trigger(), node("done", "noop")], [("start", "done")])
    parent_id = engine.workflow(
        [trigger(), node("sub", "sub_workflow", {"workflowId": str(child_id)})], [("start", "sub")]
    )
    workflows.delete_workflow(owner, str(child_id))

    execution_id = engine.start(parent_id)
    engine.pump()

    assert engine.execution(execution_id)["status"] == "FAILED"
    error = engine.nodes(execution_id)["sub"]["error"]
    assert "sub-workflow could not start" in error["message"] and "not found" in error["message"]
