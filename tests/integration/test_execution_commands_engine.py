"""The API's execution commands (cancel, retry, resume) on real runs: real Postgres, moto SQS and
the real step handler. Each checks access, acts in one transaction with its audit entry, and
publishes only after commit; refused calls change nothing."""

from __future__ import annotations

import json
import uuid

import engine_harness
import pytest
from engine_harness import Engine, HitServer, issued, node, sql, trigger
from identity_support import new_user

from a2n.auth.principal import Principal
from a2n.db.enums import WorkspaceRole
from a2n.db.models import Workspace, WorkspaceMember
from a2n.db.uow import UnitOfWork
from a2n.errors import BadRequest, Conflict, Forbidden, NotFound
from a2n.services import execution_commands
from a2n.services.audit import Origin

engine = engine_harness.engine
hits = engine_harness.hits
ORIGIN = Origin(ip="198.51.100.4", user_agent="pytest/commands")


def person(workspace_id: uuid.UUID, role: WorkspaceRole) -> Principal:
    """A user with ``role`` in ``workspace_id``, committed so the step threads see it too."""
    with UnitOfWork() as uow:
        user = new_user(uow.session)
        uow.session.add(WorkspaceMember(workspace_id=workspace_id, user_id=user.id, role=role))
        uow.commit()
        return Principal(str(user.id), str(workspace_id), "jwt")


def stranger() -> Principal:
    """A member of another workspace (an OWNER there)."""
    workspace_id = uuid.uuid4()
    with UnitOfWork() as uow:
        uow.session.add(Workspace(id=workspace_id, name="other", slug=f"o-{workspace_id.hex[:8]}"))
        uow.commit()
    return person(workspace_id, WorkspaceRole.OWNER)


def audit_rows(entity_id: uuid.UUID) -> list[dict[str, object]]:
    rows = sql("SELECT * FROM audit_logs WHERE entity_id = :e ORDER BY ts", e=str(entity_id))
    return [dict(r._mapping) for r in rows]


def started(execution_id: uuid.UUID, node_id: str) -> int:
    query = (
        "SELECT count(*) FROM execution_logs"
        " WHERE execution_id = :e AND node_id = :n AND message = 'node started'"
    )
    return int(sql(query, e=execution_id, n=node_id)[0][0])


def parked(engine: Engine) -> uuid.UUID:
    """A run waiting (resume mode) at node 'hold', with 'after' behind it."""
    workflow_id = engine.workflow(
        [
            trigger(),
            node("hold", "wait", {"mode": "resume"}),
            node("after", "transform", {"value": "{{ input }}"}),
        ],
        [("start", "hold"), ("hold", "after")],
    )
    execution_id = engine.start(workflow_id)
    engine.pump(until=lambda: engine.execution(execution_id)["status"] == "WAITING")
    return execution_id


def test_cancel_a_waiting_run_ends_it_starts_nothing_and_audits(engine: Engine) -> None:
    member = person(engine.workspace_id, WorkspaceRole.MEMBER)
    execution_id = parked(engine)

    status = execution_commands.cancel(member, execution_id, ORIGIN)

    assert status == "CANCELLED"
    engine.pump()
    nodes = engine.nodes(execution_id)
    assert engine.execution(execution_id)["status"] == "CANCELLED"
    assert nodes["after"]["status"] == "CANCELLED" and started(execution_id, "after") == 0
    [entry] = audit_rows(execution_id)
    assert (entry["action"], entry["actor_id"], entry["ip"]) == (
        "execution.cancel",
        uuid.UUID(member.user_id),
        ORIGIN.ip,
    )
    with pytest.raises(Conflict):
        execution_commands.cancel(member, execution_id)
    assert len(audit_rows(execution_id)) == 1


def test_cancel_before_the_first_step_runs_leaves_queued_messages_inert(engine: Engine) -> None:
    member = person(engine.workspace_id, WorkspaceRole.MEMBER)
    workflow_id = engine.workflow(
        [trigger(), node("a", "noop"), node("b", "noop")], [("start", "a"), ("a", "b")]
    )
    execution_id = engine.start(workflow_id)

    execution_commands.cancel(member, execution_id)
    engine.pump()

    nodes = engine.nodes(execution_id)
    assert engine.execution(execution_id)["status"] == "CANCELLED"
    assert (nodes["a"]["status"], nodes["b"]["status"]) == ("CANCELLED", "CANCELLED")
    assert started(execution_id, "a") == 0


def test_cancel_is_refused_to_strangers_and_viewers_and_changes_nothing(engine: Engine) -> None:
    viewer = person(engine.workspace_id, WorkspaceRole.VIEWER)
    execution_id = parked(engine)

    with pytest.raises(NotFound):
        execution_commands.cancel(stranger(), execution_id)
    with pytest.raises(Forbidden):
        execution_commands.cancel(viewer, execution_id)

    assert engine.execution(execution_id)["status"] == "WAITING"
    assert audit_rows(execution_id) == []


def test_retry_starts_a_new_run_from_the_failed_node_reusing_upstream(
    engine: Engine, hits: HitServer
) -> None:
    member = person(engine.workspace_id, WorkspaceRole.MEMBER)
    hits.statuses = [404]
    workflow_id = engine.workflow(
        [trigger(), node("prep", "transform", {"value": "{{ execution.id }}"}),
         node("call", "http_request", {"method": "GET", "url": hits.url}), node("end", "noop")],
        [("start", "prep"), ("prep", "call"), ("call", "end")],
    )  # fmt: skip
    first = engine.start(workflow_id, {"n": 1})
    engine.pump()
    assert engine.execution(first)["status"] == "FAILED"

    again = execution_commands.retry(member, first, None, ORIGIN)
    engine.pump()

    rerun = engine.execution(again.execution_id)
    nodes = engine.nodes(again.execution_id)
    assert (rerun["status"], rerun["mode"], rerun["retry_of"]) == ("SUCCEEDED", "retry", first)
    assert rerun["trigger_data"] == {"n": 1} and nodes["prep"]["output"] == str(first)
    assert started(again.execution_id, "prep") == 0 and started(again.execution_id, "call") == 1
    assert hits.hits == 2
    [entry] = audit_rows(again.execution_id)
    assert entry["action"] == "execution.retry"
    assert entry["changes"] == {"retryOf": str(first), "fromNodeId": None}


def test_retry_of_an_unknown_node_or_by_a_stranger_creates_nothing(engine: Engine) -> None:
    member = person(engine.workspace_id, WorkspaceRole.MEMBER)
    workflow_id = engine.workflow([trigger(), node("a", "noop")], [("start", "a")])
    first = engine.start(workflow_id)
    engine.pump()

    with pytest.raises(BadRequest):
        execution_commands.retry(member, first, "missing")
    with pytest.raises(NotFound):
        execution_commands.retry(stranger(), first, None)
    with pytest.raises(Forbidden):
        execution_commands.retry(person(engine.workspace_id, WorkspaceRole.VIEWER), first, None)

    assert sql("SELECT count(*) FROM executions")[0][0] == 1
    assert sql("SELECT count(*) FROM audit_logs WHERE action = 'execution.retry'")[0][0] == 0
    assert engine.drain() == 0


def test_resume_with_the_token_continues_the_run_and_never_audits_token_or_data(engine: Engine) -> None:
    member = person(engine.workspace_id, WorkspaceRole.MEMBER)
    execution_id = parked(engine)
    token = issued(execution_id)

    with pytest.raises(NotFound):
        execution_commands.resume(member, execution_id, "not-the-token", None)
    assert audit_rows(execution_id) == []
    status = execution_commands.resume(member, execution_id, token, {"secret": "s3cr3t"}, ORIGIN)
    engine.pump()

    assert status == "RUNNING"
    assert engine.execution(execution_id)["status"] == "SUCCEEDED"
    assert engine.nodes(execution_id)["after"]["output"]["data"] == {"secret": "s3cr3t"}
    [entry] = audit_rows(execution_id)
    assert entry["action"] == "execution.resume"
    assert token not in json.dumps(entry, default=str) and "s3cr3t" not in json.dumps(entry, default=str)
    with pytest.raises(Conflict):
        execution_commands.resume(member, execution_id, token, None)


def test_resume_is_refused_to_strangers_and_viewers(engine: Engine) -> None:
    execution_id = parked(engine)
    token = issued(execution_id)

    with pytest.raises(NotFound):
        execution_commands.resume(stranger(), execution_id, token, None)
    with pytest.raises(Forbidden):
        execution_commands.resume(
            person(engine.workspace_id, WorkspaceRole.VIEWER), execution_id, token, None
        )

    assert engine.execution(execution_id)["status"] == "WAITING"
    assert engine.nodes(execution_id)["hold"]["status"] == "WAITING"
