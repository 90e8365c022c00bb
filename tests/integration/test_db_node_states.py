"""ExecutionRepository.node_states reads every node of an execution as one JSON document: each
column must come back as the row-by-row read gave it (types, JSON nulls, arrays, ids)."""

from __future__ import annotations

import uuid

from sqlalchemy import text
from sqlalchemy.orm import Session

from a2n.db.enums import ExecutionMode, ExecutionStatus, NodeStatus
from a2n.db.models import Execution, ExecutionNodeState, Workflow, Workspace
from a2n.db.repositories.executions import ExecutionRepository, StoredNodeState


def _execution(session: Session, workflow: Workflow) -> uuid.UUID:
    execution = Execution(
        workflow_id=workflow.id, workflow_version=1, workspace_id=workflow.workspace_id,
        status=ExecutionStatus.RUNNING, mode=ExecutionMode.MANUAL,
    )  # fmt: skip
    session.add(execution)
    session.flush()
    return execution.id


def test_every_column_reads_back_with_its_type(db_session: Session) -> None:
    workspace = Workspace(name="W", slug=f"w-{uuid.uuid4().hex[:8]}")
    db_session.add(workspace)
    db_session.flush()
    workflow = Workflow(workspace_id=workspace.id, name="wf", definition={"nodes": []})
    db_session.add(workflow)
    db_session.flush()
    parent, child = _execution(db_session, workflow), _execution(db_session, workflow)
    output = {"text": "zoë ✓ \"quoted\" \\ back", "n": 1.5, "big": 12345678901234567890, "none": None,
              "list": [1, "two", {"three": []}]}  # fmt: skip
    db_session.add_all([
        ExecutionNodeState(
            execution_id=parent, node_id="a", node_type="http_request", status=NodeStatus.SUCCEEDED,
            attempt=2, input={"from": "trigger"}, output=output, handles=["true", "main"],
        ),
        ExecutionNodeState(
            execution_id=parent, node_id="b", node_type="sub_workflow", status=NodeStatus.WAITING, attempt=1,
            resume_token_hash="ab" * 32, child_execution_id=child, error={"message": "x", "retryable": True},
        ),
        ExecutionNodeState(execution_id=parent, node_id="c", node_type="noop", status=NodeStatus.PENDING),
        ExecutionNodeState(execution_id=child, node_id="other", node_type="noop", status=NodeStatus.PENDING),
    ])  # fmt: skip
    db_session.flush()

    states = ExecutionRepository(db_session).node_states(parent)

    assert states == {
        "a": StoredNodeState(
            "a",
            "http_request",
            "SUCCEEDED",
            2,
            {"from": "trigger"},
            output,
            ["true", "main"],
            None,
            None,
            None,
        ),
        "b": StoredNodeState(
            "b",
            "sub_workflow",
            "WAITING",
            1,
            None,
            None,
            None,
            {"message": "x", "retryable": True},
            "ab" * 32,
            child,
        ),
        "c": StoredNodeState("c", "noop", "PENDING", 0, None, None, None, None, None, None),
    }
    assert isinstance(states["b"].child_execution_id, uuid.UUID)


def test_an_execution_without_nodes_reads_as_empty(db_session: Session) -> None:
    assert ExecutionRepository(db_session).node_states(uuid.uuid4()) == {}


def test_lock_with_states_reads_the_states_committed_while_it_waited_for_the_lock(clean_db: str) -> None:
    """SECURITY case 5's foundation: a completion that waited for a sibling's execution lock must
    plan with the sibling's result. One SQL statement would read the states from the snapshot it
    took before waiting; a2n_lock_execution reads them after the lock is granted."""
    import threading

    from a2n.db.session import get_engine
    from a2n.db.uow import ConnectionUnitOfWork, UnitOfWork

    with UnitOfWork() as uow:
        workspace = Workspace(name="W", slug=f"w-{uuid.uuid4().hex[:8]}")
        uow.session.add(workspace)
        uow.session.flush()
        workflow = Workflow(workspace_id=workspace.id, name="wf", definition={"nodes": []})
        uow.session.add(workflow)
        uow.session.flush()
        execution = _execution(uow.session, workflow)
        uow.session.add(ExecutionNodeState(execution_id=execution, node_id="a", node_type="noop",
                                           status=NodeStatus.RUNNING, attempt=1))  # fmt: skip
        uow.commit()

    read: list[dict[str, StoredNodeState]] = []
    with get_engine().connect() as sibling:
        sibling.execute(text("SELECT id FROM executions WHERE id = :e FOR UPDATE"), {"e": execution})
        sibling.execute(
            text("UPDATE execution_node_states SET status = 'SUCCEEDED', output = '{\"v\": 1}'"
                 " WHERE execution_id = :e AND node_id = 'a'"),
            {"e": execution},
        )  # fmt: skip

        def complete() -> None:
            with ConnectionUnitOfWork() as uow:
                found = ExecutionRepository(uow.connection).lock_with_states(execution)
                assert found is not None
                read.append(found[1])

        waiter = threading.Thread(target=complete)
        waiter.start()
        waiter.join(timeout=0.5)
        assert waiter.is_alive(), "lock_with_states did not wait for the execution lock"
        sibling.commit()
    waiter.join(timeout=10)
    assert read and read[0]["a"].status == "SUCCEEDED" and read[0]["a"].output == {"v": 1}
