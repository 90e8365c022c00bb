"""Activation: a workflow's trigger rows follow its definition, and its schedules follow activation.

Saving syncs the rows (webhook secrets move into encrypted storage); activating checks each trigger
can run and creates one EventBridge Scheduler schedule per schedule/poll trigger; deactivating or
deleting removes them. Scheduler calls happen before commit, so a failure leaves nothing half-active.
"""

from __future__ import annotations

import copy
import json
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from a2n.db.enums import TriggerType
from a2n.errors import ConfigurationError, Problem, ValidationFailed

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.auth.principal import Principal
    from a2n.db.models import Workflow, WorkflowTrigger
    from a2n.services.audit import Origin

# What a stored definition holds where the user wrote a webhook secret; sending it back on a save
# keeps the stored secret, sending any other value replaces it (the old one stays valid for a while).
STORED_SECRET = "********"  # noqa: S105 - a marker, not a secret
SECRET_FIELDS = ("secret", "password")
# After a secret is replaced, senders still signing with the old one are accepted this long.
SECRET_OVERLAP = timedelta(hours=24)
TRIGGER_TYPES: dict[str, TriggerType] = {
    "trigger.webhook": TriggerType.WEBHOOK,
    "trigger.schedule": TriggerType.SCHEDULE,
    "trigger.poll": TriggerType.POLL,
}
_SCHEDULED = (TriggerType.SCHEDULE, TriggerType.POLL)


@dataclass(frozen=True)
class TriggerView:
    """What activation reports per trigger (API: ``{nodeId, type, webhookUrl?, scheduleExpression?}``)."""

    node_id: str
    type: str
    webhook_url: str | None = None
    schedule_expression: str | None = None
    timezone: str | None = None
    # An active schedule's next fires, in its time zone (empty when inactive or never again).
    next_fire_times: tuple[datetime, ...] = ()


@dataclass(frozen=True)
class ActivationResult:
    workflow_id: uuid.UUID
    is_active: bool
    triggers: list[TriggerView]
    # What will not work although it activated (e.g. a URL the SSRF guard refuses).
    warnings: list[Problem] = dataclass_field(default_factory=list)


# --- the save path (called by the workflows service) -------------------------------------------


def split_webhook_secrets(definition: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """A copy of ``definition`` with webhook secrets replaced by STORED_SECRET, and the new secret
    values by node id (values equal to the marker are not new)."""
    stored = copy.deepcopy(dict(definition))
    fresh: dict[str, str] = {}
    for node in stored.get("nodes") or []:
        auth = _webhook_auth(node)
        for field in SECRET_FIELDS:
            value = auth.get(field) if auth is not None else None
            if isinstance(value, str) and value:
                if value != STORED_SECRET:
                    fresh[str(node["id"])] = value
                auth[field] = STORED_SECRET  # type: ignore[index]
    return stored, fresh


def running_definition(workflow: Workflow) -> Mapping[str, Any]:
    """The published definition: what triggers start and what activation checks (the draft head in
    ``workflow.definition`` never runs by itself)."""
    return workflow.published_definition or {}


def sync_published_triggers(
    session: Session, workflow: Workflow, fresh: Mapping[str, str], *, now: datetime | None = None
) -> None:
    """Call when ``workflow.published_definition`` changed (publish): the trigger rows follow it,
    ``fresh`` webhook secrets (node id → plaintext, introduced by the published draft) are sealed on
    them, and — for an active workflow — its schedules are re-synced (422 if a trigger cannot run)."""
    now = now or datetime.now(UTC)
    rows = _sync_rows(session, workflow, fresh, now)
    if workflow.is_active:
        _ensure_runnable(workflow, rows, now)
        _apply_schedules(rows, active=True)
        for row in rows:
            row.is_active = True


def detach_triggers(session: Session, workflow: Workflow) -> None:
    """Before deleting a workflow: its schedules go, its webhooks stop answering."""
    from a2n.db.repositories.triggers import TriggerRepository

    triggers = TriggerRepository(session)
    # Only rows that were ever scheduled call the Scheduler: deleting a never-activated workflow
    # needs no AWS call at all.
    scheduled = [row for row in triggers.of_workflow(workflow.id) if row.is_active or row.schedule_arn]
    _apply_schedules(scheduled, active=False)
    triggers.deactivate_all(workflow.id)


def deactivate_after_errors(session: Session, workflow: Workflow, reason: str) -> list[uuid.UUID]:
    """A trigger kept failing: the workflow is deactivated as a person would (schedules removed,
    webhooks answer 404), audited as the system's act, and its owner told; deliveries to send."""
    from a2n.services.audit import Actor, record_audit
    from a2n.services.notification_routing import trigger_deactivated

    detach_triggers(session, workflow)
    workflow.is_active = False
    record_audit(
        session,
        workspace_id=workflow.workspace_id,
        actor=Actor("system", None),
        action="workflow.deactivate",
        entity_type="workflow",
        entity_id=workflow.id,
        changes={"isActive": False, "reason": reason[:300]},
    )
    return trigger_deactivated(session, workflow, reason)


# --- use cases ----------------------------------------------------------------------------------


def activate_workflow(
    principal: Principal, workflow_id: uuid.UUID, *, origin: Origin | None = None
) -> ActivationResult:
    return _set_active(principal, workflow_id, active=True, origin=origin)


def deactivate_workflow(
    principal: Principal, workflow_id: uuid.UUID, *, origin: Origin | None = None
) -> ActivationResult:
    return _set_active(principal, workflow_id, active=False, origin=origin)


def _set_active(
    principal: Principal, workflow_id: uuid.UUID, *, active: bool, origin: Origin | None
) -> ActivationResult:
    from a2n.auth.policy import Action
    from a2n.db.uow import UnitOfWork
    from a2n.services.audit import Actor, record_audit
    from a2n.services.workflow_access import open_workflow
    from a2n.workflows.warnings import configured_warnings

    with UnitOfWork() as uow:
        action = Action.WORKFLOW_ACTIVATE
        workflow = open_workflow(uow.session, principal, str(workflow_id), action, lock=True)
        workspace_id = workflow.workspace_id
        now = datetime.now(UTC)
        # Rows are re-derived from the published definition (a no-op when publishing synced them).
        rows = _sync_rows(uow.session, workflow, {}, now)
        if active:
            _ensure_runnable(workflow, rows, now)
        _apply_schedules(rows, active=active)
        for row in rows:
            row.is_active = active
        changed = workflow.is_active != active
        workflow.is_active = active
        if changed:
            record_audit(
                uow.session,
                workspace_id=workspace_id,
                actor=Actor.of(principal),
                action="workflow.activate" if active else "workflow.deactivate",
                entity_type="workflow",
                entity_id=workflow.id,
                changes={"isActive": active},
                origin=origin,
            )
        uow.commit()
        warnings = configured_warnings(running_definition(workflow)) if active else []
        return ActivationResult(workflow.id, active, [trigger_view(row, now) for row in rows], warnings)


def resync_all() -> int:
    """Re-create the schedules of every active trigger (``a2n dev`` start: moto forgets them)."""
    from a2n.db.repositories.triggers import TriggerRepository
    from a2n.db.uow import UnitOfWork

    with UnitOfWork() as uow:
        rows = TriggerRepository(uow.session).active_scheduled()
        _apply_schedules(rows, active=True)
        uow.commit()
        return len(rows)


def trigger_view(row: WorkflowTrigger, now: datetime) -> TriggerView:
    from a2n.scheduling.expressions import next_fire_times
    from a2n.settings import get_settings
    from a2n.workflows.schedules import PREVIEWED_FIRES

    if row.type == TriggerType.WEBHOOK:
        base = get_settings().public_base_url.rstrip("/")
        return TriggerView(row.node_id, row.type.value, webhook_url=f"{base}/webhooks/{row.webhook_token}")
    expression, timezone = row.schedule_expression or "", row.timezone or "UTC"
    fires = next_fire_times(expression, timezone, now, PREVIEWED_FIRES) if row.is_active else []
    return TriggerView(row.node_id, row.type.value, schedule_expression=expression, timezone=timezone,
                       next_fire_times=tuple(fires))  # fmt: skip


# --- rows -----------------------------------------------------------------------------------------


def _runnable_definition(session: Session, workflow: Workflow) -> Mapping[str, Any]:
    """What runs, with its app triggers compiled into the webhook or poll trigger each runs as."""
    from a2n.services.integrations.triggers import compiled_triggers

    return compiled_triggers(session, workflow.workspace_id, running_definition(workflow))


def _trigger_nodes(
    definition: Mapping[str, Any], *, with_apps: bool = False
) -> dict[str, tuple[int, Mapping[str, Any]]]:
    """Trigger nodes that own a row (webhook, schedule, poll) by id, with their index (app triggers
    too with ``with_apps``: their index, where a row's problems point)."""
    found: dict[str, tuple[int, Mapping[str, Any]]] = {}
    kinds = {*TRIGGER_TYPES, "trigger.integration"} if with_apps else TRIGGER_TYPES
    for index, node in enumerate(definition.get("nodes") or []):
        if isinstance(node, Mapping) and node.get("type") in kinds:
            found[str(node["id"])] = (index, node)
    return found


def _sync_rows(
    session: Session, workflow: Workflow, fresh: Mapping[str, str], now: datetime
) -> list[WorkflowTrigger]:
    from a2n.db.models import WorkflowTrigger
    from a2n.db.repositories.triggers import TriggerRepository

    triggers = TriggerRepository(session)
    nodes = _trigger_nodes(_runnable_definition(session, workflow))
    kept: list[WorkflowTrigger] = []
    for row in triggers.of_workflow(workflow.id):
        entry = nodes.get(row.node_id)
        if entry is not None and TRIGGER_TYPES[str(entry[1]["type"])] == row.type:
            kept.append(row)
            continue
        if row.is_active or row.schedule_arn:
            _apply_schedules([row], active=False)
        row.is_active = False
        # A removed trigger keeps its row (inactive, unscheduled): restoring a version that had it
        # brings back the same webhook URL and its sealed secret, which no definition holds.
        if entry is not None:  # same node id, another trigger type: that row means nothing now
            triggers.delete(row)  # flushed: frees the (workflow, node) key for the new type's row
    known = {row.node_id for row in kept}
    for node_id, (_, node) in nodes.items():
        if node_id not in known:
            row = WorkflowTrigger(
                id=uuid.uuid4(),
                workflow_id=workflow.id,
                workspace_id=workflow.workspace_id,
                node_id=node_id,
                type=TRIGGER_TYPES[str(node["type"])],
                is_active=False,
            )
            kept.append(triggers.add(row))
    for row in kept:
        _fill_row(row, nodes[row.node_id][1], fresh.get(row.node_id), now)
    session.flush()
    return sorted(kept, key=lambda row: nodes[row.node_id][0])


def _fill_row(row: WorkflowTrigger, node: Mapping[str, Any], secret: str | None, now: datetime) -> None:
    config = dict(node.get("config") or {})
    row.config = config
    if row.type == TriggerType.WEBHOOK:
        if row.webhook_token is None:
            row.webhook_token = new_webhook_token()
        if secret is not None:
            _store_secret(row, secret, now)
    else:
        row.schedule_expression = str(config.get("expression", ""))
        row.timezone = str(config.get("timezone") or "UTC")
        row.schedule_name = f"a2n-{row.id}"


def new_webhook_token() -> str:
    """192 random bits, URL-safe: the token is the webhook's address and must not be guessable."""
    return secrets.token_urlsafe(24)


def _store_secret(row: WorkflowTrigger, secret: str, now: datetime) -> None:
    from a2n.crypto.envelope import decrypt_secret, encrypt_secret

    current = stored_blob(row.webhook_secret_encrypted)
    if (
        current is not None
        and decrypt_secret(current, purpose="webhook", owner_id=str(row.id)) == secret.encode()
    ):
        return
    if current is not None:
        row.webhook_secret_previous_encrypted = row.webhook_secret_encrypted
        row.webhook_secret_previous_valid_until = now + SECRET_OVERLAP
    blob = encrypt_secret(secret.encode(), purpose="webhook", owner_id=str(row.id))
    row.webhook_secret_encrypted = pack_blob(blob)


def pack_blob(blob: Any) -> bytes:
    """An EncryptedBlob as one bytea value (the trigger row has one column per secret)."""
    from a2n.crypto.envelope import pack_blob as pack

    return pack(blob)


def stored_blob(packed: bytes | None) -> Any:
    """The EncryptedBlob of ``pack_blob``'s output, or None."""
    from a2n.crypto.envelope import unpack_blob

    return unpack_blob(packed) if packed else None


# --- checks and schedules ---------------------------------------------------------------------------


def _ensure_runnable(workflow: Workflow, rows: list[WorkflowTrigger], now: datetime) -> None:
    """Every trigger must be able to run before the workflow goes live (SECURITY case 26)."""
    nodes = _trigger_nodes(running_definition(workflow), with_apps=True)
    problems: list[Problem] = []
    for row in rows:
        pointer = f"/definition/nodes/{nodes[row.node_id][0]}/config"
        problems.extend(_row_problems(row, pointer, now))
    if problems:
        raise ValidationFailed(problems, "The workflow cannot be activated")


def _row_problems(row: WorkflowTrigger, pointer: str, now: datetime) -> list[Problem]:
    if row.type == TriggerType.WEBHOOK:
        from a2n.nodes.trigger_webhook import activation_problems

        config = copy.deepcopy(row.config)
        auth = config.get("auth")
        if isinstance(auth, dict):
            has_secret = row.webhook_secret_encrypted is not None
            for field in SECRET_FIELDS:
                auth[field] = STORED_SECRET if has_secret and auth.get(field) else None
        return activation_problems(config, pointer)
    from a2n.nodes.trigger_schedule import schedule_problems

    return schedule_problems(row.schedule_expression or "", row.timezone or "UTC", pointer, now=now)


def _apply_schedules(rows: list[WorkflowTrigger], *, active: bool) -> None:
    from a2n.adapters import scheduler

    for row in rows:
        if row.type not in _SCHEDULED or not row.schedule_name:
            continue
        group = _schedule_settings()["group"]
        if active:
            row.schedule_arn = scheduler.put_schedule(_schedule_spec(row))
        else:
            scheduler.delete_schedule(row.schedule_name, group)
            row.schedule_arn = None


def _schedule_spec(row: WorkflowTrigger) -> Any:
    from a2n.adapters.scheduler import ScheduleSpec

    target = _schedule_settings()
    payload = {"triggerId": str(row.id), "scheduledTime": "<aws.scheduler.scheduled-time>"}
    return ScheduleSpec(
        name=row.schedule_name or f"a2n-{row.id}",
        group=target["group"],
        expression=row.schedule_expression or "",
        timezone=row.timezone or "UTC",
        target_arn=target["target"],
        role_arn=target["role"],
        dlq_arn=target["dlq"] or None,
        input=json.dumps(payload),
        description=f"A2N workflow {row.workflow_id} node {row.node_id}",
    )


def _schedule_settings() -> dict[str, str]:
    from a2n.settings import get_settings

    settings = get_settings()
    if not settings.schedule_target_arn or not settings.schedule_role_arn:
        raise ConfigurationError(
            "A2N_SCHEDULE_TARGET_ARN and A2N_SCHEDULE_ROLE_ARN must be set for schedules"
        )
    return {
        "group": settings.schedule_group,
        "target": settings.schedule_target_arn,
        "role": settings.schedule_role_arn,
        "dlq": settings.schedule_dlq_arn or "",
    }


def _webhook_auth(node: Any) -> dict[str, Any] | None:
    if not isinstance(node, dict) or node.get("type") not in ("trigger.webhook", "trigger.integration"):
        return None
    config = node.get("config")
    auth = config.get("auth") if isinstance(config, dict) else None
    return auth if isinstance(auth, dict) else None
