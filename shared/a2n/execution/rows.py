"""Typed writes of the execution core: node row updates (checked against the transition table),
log rows, and the effects a state change leaves for its caller.

Every node and execution status change the engine writes is checked here (`check_transition`
raises IllegalTransition on a change the table forbids). The one exception is the claim
(QUEUED/due WAITING → RUNNING), a single SQL statement whose WHERE clause is that rule.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from a2n.db.base import new_id, utcnow
from a2n.engine.planner import ExecutionEnd, NodeChange, Outcome, OutcomeKind, Plan
from a2n.engine.statuses import ExecutionStatus, NodeStatus, check_transition

if TYPE_CHECKING:
    from a2n.db.models import OutboxMessage
    from a2n.nodes.context import ChildRequest, NodeLog


class Keep(Enum):
    """A column an update leaves as it is (JSON null is a value, so None cannot mean that)."""

    KEEP = "keep"


KEEP = Keep.KEEP


@dataclass(slots=True)
class NodeRowUpdate:
    """One node row's new status and the columns that change with it. `next_attempt_at`,
    `wait_until` and `resume_token_hash` belong to the status: unset means cleared."""

    node_id: str
    status: NodeStatus
    attempt: int | None = None
    input: Any = KEEP
    output: Any = KEEP
    error: Any = KEEP
    handles: list[str] | Keep = KEEP
    next_attempt_at: datetime | None = None
    wait_until: datetime | None = None
    resume_token_hash: str | None = None
    child_execution_id: uuid.UUID | None = None  # None keeps the stored one
    started_at: datetime | None = None  # None keeps the stored one (set by the claim, or inline)

    def as_param(self) -> dict[str, Any]:
        """The shape the batched UPDATE reads (jsonb_to_recordset): set_* flags say which JSON
        columns to write."""
        return {
            "node_id": self.node_id, "status": self.status.value, "attempt": self.attempt,
            "set_input": self.input is not KEEP, "input": _value(self.input),
            "set_output": self.output is not KEEP, "output": _value(self.output),
            "set_error": self.error is not KEEP, "error": _value(self.error),
            "set_handles": self.handles is not KEEP, "handles": _value(self.handles),
            "next_attempt_at": _iso(self.next_attempt_at), "wait_until": _iso(self.wait_until),
            "resume_token_hash": self.resume_token_hash,
            "child_execution_id": str(self.child_execution_id) if self.child_execution_id else None,
            "started_at": _iso(self.started_at),
        }  # fmt: skip


def _value(value: Any) -> Any:
    return None if value is KEEP else value


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def fold_changes(changes: Sequence[NodeChange], current: Mapping[str, str]) -> dict[str, NodeRowUpdate]:
    """One update per node (the last change wins per field), each status change checked against
    the transition table from the node's `current` status (raises IllegalTransition)."""
    rows: dict[str, NodeRowUpdate] = {}
    for change in changes:
        row = rows.get(change.node_id)
        before = row.status if row is not None else NodeStatus(current[change.node_id])
        if change.status is not before:
            check_transition(before, change.status)
        if row is None:
            row = rows[change.node_id] = NodeRowUpdate(change.node_id, change.status)
        row.status = change.status
        if change.attempt is not None:
            row.attempt = change.attempt
        if change.input is not None:
            row.input = change.input
        if change.output is not None:
            row.output = change.output
        if change.error is not None:
            row.error = dict(change.error)
        elif change.status is NodeStatus.SUCCEEDED:
            row.error = None  # an earlier attempt's error is history, not state
        if change.handles is not None:
            row.handles = list(change.handles)
    return rows


def execution_transition(current: str, new: ExecutionStatus) -> None:
    """Raise IllegalTransition unless the execution may go from `current` to `new`."""
    old = ExecutionStatus(current)
    if old is not new:
        check_transition(old, new)


def log_row(
    execution_id: uuid.UUID,
    node_id: str | None,
    level: str,
    message: str,
    metadata: Mapping[str, Any] | None = None,
    *,
    ts: datetime | None = None,
) -> dict[str, Any]:
    return {
        "id": new_id(), "execution_id": execution_id, "node_id": node_id, "level": level,
        "message": message, "metadata": dict(metadata) if metadata else None, "ts": ts or utcnow(),
    }  # fmt: skip


@dataclass
class Completion:
    """What a completion writes beside the planner's decisions, for the node that completed."""

    started_at: datetime | None = None  # set for a real run: logged as "node started"
    wait_until: datetime | None = None
    resume_token_hash: str | None = None
    waiting_output: Any = None
    child_execution_id: uuid.UUID | None = None
    webhook_response: Mapping[str, Any] | None = None
    node_logs: list[NodeLog] = field(default_factory=list)  # what the run itself wrote (print)


# The hash of a resume-mode wait before anyone asked for its token: no token hashes to it, so nothing
# resumes the node until POST /executions/{id}/resume-token issues one (shown once, hash stored).
UNISSUED_RESUME_TOKEN = "unissued"  # noqa: S105 - a marker that no sha256 hex digest equals


def resume_token_hash(token: str) -> str:
    """Only the hash of a resume token is stored; the token is shown once."""
    return hashlib.sha256(token.encode()).hexdigest()


def node_logs(
    execution_id: uuid.UUID, outcome: Outcome, plan: Plan, *, completion: Completion, now: datetime
) -> list[dict[str, Any]]:
    """start / finish / error / retry / waiting rows for the node that completed."""
    node_id, attempt = outcome.node_id, outcome.attempt
    rows: list[dict[str, Any]] = []
    if completion.started_at is not None:
        rows.append(log_row(execution_id, node_id, "INFO", "node started", {"attempt": attempt},
                            ts=completion.started_at))  # fmt: skip
    rows += [log_row(execution_id, node_id, log.level, log.message, {"attempt": attempt}, ts=log.ts)
             for log in completion.node_logs]  # fmt: skip
    status = plan.status_of(node_id)
    meta: dict[str, Any] = {"attempt": attempt}
    if completion.started_at is not None:
        meta["durationMs"] = max(0, int((now - completion.started_at).total_seconds() * 1000))
    message = str((outcome.error or {}).get("message", ""))
    if status is NodeStatus.QUEUED:
        delay = next((e.delay_ms for e in plan.enqueue if e.node_id == node_id), 0)
        rows.append(log_row(execution_id, node_id, "WARN", f"attempt {attempt} failed, retrying",
                            {**meta, "error": message, "delayMs": delay}, ts=now))  # fmt: skip
    elif status is NodeStatus.WAITING:
        until = completion.wait_until.isoformat() if completion.wait_until else None
        rows.append(log_row(execution_id, node_id, "INFO", "node waiting", {**meta, "until": until}, ts=now))
    elif outcome.kind is OutcomeKind.FAILED:
        failed_meta = {**meta, "error": message}
        rows.append(log_row(execution_id, node_id, "ERROR", "node failed", failed_meta, ts=now))
    elif status is not None:
        rows.append(log_row(execution_id, node_id, "INFO", f"node {status.value.lower()}", meta, ts=now))
    return rows


# --- follow-ups: what a state change asks its caller to do next, in the same transaction ------------
@dataclass(frozen=True, slots=True)
class StartChild:
    """A sub-workflow node asked for a child execution of `request.workflow_id`."""

    parent_id: uuid.UUID
    workspace_id: uuid.UUID
    node_id: str
    request: ChildRequest


@dataclass(frozen=True, slots=True)
class NotifyParent:
    """A child execution ended: the parent's waiting node takes its output or failure."""

    child_id: uuid.UUID
    parent_id: uuid.UUID
    parent_node_id: str
    end: ExecutionEnd


@dataclass(frozen=True, slots=True)
class StartErrorWorkflow:
    """A failed or timed-out execution starts its workflow's `settings.errorWorkflowId`."""

    execution_id: uuid.UUID
    workflow_id: uuid.UUID
    workspace_id: uuid.UUID
    mode: str
    error_workflow_id: str
    end: ExecutionEnd


@dataclass(frozen=True, slots=True)
class NotifyEnded:
    """A run ended: the notification rules it matches tell people and channels (collaboration)."""
    execution_id: uuid.UUID
    workflow_id: uuid.UUID
    workspace_id: uuid.UUID
    status: str
    duration_ms: int


FollowUp = StartChild | NotifyParent | StartErrorWorkflow | NotifyEnded


@dataclass(slots=True)
class Effects:
    """What a transaction's state change leaves to do: outbox rows to publish after commit, and
    follow-ups to carry out before it (`links.carry_out`)."""

    messages: list[OutboxMessage] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)

    def add(self, other: Effects) -> Effects:
        self.messages += other.messages
        self.follow_ups += other.follow_ups
        return self
