"""Mutating use cases on executions from the API: execute, cancel, retry, resume, delete.

Each runs in one transaction (access check, workspace-scoped load, the engine's state change,
audit entry), commits, and only then publishes the step messages the engine produced.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from a2n.auth.policy import Action
from a2n.db.enums import ACTIVE_EXECUTION_STATUSES
from a2n.errors import Conflict, NotFound
from a2n.services.audit import Actor, Origin, record_audit
from a2n.services.start_limits import admit_start

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from a2n.auth.principal import Principal
    from a2n.db.models import Execution
    from a2n.execution.start import StartedExecution

ENTITY = "execution"


def execute_workflow(
    principal: Principal,
    workflow_id: uuid.UUID,
    data: Any,
    *,
    idempotency_key: str | None,
    request_hash: str | None,
    run_draft: bool = False,
    origin: Origin | None = None,
) -> StartedExecution:
    """POST /workflows/{id}/execute: a manual run (active or not) of the published version, or of
    the draft head to test it."""
    from a2n.db.enums import ExecutionMode
    from a2n.db.uow import UnitOfWork
    from a2n.execution.links import start_execution
    from a2n.execution.outbox import publish_outbox
    from a2n.execution.start import StartRequest
    from a2n.services.access import require_verified_address
    from a2n.services.workflow_access import require_workflow

    with UnitOfWork() as uow:
        # The run happens in the workflow's workspace (a share holder may act elsewhere): its
        # credentials, its start rate, its audit trail.
        action = Action.WORKFLOW_EXECUTE_DRAFT if run_draft else Action.WORKFLOW_EXECUTE
        workspace_id = require_workflow(uow.session, principal, str(workflow_id), action)
        require_verified_address(uow.session, principal)
        admit_start(uow.session, workspace_id)
        request = StartRequest(
            workflow_id=workflow_id, workspace_id=workspace_id, mode=ExecutionMode.MANUAL,
            trigger_data=data, idempotency_key=idempotency_key, request_hash=request_hash,
            run_draft=run_draft,
        )  # fmt: skip
        started, messages = start_execution(uow.session, request)
        if started.created:
            record_audit(
                uow.session, workspace_id=workspace_id, actor=Actor.of(principal),
                action="workflow.execute", entity_type="execution", entity_id=started.execution_id,
                changes={"workflowId": str(workflow_id), "version": "draft" if run_draft else "published"},
                origin=origin,
            )  # fmt: skip
        uow.commit()
    publish_outbox(messages)
    return started


def cancel(principal: Principal, execution_id: uuid.UUID, origin: Origin | None = None) -> str:
    """Running nodes finish; nothing new starts. A finished execution is a 409. Returns its status."""
    from a2n.db.uow import UnitOfWork
    from a2n.execution.control import cancel_execution
    from a2n.execution.outbox import publish_outbox

    with UnitOfWork() as uow:
        execution = _load(uow.session, principal, Action.EXECUTION_CANCEL, execution_id)
        if execution.status not in ACTIVE_EXECUTION_STATUSES:
            raise Conflict(f"Execution already ended ({execution.status})")
        messages = cancel_execution(uow.session, execution.id)
        _audit(uow.session, principal, "execution.cancel", execution, origin)
        status = _status_now(uow.session, execution)
        uow.commit()
    publish_outbox(messages)
    return status


def retry(
    principal: Principal,
    execution_id: uuid.UUID,
    from_node_id: str | None,
    origin: Origin | None = None,
) -> StartedExecution:
    """A new execution of the same version, from ``from_node_id`` (default: the failed node)."""
    from a2n.db.uow import UnitOfWork
    from a2n.execution.control import rerun_execution
    from a2n.execution.outbox import publish_outbox
    from a2n.services.access import require_verified_address

    with UnitOfWork() as uow:
        execution = _load(uow.session, principal, Action.EXECUTION_RETRY, execution_id)
        require_verified_address(uow.session, principal)
        admit_start(uow.session, execution.workspace_id)
        started, messages = rerun_execution(uow.session, execution_id=execution.id, from_node_id=from_node_id)
        changes = {"retryOf": str(execution.id), "fromNodeId": from_node_id}
        record_audit(
            uow.session,
            workspace_id=execution.workspace_id,
            actor=Actor.of(principal),
            action="execution.retry",
            entity_type=ENTITY,
            entity_id=started.execution_id,
            changes=changes,
            origin=origin,
        )
        uow.commit()
    publish_outbox(messages)
    return started


def resume(
    principal: Principal,
    execution_id: uuid.UUID,
    token: str,
    data: Any,
    origin: Origin | None = None,
) -> str:
    """Wake the waiting node holding ``token``; its output carries ``data``. Returns the status."""
    from a2n.db.uow import UnitOfWork
    from a2n.execution.control import resume_node
    from a2n.execution.outbox import publish_outbox

    with UnitOfWork() as uow:
        execution = _load(uow.session, principal, Action.EXECUTION_RESUME, execution_id)
        messages = resume_node(uow.session, execution_id=execution.id, token=token, data=data)
        # Neither the token nor the data enter the trail: both may be secrets of the caller.
        _audit(uow.session, principal, "execution.resume", execution, origin)
        status = _status_now(uow.session, execution)
        uow.commit()
    publish_outbox(messages)
    return status


def issue_resume_token(
    principal: Principal, execution_id: uuid.UUID, node_id: str | None, origin: Origin | None = None
) -> tuple[str, str]:
    """(node id, token) for the node waiting to be resumed: shown once, stored as a hash."""
    from a2n.db.uow import UnitOfWork
    from a2n.execution.control import issue_resume_token as issue

    with UnitOfWork() as uow:
        execution = _load(uow.session, principal, Action.EXECUTION_RESUME, execution_id)
        issued = issue(uow.session, execution_id=execution.id, node_id=node_id)
        _audit(uow.session, principal, "execution.resume_token", execution, origin)  # never the token
        uow.commit()
    return issued


def delete(principal: Principal, execution_id: uuid.UUID, origin: Origin | None = None) -> None:
    """Delete a finished execution with its nodes and logs; an active one is a 409 (cancel first)."""
    from a2n.db.repositories.execution_queries import ExecutionQueryRepository
    from a2n.db.uow import UnitOfWork
    from a2n.services.access import require

    with UnitOfWork() as uow:
        require(uow.session, principal, Action.EXECUTION_DELETE)
        repo = ExecutionQueryRepository(uow.session)
        # Locked, so a step cannot complete (and re-publish successors) between check and delete.
        execution = repo.lock_in_workspace(uuid.UUID(principal.workspace_id), execution_id)
        if execution is None:
            raise NotFound("Execution not found")
        if execution.status in ACTIVE_EXECUTION_STATUSES:
            raise Conflict("Execution is still active; cancel it first")
        _audit(uow.session, principal, "execution.delete", execution, origin)
        repo.delete_by_id(execution.id)
        uow.commit()


def _load(session: Session, principal: Principal, action: Action, execution_id: uuid.UUID) -> Execution:
    from a2n.db.repositories.execution_queries import ExecutionQueryRepository
    from a2n.services.access import require

    require(session, principal, action)
    repo = ExecutionQueryRepository(session)
    return repo.require_in_workspace(uuid.UUID(principal.workspace_id), execution_id)


def _audit(
    session: Session, principal: Principal, action: str, execution: Execution, origin: Origin | None
) -> None:
    record_audit(
        session,
        workspace_id=execution.workspace_id,
        actor=Actor.of(principal),
        action=action,
        entity_type=ENTITY,
        entity_id=execution.id,
        changes={"workflowId": str(execution.workflow_id), "status": str(execution.status)},
        origin=origin,
    )


def _status_now(session: Session, execution: Execution) -> str:
    """The status after the engine's change, which may have gone through SQL, not this object."""
    session.flush()
    session.refresh(execution, ["status"])
    return str(execution.status)
