"""The step protocol (§5): claim with a lease, run outside any transaction, complete with fencing
under the execution row lock, publish the outbox after commit.

`deps` injects a clock, a random source and fault points so tests can kill a step anywhere.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as RunTimeout
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DBAPIError, StatementError

from a2n.db.repositories.executions import ExecutionRepository
from a2n.db.uow import ConnectionUnitOfWork, UnitOfWork
from a2n.engine.expressions import expression_context
from a2n.engine.planner import Outcome
from a2n.engine.statuses import NodeStatus
from a2n.errors import NotFound
from a2n.execution.clock import now as engine_now
from a2n.execution.compiled import compiled_workflow
from a2n.execution.links import ChildRefused, carry_out, start_child
from a2n.execution.outbox import publish_outbox
from a2n.execution.rows import Effects, StartChild
from a2n.execution.running import ERROR_TEXT_LIMIT, Attempt, attempt_from, checked_result, unexpected_error
from a2n.execution.settle import is_current, settle
from a2n.nodes.context import ChildRequest, Credential, NodeContext, NodeFailed
from a2n.nodes.registry import get_runner
from a2n.nodes.secrets import scrub, secret_values, travelling_forms
from a2n.nodes.wait import resumed_output
from a2n.observability import get_logger
from a2n.services.credentials import load_for_node, refresh_data
from a2n.settings import get_settings

if TYPE_CHECKING:
    from a2n.db.models import OutboxMessage
    from a2n.db.repositories.executions import ClaimedStep
    from a2n.engine.backoff import RandomSource
    from a2n.engine.graph import Node
    from a2n.execution.compiled import CompiledWorkflow
    from a2n.nodes.context import NodeLog, NodeResult, Renew

logger = get_logger()


class StepMessage(BaseModel):
    """The SQS body of a step: ids only. Anything else fails its record (→ DLQ after 5 receives)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    executionId: uuid.UUID  # camelCase: the wire format
    nodeId: str = Field(min_length=1, max_length=200)
    attempt: int = Field(ge=1)


class Faults(Protocol):
    """Test hook: `hit(point)` may raise to kill the step at after_claim, after_run,
    after_commit or after_publish."""

    def hit(self, point: str) -> None: ...


@dataclass
class StepDeps:
    faults: Faults | None = None
    rng: RandomSource | None = None
    clock: Callable[[], datetime] = engine_now
    publish: Callable[[Sequence[OutboxMessage]], None] = publish_outbox

    def hit(self, point: str) -> None:
        if self.faults is not None:
            self.faults.hit(point)


def process_step_batch(
    event: Mapping[str, Any], context: Any, *, deps: StepDeps | None = None
) -> dict[str, Any]:
    """A node-step Lambda's body: each record on its own; failures reported one by one."""

    def record_handler(record: SQSRecord) -> None:
        handle_step_message(StepMessage.model_validate_json(record.body), deps=deps)

    processor = BatchProcessor(event_type=EventType.SQS)
    result = process_partial_response(
        event=dict(event), record_handler=record_handler, processor=processor, context=context
    )
    return dict(result)


def handle_step_message(message: StepMessage, *, deps: StepDeps | None = None) -> str:
    """Run one step message to its end; returns what happened (skipped / discarded / completed)."""
    deps = deps or StepDeps()
    claimed = claim_step(message)
    if claimed is None:
        return "skipped"  # duplicate or stale delivery: acknowledge
    step, compiled, credential = claimed
    deps.hit("after_claim")
    attempt = run_claimed(message, step, compiled, credential=credential, now=deps.clock())
    deps.hit("after_run")
    messages = complete_step(message, attempt, deps)
    if messages is None:
        return "discarded"
    deps.hit("after_commit")
    deps.publish(messages)
    deps.hit("after_publish")
    return "completed"


def claim_step(message: StepMessage) -> tuple[ClaimedStep, CompiledWorkflow, Credential | None] | None:
    """Transaction 1: the claim, the pinned graph (cached) and the node's credential."""
    settings = get_settings()
    with ConnectionUnitOfWork() as uow:
        repo = ExecutionRepository(uow.connection)
        lease_s = settings.node_timeout_default_s + settings.step_lease_s
        step = repo.claim(message.executionId, message.nodeId, message.attempt, lease_s, engine_now())
        if step is None:
            uow.commit()  # the claim also consumed this message's outbox row
            return None
        compiled = compiled_workflow(repo, step.workflow_id, step.workflow_version)
        node = compiled.graph.nodes[message.nodeId]
        credential = _credential(uow.session, step, node, message) if node.credential_id else None
        package = _package(uow.session, step, node) if node.type == "integration" else None
        uow.commit()
    if package is not None:
        compiled = replace_node_package(compiled, message.nodeId, package)
    return step, compiled, credential


def _package(session: Any, step: ClaimedStep, node: Node) -> Mapping[str, Any] | None:
    """The manifest an integration node runs: its saved version, if still installed here."""
    from a2n.services.integrations.installs import manifest_for_run

    return manifest_for_run(session, step.workspace_id, node.config)


def replace_node_package(
    compiled: CompiledWorkflow, node_id: str, package: Mapping[str, Any]
) -> CompiledWorkflow:
    """The compiled workflow as this one step sees it: the node's manifest attached (a per-step
    copy; the cached graph is shared by every step of the version)."""
    return replace(compiled, packages={**compiled.packages, node_id: package})


def _credential(session: Any, step: ClaimedStep, node: Node, message: StepMessage) -> Credential | None:
    from a2n.db.repositories.credentials import UseSite

    site = UseSite(step.workflow_id, node.id, message.executionId, message.attempt)
    try:
        found = load_for_node(session, workspace_id=step.workspace_id, credential_id=str(node.credential_id),
                              site=site)  # fmt: skip
    except NotFound:
        return None  # the run fails with a clear error (see run_claimed)
    return Credential(id=found.id, type=found.type, data=found.data)


def run_claimed(
    message: StepMessage, step: ClaimedStep, compiled: CompiledWorkflow, *, credential: Credential | None,
    now: datetime,
) -> Attempt:  # fmt: skip
    """Outside any transaction: the node's run with its timeout, as a scrubbed Attempt."""
    node = compiled.graph.nodes[message.nodeId]
    if step.woke:
        return _woken(message, step, now)
    secret_set = set(secret_values(credential))
    logs: tuple[NodeLog, ...] = ()
    try:
        if node.credential_id and credential is None:
            raise NodeFailed(
                f"credential {node.credential_id} is missing, inactive, expired, or not shared with whoever"
                " attached it to this workflow"
            )
        ctx = _context(message, step, compiled, credential=credential, node=node, now=now)
        result = _run_with_timeout(node, ctx)
        secret_set |= result.secrets
        logs = result.logs
        attempt = attempt_from(message.nodeId, message.attempt, result)
    except NodeFailed as failure:
        secret_set |= failure.secrets
        logs = failure.logs  # what the failed run printed before it failed
        attempt = Attempt(Outcome.failed(message.nodeId, failure.as_error(), message.attempt))
    except Exception as error:  # a bug or an unexpected library error: the message, never a traceback
        logger.exception("node raised", extra={"node_type": node.type, "node_id": message.nodeId})
        attempt = Attempt(Outcome.failed(message.nodeId, unexpected_error(error), message.attempt))
    attempt.completion.started_at = step.started_at
    attempt.completion.node_logs = list(logs)
    return _scrubbed(attempt, travelling_forms(secret_set), scrub)


def _context(
    message: StepMessage, step: ClaimedStep, compiled: CompiledWorkflow, *, credential: Credential | None,
    node: Node, now: datetime,
) -> Any:  # fmt: skip

    execution = {"id": str(message.executionId), "startedAt": step.execution_started_at.isoformat(),
                 "mode": step.mode}  # fmt: skip
    context = expression_context(
        trigger=step.trigger_data, input=step.input, nodes=step.outputs,
        variables=compiled.variables, execution=execution,
    )  # fmt: skip
    return NodeContext(
        execution_id=str(message.executionId), node_id=node.id, node_type=node.type,
        attempt=message.attempt, config=node.config, input=step.input, expression_context=context,
        credential=credential, timeout_s=_timeout_s(node), now=now,
        refresh_credential=_credential_refresher(step, node) if credential is not None else None,
        package=compiled.packages.get(node.id),
    )  # fmt: skip


def _timeout_s(node: Node) -> float:
    return node.timeout_ms / 1000 if node.timeout_ms else get_settings().node_timeout_default_s


def _credential_refresher(step: ClaimedStep, node: Node) -> Callable[[Renew], Mapping[str, Any]]:
    def refresh(renew: Renew) -> Mapping[str, Any]:
        with UnitOfWork() as uow:
            renewed = refresh_data(uow.session, workspace_id=step.workspace_id,
                                   credential_id=str(node.credential_id), renew=renew)  # fmt: skip
            uow.commit()
        return renewed

    return refresh


def _run_with_timeout(node: Node, ctx: Any) -> NodeResult:
    """The node's run with a deadline. A run past it is abandoned (its result ignored) and the
    attempt fails as retryable: a Lambda cannot kill a thread, so nodes keep their own timeouts too."""
    runner = get_runner(node.type)
    pool = _node_pool()
    try:
        return pool.submit(_run_within_limits, runner, ctx).result(timeout=ctx.timeout_s)
    except RunTimeout:
        _abandon_node_pool(pool)
        raise NodeFailed(f"node timed out after {ctx.timeout_s:g} s", retryable=True) from None


def _run_within_limits(runner: Callable[[Any], NodeResult], ctx: Any) -> NodeResult:
    """The run and the checks of what it produced (storable JSON, size), together on the worker:
    serialising a big output costs time too, and that time belongs to the node's deadline."""
    return checked_result(runner(ctx))


_pools = threading.local()


def _node_pool() -> ThreadPoolExecutor:
    """One worker thread per calling thread, kept while warm: starting a thread per step cost
    ~0.2 ms of the step budget (§11). Per calling thread, so parallel steps never queue behind
    each other's runs (the local runtime runs many steps in one process)."""
    pool: ThreadPoolExecutor | None = getattr(_pools, "pool", None)
    if pool is None:
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="node-run")
        _pools.pool = pool
    return pool


def _abandon_node_pool(pool: ThreadPoolExecutor) -> None:
    """The worker is still busy with a run past its deadline: leave it to finish alone."""
    pool.shutdown(wait=False)
    _pools.pool = None


def _woken(message: StepMessage, step: ClaimedStep, now: datetime) -> Attempt:
    """A wait whose time came: duration/until waits continue; a resume wait timed out (continues
    with no data, like n8n's "limit wait time")."""
    output = resumed_output(now)
    if step.resume_mode:
        output["timedOut"] = True
    return Attempt(Outcome.succeeded(message.nodeId, output, attempt=message.attempt))


def _scrubbed(attempt: Attempt, secret_set: frozenset[str], scrub: Callable[[Any, Any], Any]) -> Attempt:
    if not secret_set:
        return attempt
    outcome = attempt.outcome
    attempt.outcome = Outcome(
        outcome.node_id, outcome.kind, outcome.attempt, scrub(outcome.output, secret_set),
        outcome.handles, scrub(outcome.error, secret_set),
    )  # fmt: skip
    if attempt.completion.webhook_response is not None:
        attempt.completion.webhook_response = scrub(attempt.completion.webhook_response, secret_set)
    attempt.completion.node_logs = [
        replace(log, message=scrub(log.message, secret_set)) for log in attempt.completion.node_logs
    ]
    if attempt.child is not None:
        attempt.child = ChildRequest(attempt.child.workflow_id, scrub(attempt.child.input, secret_set))
    return attempt


def complete_step(message: StepMessage, attempt: Attempt, deps: StepDeps) -> list[OutboxMessage] | None:
    """Transaction 2: fenced completion under the execution lock; None when fenced out.

    A result Postgres refuses to store (bad data, a limit) would otherwise fail the same way on every
    redelivery and leave the node RUNNING until its lease expired, silently: it is logged and the
    node fails at once, not retryable, with Postgres' reason. Transient errors (connection, lock,
    timeout) still raise, so the message is redelivered."""
    try:
        return _complete(message, attempt, deps)
    except StatementError as error:
        reason = unrecordable_reason(error)
        if reason is None:
            raise
    where = {"execution_id": str(message.executionId), "node_id": message.nodeId, "reason": reason}
    logger.error("node result could not be recorded; failing the node", extra=where)
    failed = Attempt(Outcome.failed(
        message.nodeId, {"message": f"the node's result could not be recorded: {reason}", "retryable": False},
        message.attempt,
    ))  # fmt: skip
    failed.completion.started_at = attempt.completion.started_at
    return _complete(message, failed, deps)


# SQLSTATE classes of a statement that fails again whatever the retry: data exception, integrity
# constraint, program limit exceeded (https://www.postgresql.org/docs/current/errcodes-appendix.html).
_PERMANENT_SQLSTATE_CLASSES = ("22", "23", "54")


def unrecordable_reason(error: Exception) -> str | None:
    """Postgres' message when `error` is a permanent refusal of the data written; None when it is
    transient (connection, serialization, lock, timeout) or unknown, i.e. worth a redelivery."""
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return None
        fields = error.orig.args[0] if error.orig is not None and error.orig.args else None
        if not isinstance(fields, dict):
            return None
        code, text = str(fields.get("C", "")), str(fields.get("M", ""))
        return f"{text} (SQLSTATE {code})" if code[:2] in _PERMANENT_SQLSTATE_CLASSES else None
    if isinstance(error, StatementError) and isinstance(error.orig, TypeError | ValueError):
        # A value the driver cannot send.
        return f"{type(error.orig).__name__}: {error.orig}"[:ERROR_TEXT_LIMIT]
    return None


def _complete(message: StepMessage, attempt: Attempt, deps: StepDeps) -> list[OutboxMessage] | None:
    with ConnectionUnitOfWork() as uow:
        repo = ExecutionRepository(uow.connection)
        found = repo.lock_with_states(message.executionId)
        locked, stored = found if found is not None else (None, {})
        if locked is None or not is_current(stored, message.nodeId, message.attempt, NodeStatus.RUNNING):
            logger.info("late completion discarded", extra={"execution_id": str(message.executionId),
                                                            "node_id": message.nodeId})  # fmt: skip
            return None
        child = _start_child(repo, locked, message, attempt) if attempt.child is not None else Effects()
        effects = settle(repo, locked, stored, attempt.outcome, completion=attempt.completion,
                         now=deps.clock(), rng=deps.rng)  # fmt: skip
        # The child's follow-ups after the parent's: a child that ended at its start finds its
        # parent's node already waiting for it.
        messages = carry_out(repo, child.add(effects))
        uow.commit()
    return messages


def _start_child(repo: Any, locked: Any, message: StepMessage, attempt: Attempt) -> Effects:
    """Start the child a sub-workflow node asked for, before its parent's completion is written;
    a refusal becomes the node's failure."""
    request = StartChild(locked.id, locked.workspace_id, message.nodeId, attempt.child)
    try:
        child_id, effects = start_child(repo, request)
    except ChildRefused as refused:
        attempt.outcome = Outcome.failed(message.nodeId, {"message": str(refused), "retryable": False},
                                         message.attempt)  # fmt: skip
        return Effects()
    attempt.completion.child_execution_id = child_id
    return effects
