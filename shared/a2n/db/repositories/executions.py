"""SQL of the execution engine: start, claim, lock + load, batched state writes, outbox, sweeps.

Each method is one statement, shaped for the step budget (§11): a step costs a claim, a lock,
a state read, one batched UPDATE and one multi-row INSERT per table it touches.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Table, TextualSelect, column, text
from sqlalchemy.orm import Session

from a2n.db.models import OutboxMessage


@dataclass(frozen=True, slots=True)
class WorkflowHead:
    id: uuid.UUID
    workspace_id: uuid.UUID
    version: int
    definition: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ExistingExecution:
    id: uuid.UUID
    status: str
    request_hash: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ClaimedStep:
    """A node attempt this worker now owns, with what its run needs."""

    node_type: str
    input: Any
    woke: bool  # a WAITING node whose time came (wait wake-up), not a fresh QUEUED attempt
    resume_mode: bool
    started_at: datetime
    workflow_id: uuid.UUID
    workflow_version: int
    workspace_id: uuid.UUID
    trigger_data: Any
    mode: str
    execution_started_at: datetime
    outputs: dict[str, Any]


@dataclass(frozen=True, slots=True)
class LockedExecution:
    id: uuid.UUID
    status: str
    workflow_id: uuid.UUID
    workflow_version: int
    workspace_id: uuid.UUID
    mode: str
    started_at: datetime
    trigger_data: Any
    parent_execution_id: uuid.UUID | None
    parent_node_id: str | None


@dataclass(frozen=True, slots=True)
class StoredNodeState:
    node_id: str
    node_type: str
    status: str
    attempt: int
    input: Any
    output: Any
    handles: list[str] | None
    error: Any
    resume_token_hash: str | None
    child_execution_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class DueNode:
    execution_id: uuid.UUID
    node_id: str
    node_type: str
    attempt: int


def _returning(shape: type, sql: str, *extra: str) -> TextualSelect:
    """`sql` whose result columns are `shape`'s fields, in order (then `extra`). Declared, SQLAlchemy
    caches the result metadata with the statement; a bare text() rebuilds it from the cursor on
    every execution, a cost the engine's hot statements paid on every step (§11)."""
    return text(sql).columns(*(column(name) for name in [*(f.name for f in fields(shape)), *extra]))


_CLAIM = _returning(
    ClaimedStep,
    """
WITH consumed AS (
    -- The message is spent unless it came before its wait was due (clock skew): that row stays,
    -- and the sweeper sends the wake again once it is due. "Now" is the engine's clock, passed in
    -- (waits and leases are set by it, a2n.execution.clock), not the database's.
    DELETE FROM outbox WHERE execution_id = :e AND node_id = :n AND attempt = :a
      AND NOT EXISTS (
        SELECT 1 FROM execution_node_states w
        WHERE w.execution_id = :e AND w.node_id = :n AND w.attempt = :a
          AND w.status = 'WAITING' AND w.wait_until > :now)
), claimed AS (
    UPDATE execution_node_states s
    SET status = 'RUNNING',
        started_at = CASE WHEN s.status = 'WAITING' THEN s.started_at ELSE now() END,
        lease_until = CAST(:now AS timestamptz) + make_interval(secs => :lease),
        updated_at = now()
    FROM executions e
    WHERE s.execution_id = :e AND s.node_id = :n AND s.attempt = :a
      AND e.id = s.execution_id AND e.status IN ('RUNNING', 'WAITING')
      AND (s.status = 'QUEUED' OR (s.status = 'WAITING' AND s.wait_until <= :now))
    RETURNING s.node_type, s.input, s.wait_until IS NOT NULL AS woke,
              s.resume_token_hash IS NOT NULL AS resume_mode, s.started_at,
              e.workflow_id, e.workflow_version, e.workspace_id, e.trigger_data, e.mode,
              e.started_at AS execution_started_at
)
SELECT c.*, (
    SELECT jsonb_object_agg(o.node_id, o.output) FROM execution_node_states o
    WHERE o.execution_id = :e AND o.status = 'SUCCEEDED'
) AS outputs
FROM claimed c
""",
)

_LOCK = _returning(
    LockedExecution,
    """
SELECT id, status, workflow_id, workflow_version, workspace_id, mode, started_at, trigger_data,
       parent_execution_id, parent_node_id
FROM executions WHERE id = :e FOR UPDATE""",
)
_LOCK_OR_SKIP = _returning(
    LockedExecution,
    """
SELECT id, status, workflow_id, workflow_version, workspace_id, mode, started_at, trigger_data,
       parent_execution_id, parent_node_id
FROM executions WHERE id = :e FOR UPDATE SKIP LOCKED""",
)

# Every node's state as one JSON document: Postgres builds it and the C JSON parser reads it, where
# row-by-row the driver decoded each of ~10 columns per node in Python (the largest cost of a
# step's completion, §11). Columns in StoredNodeState's order.
_STATES = text("""
SELECT json_agg(json_build_array(node_id, node_type, status, attempt, input, output, handles, error,
                                 resume_token_hash, child_execution_id))::text
FROM execution_node_states WHERE execution_id = :e
""")

_LOCK_WITH_STATES = _returning(
    LockedExecution,
    "SELECT id, status, workflow_id, workflow_version, workspace_id, mode, started_at, trigger_data,"
    " parent_execution_id, parent_node_id, node_states FROM a2n_lock_execution(:e)",
    "node_states",
)


def _states_from(document: str | None) -> dict[str, StoredNodeState]:
    """Node states out of the JSON document _STATES (or a2n_lock_execution) builds."""
    states = {}
    for node_id, node_type, status, attempt, input_, output, handles, error, token, child in json.loads(
        document or "[]"
    ):
        states[node_id] = StoredNodeState(
            node_id, node_type, status, attempt, input_, output, handles, error, token,
            uuid.UUID(child) if child else None,
        )  # fmt: skip
    return states


# One statement for every node a plan changes; set_* flags say which JSON columns to write, so a
# JSON null output stays distinguishable from "unchanged".
_NODE_UPDATE = """
UPDATE execution_node_states s SET
    status = c.status,
    attempt = COALESCE(c.attempt, s.attempt),
    input = CASE WHEN c.set_input THEN c.input ELSE s.input END,
    output = CASE WHEN c.set_output THEN c.output ELSE s.output END,
    error = CASE WHEN c.set_error THEN c.error ELSE s.error END,
    handles = CASE WHEN c.set_handles THEN c.handles ELSE s.handles END,
    queued_at = CASE WHEN c.status = 'QUEUED' THEN now() ELSE s.queued_at END,
    started_at = CASE WHEN c.status = 'QUEUED' THEN NULL ELSE COALESCE(c.started_at, s.started_at) END,
    ended_at = CASE WHEN c.status IN ('SUCCEEDED', 'FAILED', 'SKIPPED', 'CANCELLED') THEN now() END,
    lease_until = NULL,
    next_attempt_at = c.next_attempt_at,
    wait_until = c.wait_until,
    resume_token_hash = c.resume_token_hash,
    child_execution_id = COALESCE(c.child_execution_id, s.child_execution_id),
    updated_at = now()
FROM jsonb_to_recordset(CAST(:changes AS jsonb)) AS c(
    node_id text, status text, attempt int, set_input bool, input jsonb, set_output bool,
    output jsonb, set_error bool, error jsonb, set_handles bool, handles text[],
    next_attempt_at timestamptz, wait_until timestamptz, resume_token_hash text,
    child_execution_id uuid, started_at timestamptz)
WHERE s.execution_id = :e AND s.node_id = c.node_id
"""

_UPDATE_EXECUTION = text("""
WITH ex AS (
    UPDATE executions SET
        status = :status,
        output = CASE WHEN :ending THEN CAST(:output AS jsonb) ELSE output END,
        error = CASE WHEN :ending THEN CAST(:error AS jsonb) ELSE error END,
        ended_at = CASE WHEN :ending THEN now() ELSE ended_at END,
        duration_ms = CASE WHEN :ending
            THEN (extract(epoch FROM now() - started_at) * 1000)::bigint ELSE duration_ms END,
        webhook_response = COALESCE(CAST(:webhook_response AS jsonb), webhook_response),
        updated_at = now()
    WHERE id = :e
    RETURNING workflow_id, status
)
UPDATE workflows w SET
    success_count = w.success_count + (ex.status = 'SUCCEEDED')::int,
    failure_count = w.failure_count + (ex.status IN ('FAILED', 'TIMED_OUT'))::int
FROM ex WHERE :ending AND w.id = ex.workflow_id
""")


# Multi-row INSERTs as one constant text each (rows travel as one JSON parameter), like _NODE_UPDATE:
# SQLAlchemy re-compiled insert().values(rows) on every step because its SQL varied with the row count.
_LOGS_INSERT = """
INSERT INTO execution_logs (id, execution_id, node_id, level, message, metadata, ts)
SELECT COALESCE(r.id, gen_random_uuid()), r.execution_id, r.node_id, r.level, r.message, r.metadata,
       COALESCE(r.ts, now())
FROM jsonb_to_recordset(CAST(:logs AS jsonb)) AS r(
    id uuid, execution_id uuid, node_id text, level text, message text, metadata jsonb, ts timestamptz)
"""
_INSERT_LOGS = text(_LOGS_INSERT)

_OUTBOX_INSERT = """
INSERT INTO outbox (id, execution_id, node_id, attempt, queue, delay_s, created_at)
SELECT r.id, r.execution_id, r.node_id, r.attempt, r.queue, COALESCE(r.delay_s, 0),
       COALESCE(r.created_at, now())
FROM jsonb_to_recordset(CAST(:outbox AS jsonb)) AS r(
    id uuid, execution_id uuid, node_id text, attempt int, queue text, delay_s int, created_at timestamptz)
"""
_INSERT_OUTBOX = text(_OUTBOX_INSERT)

_NODE_TIMES = ("queued_at", "started_at", "ended_at", "created_at", "updated_at")
_INSERT_NODE_STATES = text("""
INSERT INTO execution_node_states (id, execution_id, node_id, node_type, status, attempt, input, output,
    error, handles, queued_at, started_at, ended_at, created_at, updated_at)
SELECT r.id, r.execution_id, r.node_id, r.node_type, r.status, COALESCE(r.attempt, 0), r.input, r.output,
       r.error, r.handles, r.queued_at, r.started_at, r.ended_at, COALESCE(r.created_at, now()),
       COALESCE(r.updated_at, now())
FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(
    id uuid, execution_id uuid, node_id text, node_type text, status text, attempt int, input jsonb,
    output jsonb, error jsonb, handles text[], queued_at timestamptz, started_at timestamptz,
    ended_at timestamptz, created_at timestamptz, updated_at timestamptz)
""")

# A plan's three writes in one round trip: data-modifying CTEs all run, on different tables, so none
# depends on seeing another's rows (an empty JSON array writes nothing).
_WRITE_PLAN = text(f"""
WITH nodes AS ({_NODE_UPDATE}), queued AS ({_OUTBOX_INSERT}), logged AS ({_LOGS_INSERT})
SELECT 1
""")


def _logs_json(rows: Sequence[Mapping[str, Any]]) -> str:
    return dumps([{**row, "ts": _iso(row.get("ts"))} for row in rows])


def _outbox_json(messages: Sequence[OutboxMessage]) -> str:
    return dumps(
        [
            {
                "id": m.id,
                "execution_id": m.execution_id,
                "node_id": m.node_id,
                "attempt": m.attempt,
                "queue": m.queue,
                "delay_s": m.delay_s,
                "created_at": _iso(m.created_at),
            }
            for m in messages
        ]
    )


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _table(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


_PUBLISHED_HEAD = text(
    "SELECT id, workspace_id, published_version, published_definition FROM workflows"
    " WHERE id = :w AND workspace_id = :ws AND archived_at IS NULL AND published_version IS NOT NULL"
)
_DRAFT_HEAD = text(
    "SELECT id, workspace_id, version, definition FROM workflows"
    " WHERE id = :w AND workspace_id = :ws AND archived_at IS NULL"
)


# Sub-workflow trees: the chain of parents up to the root, and every execution below a root.
_LOCK_ROOT = text("""
WITH RECURSIVE chain(id, parent, depth) AS (
    SELECT id, parent_execution_id, 0 FROM executions WHERE id = :e
    UNION ALL
    SELECT x.id, x.parent_execution_id, c.depth + 1 FROM executions x JOIN chain c ON x.id = c.parent
    WHERE c.depth < 100
) SELECT id, (SELECT max(depth) FROM chain) FROM executions
WHERE id = (SELECT id FROM chain WHERE parent IS NULL LIMIT 1) FOR UPDATE
""")
_DESCENDANTS = text("""
WITH RECURSIVE tree(id, depth) AS (
    SELECT id, 1 FROM executions WHERE parent_execution_id = :root
    UNION ALL
    SELECT x.id, t.depth + 1 FROM executions x JOIN tree t ON x.parent_execution_id = t.id
    WHERE t.depth < 100
) SELECT count(*) FROM tree
""")


class ExecutionRepository:
    """SQL only (no ORM entities), so it runs on a Session or on a bare Core connection (the step's
    ConnectionUnitOfWork)."""

    def __init__(self, session: Session | Connection) -> None:
        self.session = session

    # --- start ----------------------------------------------------------------------------
    def workflow_head(
        self, workspace_id: uuid.UUID, workflow_id: uuid.UUID, *, draft: bool = False
    ) -> WorkflowHead | None:
        """The version a new execution runs: the published one, or the draft head for a test run."""
        query = _DRAFT_HEAD if draft else _PUBLISHED_HEAD
        row = self.session.execute(query, {"w": workflow_id, "ws": workspace_id}).one_or_none()
        return None if row is None else WorkflowHead(*row)

    def by_idempotency_key(self, workflow_id: uuid.UUID, key: str) -> ExistingExecution | None:
        row = self.session.execute(
            text(
                "SELECT id, status, request_hash, created_at FROM executions"
                " WHERE workflow_id = :w AND idempotency_key = :k"
            ),
            {"w": workflow_id, "k": key},
        ).one_or_none()
        return None if row is None else ExistingExecution(*row)

    def by_scheduled_time(self, trigger_id: uuid.UUID, scheduled_time: datetime) -> ExistingExecution | None:
        row = self.session.execute(
            text(
                "SELECT id, status, request_hash, created_at FROM executions"
                " WHERE trigger_id = :t AND scheduled_time = :s"
            ),
            {"t": trigger_id, "s": scheduled_time},
        ).one_or_none()
        return None if row is None else ExistingExecution(*row)

    def release_idempotency_key(self, execution_id: uuid.UUID) -> None:
        self.session.execute(
            text("UPDATE executions SET idempotency_key = NULL WHERE id = :e"), {"e": execution_id}
        )

    def insert_execution(self, values: Mapping[str, Any]) -> bool:
        """False when a unique key (idempotency key, schedule fire) already holds an execution.
        `deadline_at` is on the engine's clock (the sweeper and the engine timers compare it with that)."""
        row = self.session.execute(
            text("""
INSERT INTO executions (id, workflow_id, workflow_version, workspace_id, status, mode, trigger_id,
    scheduled_time, trigger_data, output, error, webhook_response, started_at, ended_at, duration_ms,
    deadline_at, parent_execution_id, parent_node_id, retry_of, idempotency_key, request_hash, created_at,
    updated_at)
VALUES (:id, :workflow_id, :workflow_version, :workspace_id, :status, :mode, :trigger_id,
    :scheduled_time, CAST(:trigger_data AS jsonb), CAST(:output AS jsonb), CAST(:error AS jsonb),
    CAST(:webhook_response AS jsonb), now(), :ended_at, :duration_ms, :deadline_at,
    :parent_execution_id, :parent_node_id, :retry_of, :idempotency_key, :request_hash, now(), now())
ON CONFLICT DO NOTHING RETURNING id
"""),
            {
                **values,
                "trigger_data": dumps(values["trigger_data"]),
                "output": dumps(values["output"]) if values.get("output") is not None else None,
                "error": dumps(values["error"]) if values.get("error") is not None else None,
                "webhook_response": dumps(values["webhook_response"])
                if values.get("webhook_response") is not None
                else None,
            },
        ).one_or_none()
        return row is not None

    def count_started(self, workflow_id: uuid.UUID, *, ended: str | None) -> None:
        """Workflow stats: one more execution (and its result when it ended at start)."""
        self.session.execute(
            text(
                "UPDATE workflows SET execution_count = execution_count + 1, last_executed_at = now(),"
                " success_count = success_count + (COALESCE(CAST(:ended AS text), '') = 'SUCCEEDED')::int,"
                " failure_count = failure_count"
                " + (COALESCE(CAST(:ended AS text), '') IN ('FAILED', 'TIMED_OUT'))::int"
                " WHERE id = :w"
            ),
            {"w": workflow_id, "ended": ended},
        )

    def insert_node_states(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Every node row of a new execution in one constant statement (rows as one JSON parameter):
        insert().values(rows) was compiled anew by SQLAlchemy on every start, ~35 % of a start's CPU."""
        if rows:
            encoded = [{**row, **{k: _iso(row.get(k)) for k in _NODE_TIMES}} for row in rows]
            self.session.execute(_INSERT_NODE_STATES, {"rows": dumps(encoded)})

    def lock_root(self, execution_id: uuid.UUID) -> tuple[int, int]:
        """Lock the root of `execution_id`'s sub-workflow tree; (how many parents `execution_id` has,
        how many executions the root has below it). The count is a second statement, so its snapshot
        is taken after the lock is granted: two children started at once in one tree are counted one
        after the other (locks go upward only, child → parent → root)."""
        found = self.session.execute(_LOCK_ROOT, {"e": execution_id}).one_or_none()
        if found is None:
            return 0, 0
        root, depth = found
        below = self.session.execute(_DESCENDANTS, {"root": root}).scalar_one()
        return int(depth or 0), int(below)

    def count_unended(self, workspace_id: uuid.UUID, up_to: int) -> int:
        """The workspace's executions not yet ended, counted up to `up_to` (a bounded scan)."""
        count = self.session.execute(
            text(
                "SELECT count(*) FROM (SELECT 1 FROM executions WHERE workspace_id = :ws"
                " AND status IN ('QUEUED', 'RUNNING', 'WAITING') LIMIT :n) s"
            ),
            {"ws": workspace_id, "n": up_to},
        ).scalar_one()
        return int(count)

    # --- step -----------------------------------------------------------------------------
    def claim(
        self, execution_id: uuid.UUID, node_id: str, attempt: int, lease_s: float, now: datetime
    ) -> ClaimedStep | None:
        """QUEUED (or WAITING and due at `now`) → RUNNING for exactly this attempt, leased until
        `now` + `lease_s`; consumes its outbox row (kept when the message came before its wait was due)."""
        row = self.session.execute(
            _CLAIM, {"e": execution_id, "n": node_id, "a": attempt, "lease": lease_s, "now": now}
        ).one_or_none()
        if row is None:
            return None
        *values, outputs = row
        return ClaimedStep(*values, outputs or {})  # type: ignore[call-arg]  # columns = fields

    def definition(self, workflow_id: uuid.UUID, version: int) -> dict[str, Any] | None:
        """The pinned version's definition (the workflow row holds the current one)."""
        found: dict[str, Any] | None = self.session.execute(
            text(
                "SELECT COALESCE((SELECT definition FROM workflow_versions"
                " WHERE workflow_id = :w AND version = :v),"
                " (SELECT definition FROM workflows WHERE id = :w AND version = :v))"
            ),
            {"w": workflow_id, "v": version},
        ).scalar_one()
        return found

    def lock(self, execution_id: uuid.UUID, *, skip_locked: bool = False) -> LockedExecution | None:
        statement = _LOCK_OR_SKIP if skip_locked else _LOCK
        row = self.session.execute(statement, {"e": execution_id}).one_or_none()
        return None if row is None else LockedExecution(*row)

    def set_resume_token_hash(self, execution_id: uuid.UUID, node_id: str, token_hash: str) -> None:
        """A waiting node's new resume token (its hash); the caller holds the execution lock."""
        self.session.execute(
            text(
                "UPDATE execution_node_states SET resume_token_hash = :h"
                " WHERE execution_id = :e AND node_id = :n AND status = 'WAITING'"
            ),
            {"e": execution_id, "n": node_id, "h": token_hash},
        )

    def node_states(self, execution_id: uuid.UUID) -> dict[str, StoredNodeState]:
        return _states_from(self.session.execute(_STATES, {"e": execution_id}).scalar_one())

    def lock_with_states(
        self, execution_id: uuid.UUID
    ) -> tuple[LockedExecution, dict[str, StoredNodeState]] | None:
        """lock + node_states in one round trip (migration 0002's a2n_lock_execution): the states
        are read after the lock is held, as the two statements would read them."""
        row = self.session.execute(_LOCK_WITH_STATES, {"e": execution_id}).one_or_none()
        if row is None:
            return None
        *locked, states = row
        return LockedExecution(*locked), _states_from(states)

    def update_execution(
        self,
        execution_id: uuid.UUID,
        *,
        status: str,
        ending: bool,
        output: Any = None,
        error: Any = None,
        webhook_response: Any = None,
    ) -> None:
        self.session.execute(
            _UPDATE_EXECUTION,
            {
                "e": execution_id,
                "status": status,
                "ending": ending,
                "output": dumps(output) if ending else None,
                "error": dumps(error) if ending and error is not None else None,
                "webhook_response": None if webhook_response is None else dumps(webhook_response),
            },
        )

    def workflow_name(self, workflow_id: uuid.UUID) -> str | None:
        return self.session.execute(
            text("SELECT name FROM workflows WHERE id = :w"), {"w": workflow_id}
        ).scalar_one_or_none()

    def link_error_execution(self, execution_id: uuid.UUID, error_execution_id: uuid.UUID) -> None:
        """The error workflow run a failed execution started (set once that run exists)."""
        self.session.execute(
            text("UPDATE executions SET error_workflow_execution_id = :x, updated_at = now() WHERE id = :e"),
            {"e": execution_id, "x": error_execution_id},
        )

    def insert_logs(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Rows as `log_row` builds them: {id, execution_id, node_id, level, message, metadata, ts}."""
        if rows:
            self.session.execute(_INSERT_LOGS, {"logs": _logs_json(rows)})

    def insert_outbox(self, messages: Sequence[OutboxMessage]) -> None:
        if messages:
            self.session.execute(_INSERT_OUTBOX, {"outbox": _outbox_json(messages)})

    def write_plan(
        self,
        execution_id: uuid.UUID,
        changes: Sequence[Mapping[str, Any]],
        messages: Sequence[OutboxMessage],
        logs: Sequence[Mapping[str, Any]],
    ) -> None:
        """apply_node_changes + insert_outbox + insert_logs as one statement (the step budget, §11)."""
        if changes or messages or logs:
            params = {"e": execution_id, "changes": dumps(list(changes))}
            params |= {"outbox": _outbox_json(messages), "logs": _logs_json(logs)}
            self.session.execute(_WRITE_PLAN, params)

    # --- sweeps ---------------------------------------------------------------------------
    def active_children(self, execution_id: uuid.UUID) -> list[uuid.UUID]:
        rows = self.session.execute(
            text(
                "SELECT id FROM executions WHERE parent_execution_id = :e"
                " AND status IN ('QUEUED', 'RUNNING', 'WAITING')"
            ),
            {"e": execution_id},
        )
        return [row[0] for row in rows]

    def due_waits(self, now: datetime, limit: int) -> list[DueNode]:
        """WAITING nodes whose time has come and that no wake message is pending for."""
        rows = self.session.execute(
            text("""
SELECT s.execution_id, s.node_id, s.node_type, s.attempt FROM execution_node_states s
WHERE s.status = 'WAITING' AND s.wait_until <= :now AND NOT EXISTS (
    SELECT 1 FROM outbox o WHERE o.execution_id = s.execution_id AND o.node_id = s.node_id
      AND o.attempt = s.attempt)
ORDER BY s.wait_until LIMIT :limit
"""),
            {"now": now, "limit": limit},
        )
        return [DueNode(*row) for row in rows]

    def take_due_retries(self, now: datetime, limit: int) -> list[DueNode]:
        """QUEUED retries whose delay (longer than SQS can hold) has passed; clears the due time."""
        rows = self.session.execute(
            text("""
WITH due AS (  -- a locking CTE runs once; `IN (SELECT … LIMIT … FOR UPDATE)` may run again
    SELECT id FROM execution_node_states WHERE status = 'QUEUED'
    AND next_attempt_at <= :now ORDER BY next_attempt_at LIMIT :limit FOR UPDATE SKIP LOCKED)
UPDATE execution_node_states s SET next_attempt_at = NULL, updated_at = now()
FROM due WHERE s.id = due.id
RETURNING s.execution_id, s.node_id, s.node_type, s.attempt
"""),
            {"now": now, "limit": limit},
        )
        return [DueNode(*row) for row in rows]

    def expired_leases(self, now: datetime, limit: int) -> list[DueNode]:
        rows = self.session.execute(
            text(
                "SELECT execution_id, node_id, node_type, attempt FROM execution_node_states"
                " WHERE status = 'RUNNING' AND lease_until < :now ORDER BY lease_until LIMIT :limit"
            ),
            {"now": now, "limit": limit},
        )
        return [DueNode(*row) for row in rows]

    def overdue_executions(self, now: datetime, limit: int) -> list[uuid.UUID]:
        rows = self.session.execute(
            text(
                "SELECT id FROM executions WHERE status IN ('QUEUED', 'RUNNING', 'WAITING')"
                " AND deadline_at < :now ORDER BY deadline_at LIMIT :limit"
            ),
            {"now": now, "limit": limit},
        )
        return [row[0] for row in rows]

    def delete_outbox(self, execution_id: uuid.UUID, node_id: str) -> None:
        """Consume an execution's outbox rows of ``node_id`` (the notification sender's claim)."""
        self.session.execute(
            text("DELETE FROM outbox WHERE execution_id = :e AND node_id = :n"),
            {"e": execution_id, "n": node_id},
        )

    def work_in_flight(self) -> bool:
        """Anything the sweeper still watches: an outbox row (unpublished, or a step message not yet
        claimed, waits SQS delays included), a RUNNING node (a lease that may expire) or a pending
        notification delivery (resent when its message was lost). Parked work
        (long waits and retries, children's parents) has its own timers and does not count."""
        found: bool = self.session.execute(
            text(
                "SELECT EXISTS (SELECT 1 FROM outbox)"
                " OR EXISTS (SELECT 1 FROM execution_node_states WHERE status = 'RUNNING')"
                " OR EXISTS (SELECT 1 FROM notification_deliveries WHERE status = 'pending')"
            )
        ).scalar_one()
        return found

    def deadline_of(self, execution_id: uuid.UUID) -> datetime | None:
        deadline: datetime | None = self.session.execute(
            text("SELECT deadline_at FROM executions WHERE id = :e"), {"e": execution_id}
        ).scalar_one_or_none()
        return deadline

    def take_due_node(
        self, execution_id: uuid.UUID, node_id: str, attempt: int, now: datetime
    ) -> DueNode | None:
        """This attempt of a node, when it is parked and due at `now`: a WAITING node with no wake
        pending, or a QUEUED retry whose due time is cleared here. None otherwise."""
        row = self.session.execute(
            text("""
UPDATE execution_node_states s SET next_attempt_at = NULL, updated_at = now()
WHERE s.execution_id = :e AND s.node_id = :n AND s.attempt = :a
  AND ((s.status = 'QUEUED' AND s.next_attempt_at <= :now)
       OR (s.status = 'WAITING' AND s.wait_until <= :now AND NOT EXISTS (
           SELECT 1 FROM outbox o WHERE o.execution_id = :e AND o.node_id = :n AND o.attempt = :a)))
RETURNING s.execution_id, s.node_id, s.node_type, s.attempt
"""),
            {"e": execution_id, "n": node_id, "a": attempt, "now": now},
        ).one_or_none()
        return None if row is None else DueNode(*row)

    def still_parked(self, execution_id: uuid.UUID, node_id: str, attempt: int) -> bool:
        """This attempt is WAITING (with no wake pending) or a QUEUED retry with a due time."""
        parked: bool = self.session.execute(
            text("""
SELECT EXISTS (SELECT 1 FROM execution_node_states s
WHERE s.execution_id = :e AND s.node_id = :n AND s.attempt = :a
  AND ((s.status = 'QUEUED' AND s.next_attempt_at IS NOT NULL)
       OR (s.status = 'WAITING' AND NOT EXISTS (
           SELECT 1 FROM outbox o WHERE o.execution_id = :e AND o.node_id = :n AND o.attempt = :a))))
"""),
            {"e": execution_id, "n": node_id, "a": attempt},
        ).scalar_one()
        return parked

    def stale_outbox(self, now: datetime, older_than: timedelta, limit: int) -> list[OutboxMessage]:
        """Unconsumed rows past their delay + `older_than` at `now` (rows are stamped on the engine's
        clock); re-stamped so each is resent once per period."""
        rows: Sequence[Any] = self.session.execute(
            text("""
WITH stale AS (  -- a locking CTE runs once (see take_due_retries)
    SELECT id FROM outbox
    WHERE created_at + make_interval(secs => delay_s) + make_interval(secs => :older) < :now
    ORDER BY created_at LIMIT :limit FOR UPDATE SKIP LOCKED)
UPDATE outbox o SET created_at = :now
FROM stale WHERE o.id = stale.id
RETURNING o.id, o.execution_id, o.node_id, o.attempt, o.queue, o.created_at
"""),
            {"older": older_than.total_seconds(), "limit": limit, "now": now},
        ).all()
        return [
            OutboxMessage(
                id=r[0], execution_id=r[1], node_id=r[2], attempt=r[3], queue=r[4], delay_s=0, created_at=r[5]
            )
            for r in rows
        ]
