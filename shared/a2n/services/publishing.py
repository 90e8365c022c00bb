"""Draft and published: saving writes a draft version; publishing makes one version what triggers
and published runs execute, and re-syncs the triggers to it.

A draft may carry new webhook secrets. They are sealed on the version row (never in a definition)
and move onto the trigger rows only when that version is published, so editing a draft never changes
which signatures a live webhook accepts.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from a2n.auth.policy import Action
from a2n.services.activation import SECRET_FIELDS, STORED_SECRET

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.auth.principal import Principal
    from a2n.db.models import Workflow, WorkflowVersion
    from a2n.services.audit import Origin
    from a2n.services.workflow_views import WorkflowView

# AAD purpose of a draft's sealed webhook secret; the owner is "<workflow id>/<node id>", so a sealed
# value copied to another workflow or node does not open.
DRAFT_SECRET = "webhook_draft"  # noqa: S105 - an AAD label, not a secret


def sealed_draft_secrets(
    workflow_id: uuid.UUID,
    stored_definition: Mapping[str, Any],
    fresh: Mapping[str, str],
    previous: Mapping[str, Any] | None,
) -> dict[str, Any] | None:
    """The ``sealed_secrets`` of a new draft version: ``fresh`` secrets sealed, plus those the
    previous draft sealed for nodes that still show the mask (an unpublished secret carried along)."""
    from a2n.crypto.envelope import encrypt_secret
    from a2n.services.activation import pack_blob

    sealed: dict[str, Any] = {}
    masked = _masked_nodes(stored_definition)
    for node_id, packed in (previous or {}).items():
        if node_id in masked and node_id not in fresh:
            sealed[node_id] = packed
    for node_id, secret in fresh.items():
        blob = encrypt_secret(secret.encode(), purpose=DRAFT_SECRET, owner_id=_owner(workflow_id, node_id))
        sealed[node_id] = json.loads(pack_blob(blob))
    return sealed or None


def open_draft_secrets(workflow_id: uuid.UUID, sealed: Mapping[str, Any] | None) -> dict[str, str]:
    """node id → plaintext of a version's sealed secrets (only while publishing it)."""
    from a2n.crypto.envelope import decrypt_secret
    from a2n.services.activation import stored_blob

    opened: dict[str, str] = {}
    for node_id, packed in (sealed or {}).items():
        blob = stored_blob(json.dumps(packed).encode())
        opened[node_id] = decrypt_secret(
            blob, purpose=DRAFT_SECRET, owner_id=_owner(workflow_id, node_id)
        ).decode()
    return opened


def publish_version(
    session: Session,
    workflow: Workflow,
    version: WorkflowVersion,
    *,
    publisher: uuid.UUID | None,
    fresh: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> None:
    """``version`` becomes what runs; the trigger rows (and an active workflow's schedules) follow.
    ``fresh`` gives the secrets in plaintext when the caller has them (a new workflow's first save),
    else the version's sealed ones are opened. Raises ValidationFailed (nothing changed) when an
    active workflow's trigger could not run as published."""
    from a2n.services.activation import sync_published_triggers

    secrets = dict(fresh) if fresh is not None else open_draft_secrets(workflow.id, version.sealed_secrets)
    workflow.published_version = version.version
    workflow.published_definition = version.definition
    workflow.published_at = now or datetime.now(UTC)
    workflow.published_by = publisher
    sync_published_triggers(session, workflow, secrets, now=workflow.published_at)
    # The secrets live on the trigger rows now; restoring this version later keeps the rows' current
    # secrets, as a restore always has.
    version.sealed_secrets = None


def publish_workflow(
    principal: Principal, workflow_id: str, version: int | None, *, origin: Origin | None = None
) -> WorkflowView:
    """``POST /workflows/{id}/publish``: ``version`` (default the draft head) becomes what runs."""
    from a2n.db.repositories.workflows import WorkflowVersionRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.audit import Actor, record_audit
    from a2n.services.workflow_access import open_workflow
    from a2n.services.workflow_views import workflow_view

    with UnitOfWork() as uow:
        workflow = open_workflow(uow.session, principal, workflow_id, Action.WORKFLOW_PUBLISH, lock=True)
        row = WorkflowVersionRepository(uow.session).require_version(workflow.id, version or workflow.version)
        previous = workflow.published_version
        publish_version(uow.session, workflow, row, publisher=uuid.UUID(principal.user_id))
        if previous != row.version:
            record_audit(
                uow.session, workspace_id=workflow.workspace_id, actor=Actor.of(principal),
                action="workflow.publish", entity_type="workflow", entity_id=workflow.id,
                changes={"version": row.version, "previousVersion": previous}, origin=origin,
            )  # fmt: skip
        uow.session.flush()
        view = workflow_view(workflow)
        uow.commit()
    return view


def _owner(workflow_id: uuid.UUID, node_id: str) -> str:
    return f"{workflow_id}/{node_id}"


def _masked_nodes(definition: Mapping[str, Any]) -> set[str]:
    """Ids of webhook nodes whose auth shows the stored-secret mask."""
    found: set[str] = set()
    for node in definition.get("nodes") or []:
        if not isinstance(node, Mapping) or node.get("type") != "trigger.webhook":
            continue
        config = node.get("config")
        auth = config.get("auth") if isinstance(config, Mapping) else None
        if isinstance(auth, Mapping) and any(auth.get(field) == STORED_SECRET for field in SECRET_FIELDS):
            found.add(str(node.get("id")))
    return found
