"""Issue 9 item 9 / SECURITY case 30: a resume token is stored only as its hash. While a node waits in
resume mode nothing stored holds a token; POST /executions/{id}/resume-token issues one, shown once
in that answer, and a new one replaces it; resume compares hashes in constant time."""

from __future__ import annotations

import hashlib
import json

import engine_harness
import pytest
from engine_harness import Engine, node, sql, trigger
from test_execution_commands_engine import ORIGIN, person, stranger

from a2n.db.enums import WorkspaceRole
from a2n.errors import Conflict, Forbidden, NotFound, ValidationFailed
from a2n.services import execution_commands

engine = engine_harness.engine


def parked(engine: Engine, *waits: str) -> object:
    names = waits or ("hold",)
    nodes = [trigger(), *(node(name, "wait", {"mode": "resume"}) for name in names), node("after", "noop")]
    edges = [("start", name) for name in names] + [(name, "after") for name in names]
    execution_id = engine.start(engine.workflow(nodes, edges))
    engine.pump(until=lambda: all(engine.nodes(execution_id)[n]["status"] == "WAITING" for n in names))
    return execution_id


def everything_stored(execution_id: object) -> str:
    rows = [
        sql("SELECT * FROM execution_node_states WHERE execution_id = :e", e=execution_id),
        sql("SELECT * FROM executions WHERE id = :e", e=execution_id),
        sql("SELECT * FROM execution_logs WHERE execution_id = :e", e=execution_id),
        sql("SELECT * FROM audit_logs"),
    ]
    return json.dumps([[list(r) for r in found] for found in rows], default=str)


def test_a_waiting_node_stores_no_token_and_the_issued_one_is_stored_as_its_hash_only(engine: Engine) -> None:
    member = person(engine.workspace_id, WorkspaceRole.MEMBER)
    execution_id = parked(engine)
    waiting = engine.nodes(execution_id)["hold"]
    assert waiting["output"] == {"waitingForResume": True}
    with pytest.raises(NotFound):  # the "not issued yet" marker is not a token
        execution_commands.resume(member, execution_id, waiting["resume_token_hash"], None)

    node_id, token = execution_commands.issue_resume_token(member, execution_id, None, ORIGIN)

    assert node_id == "hold" and len(token) >= 40
    stored = everything_stored(execution_id)
    assert token not in stored  # not in the node row, the execution, its logs or the audit trail
    stored_hash = engine.nodes(execution_id)["hold"]["resume_token_hash"]
    assert stored_hash == hashlib.sha256(token.encode()).hexdigest()
    execution_commands.resume(member, execution_id, token, {"approved": True}, ORIGIN)
    engine.pump()
    assert engine.nodes(execution_id)["after"]["input"]["data"] == {"approved": True}


def test_a_new_token_replaces_the_previous_one(engine: Engine) -> None:
    member = person(engine.workspace_id, WorkspaceRole.MEMBER)
    execution_id = parked(engine)
    _, first = execution_commands.issue_resume_token(member, execution_id, "hold")
    _, second = execution_commands.issue_resume_token(member, execution_id, "hold")

    assert first != second
    with pytest.raises(NotFound):
        execution_commands.resume(member, execution_id, first, None)
    execution_commands.resume(member, execution_id, second, None)
    engine.pump()
    assert engine.execution(execution_id)["status"] == "SUCCEEDED"
    with pytest.raises(Conflict):  # ended: nothing waits any more
        execution_commands.issue_resume_token(member, execution_id, None)


def test_which_node_is_named_when_several_wait_and_strangers_get_nothing(engine: Engine) -> None:
    member = person(engine.workspace_id, WorkspaceRole.MEMBER)
    execution_id = parked(engine, "legal", "finance")

    with pytest.raises(ValidationFailed) as several:
        execution_commands.issue_resume_token(member, execution_id, None)
    assert [p.pointer for p in several.value.problems] == ["/nodeId"]
    with pytest.raises(Conflict):
        execution_commands.issue_resume_token(member, execution_id, "after")  # exists, does not wait
    with pytest.raises(NotFound):
        execution_commands.issue_resume_token(stranger(), execution_id, "legal")
    with pytest.raises(Forbidden):
        viewer = person(engine.workspace_id, WorkspaceRole.VIEWER)
        execution_commands.issue_resume_token(viewer, execution_id, "legal")
    assert execution_commands.issue_resume_token(member, execution_id, "finance")[0] == "finance"
