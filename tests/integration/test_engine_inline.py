"""Pure nodes inline (issue 10): the transaction that makes a pure node ready runs it, each inline node
still its own recorded node state with logs and its onError policy; bounded per transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import engine_harness
import pytest
from credential_support import member
from engine_harness import Engine, HitServer, node, sql, trigger
from sqlalchemy.orm import Session
from trigger_support import saved_workflow, trigger_env

from a2n.db.models import Execution
from a2n.services.activation import activate_workflow
from a2n.services.webhooks import WebhookDelivery, receive_webhook
from a2n.settings import reset_settings

engine = engine_harness.engine
hits = engine_harness.hits
__all__ = ["trigger_env"]


@pytest.fixture(autouse=True)
def inline_on(request: pytest.FixtureRequest) -> None:
    if "engine" in request.fixturenames:
        request.getfixturevalue("engine").inline = True


def chain(count: int) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    ids = [f"t{i}" for i in range(1, count + 1)]
    shape = {"value": {"at": "", "seq": "{{ trigger.seq }}"}}
    nodes = [trigger()] + [node(i, "transform", {"value": {**shape["value"], "at": i}}) for i in ids]
    return nodes, list(zip(["start", *ids[:-1]], ids, strict=True))


def logs(execution_id: uuid.UUID, node_id: str) -> list[str]:
    rows = sql(
        "SELECT message FROM execution_logs WHERE execution_id = :e AND node_id = :n"
        " ORDER BY ts, message DESC",
        e=execution_id, n=node_id,
    )  # fmt: skip
    return [row[0] for row in rows]


def test_a_pure_chain_ends_in_its_start_transaction_each_node_recorded(engine: Engine) -> None:
    workflow_id = engine.workflow(*chain(4))
    execution_id = engine.start(workflow_id, {"seq": 7})
    assert engine.execution(execution_id)["status"] == "SUCCEEDED"  # nothing was delivered
    assert engine.drain() == 0
    nodes = engine.nodes(execution_id)
    for i in range(1, 5):
        state = nodes[f"t{i}"]
        assert (state["status"], state["attempt"]) == ("SUCCEEDED", 1)
        assert state["output"] == {"at": f"t{i}", "seq": 7}
        assert state["started_at"] is not None and state["ended_at"] >= state["started_at"]
        assert logs(execution_id, f"t{i}") == ["node started", "node succeeded"]
    assert nodes["t2"]["input"] == {"at": "t1", "seq": 7}


def test_inline_runs_stop_at_the_bound_and_the_rest_goes_through_sqs(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("A2N_INLINE_MAX_NODES", "3")
    reset_settings()
    workflow_id = engine.workflow(*chain(8))
    execution_id = engine.start(workflow_id, {"seq": 1})
    statuses = {k: v["status"] for k, v in engine.nodes(execution_id).items()}
    assert [statuses[f"t{i}"] for i in range(1, 6)] == ["SUCCEEDED"] * 3 + ["QUEUED", "PENDING"]
    assert sql("SELECT count(*) FROM outbox WHERE execution_id = :e", e=execution_id)[0][0] == 1
    engine.pump()  # t4's step runs t4 and inlines the next three, t8's step the last
    assert engine.execution(execution_id)["status"] == "SUCCEEDED"
    assert all(state["status"] == "SUCCEEDED" for state in engine.nodes(execution_id).values())


def test_inline_is_off_with_the_workflow_setting(engine: Engine) -> None:
    workflow_id = engine.workflow(*chain(2), inlinePureNodes=False)
    execution_id = engine.start(workflow_id, {"seq": 1})
    assert engine.nodes(execution_id)["t1"]["status"] == "QUEUED"
    engine.pump()
    assert engine.execution(execution_id)["status"] == "SUCCEEDED"


@pytest.mark.parametrize(("on_error", "handle"), [("continue", "main"), ("errorOutput", "error")])
def test_an_inline_failure_follows_its_on_error_policy(engine: Engine, on_error: str, handle: str) -> None:
    bad = node("bad", "transform", {"value": "{{ length(`5`) }}"}, onError=on_error)
    workflow_id = engine.workflow(
        [trigger(), bad, node("ok", "noop"), node("oops", "noop")],
        [("start", "bad"), ("bad", "main", "ok"), ("bad", "error", "oops")],
    )
    execution_id = engine.start(workflow_id)
    nodes = engine.nodes(execution_id)
    assert engine.execution(execution_id)["status"] == "SUCCEEDED"
    assert nodes["bad"]["status"] == "SUCCEEDED" and nodes["bad"]["handles"] == [handle]
    assert "error" in nodes["bad"]["output"] and nodes["bad"]["error"]["retryable"] is False
    taken, skipped = ("ok", "oops") if handle == "main" else ("oops", "ok")
    assert (nodes[taken]["status"], nodes[skipped]["status"]) == ("SUCCEEDED", "SKIPPED")
    assert logs(execution_id, "bad") == ["node started", "node failed"]


def test_an_inline_failure_with_on_error_fail_fails_the_run_at_start(engine: Engine) -> None:
    bad = node("bad", "transform", {"value": "{{ length(`5`) }}"})
    workflow_id = engine.workflow(
        [trigger(), bad, node("after", "noop")], [("start", "bad"), ("bad", "after")]
    )
    execution_id = engine.start(workflow_id)
    nodes = engine.nodes(execution_id)
    assert engine.execution(execution_id)["status"] == "FAILED"
    assert (nodes["bad"]["status"], nodes["after"]["status"]) == ("FAILED", "CANCELLED")


def test_a_join_reached_inline_from_two_completions_runs_once(engine: Engine, hits: HitServer) -> None:
    url = hits.url
    workflow_id = engine.workflow(
        [trigger(), node("a", "http_request", {"method": "GET", "url": url}),
         node("b", "http_request", {"method": "GET", "url": url}),
         node("join", "merge", {"mode": "object"}), node("after", "transform", {"value": {"done": True}})],
        [("start", "a"), ("start", "b"), ("a", "join"), ("b", "join"), ("join", "after")],
    )  # fmt: skip
    execution_id = engine.start(workflow_id)
    engine.pump()
    nodes = engine.nodes(execution_id)
    assert engine.execution(execution_id)["status"] == "SUCCEEDED"
    assert set(nodes["join"]["input"]) == {"a", "b"} and nodes["after"]["output"] == {"done": True}
    assert logs(execution_id, "join") == ["node started", "node succeeded"]
    assert logs(execution_id, "after") == ["node started", "node succeeded"]


def test_a_sync_webhook_of_pure_nodes_answers_from_its_start_transaction(
    trigger_env: None, db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*args: object) -> None:
        raise AssertionError("the answer was waited for, not taken from the start transaction")

    monkeypatch.setattr("a2n.services.webhooks.wait_for_answer", never)
    owner = member(db_session)
    definition = {
        "nodes": [
            {"id": "hook", "type": "trigger.webhook", "config": {"method": "POST", "mode": "sync"}},
            {"id": "shape", "type": "transform", "config": {"value": {"n": "{{ trigger.body.n }}"}}},
            {"id": "reply", "type": "respond_webhook",
             "config": {"status": 201, "body": {"got": "{{ input.n }}"}}},
        ],
        "connections": [{"source": "hook", "target": "shape"}, {"source": "shape", "target": "reply"}],
    }  # fmt: skip
    workflow = saved_workflow(db_session, owner.workspace.id, definition)
    url = activate_workflow(owner.principal, workflow.id).triggers[0].webhook_url
    assert url is not None
    delivery = WebhookDelivery(
        token=url.rsplit("/", 1)[1], method="POST", path="/", headers={"content-type": "application/json"},
        query={}, body=b'{"n": 5}', received_at=datetime.now(UTC),
    )  # fmt: skip
    answer = receive_webhook(delivery)
    assert (answer.status, answer.body) == (201, {"got": 5})
    runs = db_session.query(Execution).filter_by(workflow_id=workflow.id).all()
    assert [run.status for run in runs] == ["SUCCEEDED"]


def test_a_child_that_ends_in_its_start_transaction_settles_its_parent_in_the_same_one(
    engine: Engine,
) -> None:
    """The child (pure nodes) ends while the parent's sub_workflow step completes: the parent's node
    is already waiting for it, takes its output, and the parent's pure successor runs inline too."""
    child_id = engine.workflow(
        [trigger(), node("double", "transform", {"value": {"twice": "{{ [trigger.x, trigger.x] }}"}})],
        [("start", "double")],
    )
    workflow_id = engine.workflow(
        [trigger(), node("sub", "sub_workflow", {"workflowId": str(child_id), "input": {"x": 2}}),
         node("after", "transform", {"value": "{{ input.twice }}"})],
        [("start", "sub"), ("sub", "after")],
    )  # fmt: skip
    execution_id = engine.start(workflow_id)
    assert engine.pump() is None and engine.drain() == 0
    nodes = engine.nodes(execution_id)
    assert engine.execution(execution_id)["status"] == "SUCCEEDED"
    assert nodes["sub"]["output"] == {"twice": [2, 2]} and nodes["after"]["output"] == [2, 2]
    child = engine.execution(nodes["sub"]["child_execution_id"])
    assert (child["status"], child["parent_execution_id"]) == ("SUCCEEDED", execution_id)
    assert sql("SELECT count(*) FROM execution_node_states WHERE node_id = 'sub' AND status = 'SUCCEEDED'"
               " AND execution_id = :e", e=execution_id)[0][0] == 1  # fmt: skip
