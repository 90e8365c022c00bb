"""Builders for the trigger tests: a workflow saved through the trigger sync, moto for the
Scheduler API with the schedule settings of a deployed stack, and local keys for webhook secrets."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from a2n.adapters import scheduler
from a2n.db.models import Workflow
from a2n.services.activation import split_webhook_secrets, sync_published_triggers
from a2n.settings import reset_settings

TARGET_ARN = "arn:aws:lambda:us-east-1:123456789012:function:a2n-schedule-trigger"
ROLE_ARN = "arn:aws:iam::123456789012:role/a2n-scheduler-invoke"
GROUP = "default"  # moto's built-in group: on AWS the stack creates its own
SECRET = "whsec_test-secret-value"


@pytest.fixture
def trigger_env(aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto + local keys + the schedule settings the template passes to every function."""
    monkeypatch.delenv("A2N_KMS_KEY_ID", raising=False)
    monkeypatch.setenv("A2N_LOCAL_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("A2N_SCHEDULE_GROUP", GROUP)
    monkeypatch.setenv("A2N_SCHEDULE_TARGET_ARN", TARGET_ARN)
    monkeypatch.setenv("A2N_SCHEDULE_ROLE_ARN", ROLE_ARN)
    reset_settings()
    scheduler.reset_client()
    yield
    scheduler.reset_client()
    reset_settings()


def webhook_definition(auth: dict[str, Any] | None = None, **config: Any) -> dict[str, Any]:
    hook: dict[str, Any] = {"method": "POST", **config}
    if auth is not None:
        hook["auth"] = auth
    return {
        "nodes": [
            {"id": "hook", "type": "trigger.webhook", "config": hook},
            {"id": "done", "type": "noop", "config": {}},
        ],
        "connections": [{"source": "hook", "target": "done"}],
    }


def schedule_definition(
    expression: str = "cron(*/1 * * * ? *)", timezone: str = "Europe/Paris"
) -> dict[str, Any]:
    tick = {"expression": expression, "timezone": timezone}
    return {
        "nodes": [
            {"id": "tick", "type": "trigger.schedule", "config": tick},
            {"id": "done", "type": "noop", "config": {}},
        ],
        "connections": [{"source": "tick", "target": "done"}],
    }


def saved_workflow(session: Session, workspace_id: uuid.UUID, definition: dict[str, Any]) -> Workflow:
    """A workflow row saved and published the way the workflows service does (trigger sync included)."""
    workflow = Workflow(
        id=uuid.uuid4(), workspace_id=workspace_id, name="wf", definition=copy.deepcopy(definition)
    )
    session.add(workflow)
    session.flush()
    publish_definition(session, workflow, definition)
    return workflow


def publish_definition(session: Session, workflow: Workflow, definition: dict[str, Any]) -> None:
    """``definition`` becomes the published (running) one, its webhook secrets sealed on the rows."""
    stored, fresh = split_webhook_secrets(copy.deepcopy(definition))
    workflow.definition = stored
    workflow.published_definition = stored
    workflow.published_version = workflow.version
    sync_published_triggers(session, workflow, fresh)
    session.flush()
