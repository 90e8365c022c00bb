"""Retries, onError modes, error workflow, limits, idempotency, cancel, wait/resume, sub-workflows
and re-runs, each through the real step handler, Postgres and moto SQS."""

from __future__ import annotations

import uuid
from datetime import timedelta

import engine_harness
import pytest
from engine_harness import Engine, HitServer, ZeroJitter, issued, node, sql, sqs_record, trigger
from scripted_http import JsonHandler, serve

from a2n.db.base import utcnow
from a2n.db.enums import ExecutionMode
from a2n.db.uow import UnitOfWork
from a2n.errors import Conflict, NotFound
from a2n.execution.control import cancel_execution, rerun_execution, resume_node
from a2n.execution.links import start_execution
from a2n.execution.outbox import publish_outbox
from a2n.execution.start import StartRequest
from a2n.execution.steps import StepDeps, process_step_batch
from a2n.execution.sweeps import wake_due_waits
from a2n.settings import reset_settings

engine = engine_harness.engine
hits = engine_harness.hits


def http(node_id: str, url: str, **fields: object) -> dict[str, object]:
    return node(node_id, "http_request", {"method": "GET", "url": url}, **fields)


def started_logs(execution_id: uuid.UUID, node_id: str) -> int:
    return sql(
        "SELECT count(*) FROM execution_logs"
        " WHERE execution_id = :e AND node_id = :n AND message = 'node started'",
        e=execution_id,
        n=node_id,
    )[0][0]


def test_a_failing_node_is_retried_with_backoff_until_it_succeeds(engine: Engine, hits: HitServer) -> None:
    hits.statuses = [503, 503]
    retry = {"maxAttempts": 3, "initialDelayMs": 500, "maxDelayMs": 1000}
    workflow_id = engine.workflow([trigger(), http("call", hits.url, retry=retry)], [("start", "call")])
    engine.deps = StepDeps(rng=ZeroJitter())
    execution_id = engine.start(workflow_id)
    engine.pump()
    call = engine.nodes(execution_id)["call"]
    assert (call["status"], call["attempt"], hits.hits) == ("SUCCEEDED", 3, 3)
    assert call["error"] is None and call["output"]["status"] == 200
    retries = sql(
        "SELECT count(*) FROM execution_logs WHERE execution_id = :e AND level = 'WARN'", e=execution_id
    )
    assert retries[0][0] == 2


def test_on_error_continue_succeeds_with_the_error_as_output(engine: Engine, hits: HitServer) -> None:
    hits.statuses = [404]
    workflow_id = engine.workflow(
        [trigger(), http("call", hits.url, onError="continue"), node("after", "noop")],
        [("start", "call"), ("call", "after")],
    )
    execution_id = engine.start(workflow_id)
    engine.pump()
    nodes = engine.nodes(execution_id)
    assert engine.execution(execution_id)["status"] == "SUCCEEDED"
    assert "error" in nodes["after"]["input"]


def test_on_error_error_output_routes_to_the_error_handle(engine: Engine, hits: HitServer) -> None:
    hits.statuses = [404]
    workflow_id = engine.workflow(
        [trigger(), http("call", hits.url, onError="errorOutput"), node("ok", "noop"), node("oops", "noop")],
        [("start", "call"), ("call", "ok"), ("call", "error", "oops")],
    )
    execution_id = engine.start(workflow_id)
    engine.pump()
    nodes = engine.nodes(execution_id)
    assert (nodes["ok"]["status"], nodes["oops"]["status"]) == ("SKIPPED", "SUCCEEDED")


def test_a_failure_cancels_the_rest_and_starts_the_error_workflow(engine: Engine, hits: HitServer) -> None:
    hits.statuses = [404]
    handler_id = engine.workflow([trigger(), node("log", "noop")], [("start", "log")])
    workflow_id = engine.workflow(
        [trigger(), http("call", hits.url), node("after", "noop")],
        [("start", "call"), ("call", "after")],
        errorWorkflowId=str(handler_id),
    )
    execution_id = engine.start(workflow_id)
    engine.pump()
    failed = engine.execution(execution_id)
    assert failed["status"] == "FAILED" and failed["error"]["nodeId"] == "call"
    assert engine.nodes(execution_id)["after"]["status"] == "CANCELLED"
    handler_run = engine.execution(failed["error_workflow_execution_id"])
    assert handler_run["mode"] == "error" and handler_run["status"] == "SUCCEEDED"
    assert handler_run["trigger_data"]["execution"]["failedNode"] == "call"
    stats = sql("SELECT failure_count FROM workflows WHERE id = :w", w=workflow_id)
    assert stats[0][0] == 1


def test_an_error_workflow_starts_at_its_error_trigger_with_the_documented_payload(
    engine: Engine, hits: HitServer
) -> None:
    """Issue 11 item 13: the trigger.error node (not the manual trigger listed first) gets the failed
    run, shaped as its output schema says."""
    from jsonschema import Draft202012Validator

    from a2n.nodes.trigger_error import ERROR_PAYLOAD_SCHEMA

    hits.statuses = [404]
    handler_id = engine.workflow(
        [trigger("by_hand"), node("failed", "trigger.error"), node("note", "noop"), node("tested", "noop")],
        [("failed", "note"), ("by_hand", "tested")],
    )
    workflow_id = engine.workflow(
        [trigger(), http("call", hits.url)], [("start", "call")], errorWorkflowId=str(handler_id)
    )
    execution_id = engine.start(workflow_id)
    engine.pump()

    handler_run = engine.execution(engine.execution(execution_id)["error_workflow_execution_id"])
    nodes = engine.nodes(handler_run["id"])
    assert (nodes["note"]["status"], nodes["tested"]["status"]) == ("SUCCEEDED", "SKIPPED")
    payload = nodes["note"]["input"]
    assert not list(Draft202012Validator(ERROR_PAYLOAD_SCHEMA).iter_errors(payload))
    assert payload["execution"]["id"] == str(execution_id) and payload["execution"]["failedNode"] == "call"
    assert payload["workflow"]["id"] == str(workflow_id)
    [(name,)] = sql("SELECT name FROM workflows WHERE id = :w", w=workflow_id)
    assert payload["workflow"]["name"] == name


@pytest.mark.parametrize("target", ["missing", "not-an-id"])
def test_an_error_workflow_that_cannot_start_is_explained_in_the_failed_runs_log(
    engine: Engine, hits: HitServer, target: str
) -> None:
    hits.statuses = [404]
    error_workflow_id = str(uuid.uuid4()) if target == "missing" else "not-an-id"
    workflow_id = engine.workflow(
        [trigger(), http("call", hits.url)], [("start", "call")], errorWorkflowId=error_workflow_id
    )
    execution_id = engine.start(workflow_id)
    engine.pump()

    assert engine.execution(execution_id)["status"] == "FAILED"
    lines = sql(
        "SELECT level, message FROM execution_logs"
        " WHERE execution_id = :e AND message LIKE 'error workflow%'",
        e=execution_id,
    )
    assert len(lines) == 1 and lines[0][0] == "ERROR"
    assert f"error workflow {error_workflow_id} did not start" in lines[0][1]
    expected = "no such workflow in this workspace" if target == "missing" else "is not a workflow id"
    assert expected in lines[0][1]


def test_output_over_the_limit_fails_the_node_with_a_clear_error(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("A2N_NODE_OUTPUT_LIMIT_BYTES", "100")
    reset_settings()
    workflow_id = engine.workflow(
        [trigger(), node("big", "transform", {"value": "{{ trigger.text }}"})], [("start", "big")]
    )
    execution_id = engine.start(workflow_id, {"text": "x" * 500})
    engine.pump()
    big = engine.nodes(execution_id)["big"]
    assert big["status"] == "FAILED"
    assert big["error"]["message"] == "output is 502 bytes, over the limit of 100"
    assert big["output"] is None


def test_case_29_an_expression_blow_up_fails_its_node_at_once_not_retried_and_nothing_huge_is_stored(
    engine: Engine,
) -> None:
    retry = {"maxAttempts": 3, "initialDelayMs": 1000}
    doubling = "{{ trigger.text" + " | [@, @]" * 24 + " }}"  # 2^24 copies: ~200 MB of JSON
    workflow_id = engine.workflow(
        [trigger(), node("big", "transform", {"value": doubling}, retry=retry)], [("start", "big")]
    )
    execution_id = engine.start(workflow_id, {"text": "0123456789"})
    engine.pump()
    big = engine.nodes(execution_id)["big"]
    assert (big["status"], big["attempt"], big["output"]) == ("FAILED", 1, None)
    assert "exceeded its budget of 8388608 bytes" in big["error"]["message"]
    assert big["error"]["retryable"] is False
    assert engine.execution(execution_id)["status"] == "FAILED"


def test_the_same_idempotency_key_returns_the_same_execution_and_a_new_body_is_a_conflict(
    engine: Engine,
) -> None:
    workflow_id = engine.workflow([trigger(), node("n", "noop")], [("start", "n")])

    def start(body_hash: str) -> tuple[uuid.UUID, bool]:
        request = StartRequest(
            workflow_id=workflow_id, workspace_id=engine.workspace_id, mode=ExecutionMode.MANUAL,
            trigger_data={}, idempotency_key="k-1", request_hash=body_hash,
        )  # fmt: skip
        with UnitOfWork() as uow:
            started, messages = start_execution(uow.session, request)
            uow.commit()
        publish_outbox(messages)
        return started.execution_id, started.created

    first, created = start("h1")
    again, created_again = start("h1")
    assert (again, created, created_again) == (first, True, False)
    with pytest.raises(Conflict):
        start("h2")
    sql("UPDATE executions SET created_at = now() - interval '25 hours' WHERE id = :e", e=first)
    later, created_later = start("h2")
    assert later != first and created_later
    assert sql("SELECT count(*) FROM executions WHERE workflow_id = :w", w=workflow_id)[0][0] == 2


def test_cancel_mid_run_starts_nothing_new(engine: Engine) -> None:
    workflow_id = engine.workflow(
        [trigger(), node("a", "noop"), node("b", "noop")], [("start", "a"), ("a", "b")]
    )
    execution_id = engine.start(workflow_id)
    with UnitOfWork() as uow:
        messages = cancel_execution(uow.session, execution_id)
        uow.commit()
    assert messages == []
    engine.pump()
    nodes = engine.nodes(execution_id)
    assert engine.execution(execution_id)["status"] == "CANCELLED"
    assert (nodes["a"]["status"], nodes["b"]["status"]) == ("CANCELLED", "CANCELLED")
    assert started_logs(execution_id, "a") == 0


def test_a_resume_wait_parks_the_execution_until_resumed_with_its_token(engine: Engine) -> None:
    workflow_id = engine.workflow(
        [trigger(), node("hold", "wait", {"mode": "resume"}), node("after", "noop")],
        [("start", "hold"), ("hold", "after")],
    )
    execution_id = engine.start(workflow_id)
    engine.pump(until=lambda: engine.execution(execution_id)["status"] == "WAITING")
    token = issued(execution_id)
    with UnitOfWork() as uow, pytest.raises(NotFound):
        resume_node(uow.session, execution_id=execution_id, token="wrong", data=None)
    with UnitOfWork() as uow:
        messages = resume_node(uow.session, execution_id=execution_id, token=token, data={"ok": True})
        uow.commit()
    publish_outbox(messages)
    engine.pump()
    nodes = engine.nodes(execution_id)
    assert engine.execution(execution_id)["status"] == "SUCCEEDED"
    assert nodes["after"]["input"]["data"] == {"ok": True}
    assert "resumeToken" not in nodes["hold"]["output"]


def test_a_short_wait_wakes_through_a_delayed_step_message(engine: Engine) -> None:
    workflow_id = engine.workflow(
        [trigger(), node("pause", "wait", {"mode": "duration", "seconds": 1}), node("after", "noop")],
        [("start", "pause"), ("pause", "after")],
    )
    execution_id = engine.start(workflow_id)
    engine.pump(until=lambda: engine.execution(execution_id)["status"] == "SUCCEEDED")
    assert "resumedAt" in engine.nodes(execution_id)["after"]["input"]


def test_a_sub_workflow_node_returns_the_child_execution_output(engine: Engine) -> None:
    child_id = engine.workflow(
        [trigger(), node("double", "transform", {"value": {"twice": "{{ [trigger.x, trigger.x] }}"}})],
        [("start", "double")],
    )
    workflow_id = engine.workflow(
        [trigger(), node("sub", "sub_workflow", {"workflowId": str(child_id), "input": {"x": 2}}),
         node("after", "noop")],
        [("start", "sub"), ("sub", "after")],
    )  # fmt: skip
    execution_id = engine.start(workflow_id)
    engine.pump()
    nodes = engine.nodes(execution_id)
    assert engine.execution(execution_id)["status"] == "SUCCEEDED"
    assert nodes["sub"]["output"] == {"twice": [2, 2]}
    child = engine.execution(nodes["sub"]["child_execution_id"])
    assert (child["mode"], child["parent_execution_id"]) == ("sub", execution_id)


def test_rerun_from_the_failed_node_reuses_upstream_outputs(engine: Engine, hits: HitServer) -> None:
    hits.statuses = [404]
    workflow_id = engine.workflow(
        [
            trigger(),
            node("prep", "transform", {"value": "prepared"}),
            http("call", hits.url),
            node("end", "noop"),
        ],
        [("start", "prep"), ("prep", "call"), ("call", "end")],
    )
    first = engine.start(workflow_id, {"n": 1})
    engine.pump()
    assert engine.execution(first)["status"] == "FAILED"
    with UnitOfWork() as uow:
        started, messages = rerun_execution(uow.session, execution_id=first, from_node_id=None)
        uow.commit()
    publish_outbox(messages)
    engine.pump()
    rerun = engine.execution(started.execution_id)
    nodes = engine.nodes(started.execution_id)
    assert (rerun["status"], rerun["mode"], rerun["retry_of"]) == ("SUCCEEDED", "retry", first)
    assert nodes["prep"]["output"] == "prepared" and started_logs(started.execution_id, "prep") == 0
    assert started_logs(started.execution_id, "call") == 1 and hits.hits == 2


def test_an_execution_past_its_deadline_times_out(engine: Engine) -> None:
    from a2n.execution.sweeps import timeout_executions

    workflow_id = engine.workflow([trigger(), node("a", "noop")], [("start", "a")], timeoutMs=1000)
    execution_id = engine.start(workflow_id)
    with UnitOfWork() as uow:
        timeout_executions(uow.session, utcnow() + timedelta(minutes=1))
        uow.commit()
    assert engine.execution(execution_id)["status"] == "TIMED_OUT"
    engine.pump()
    assert engine.nodes(execution_id)["a"]["status"] == "CANCELLED"


def test_a_wake_delivered_before_the_wait_is_due_keeps_its_outbox_row(engine: Engine) -> None:
    """A delayed wake can arrive early (clock skew between the app and the database): the claim
    refuses it, and the outbox row must survive so the sweeper sends the wake again when due."""
    workflow_id = engine.workflow(
        [trigger(), node("pause", "wait", {"mode": "duration", "seconds": 600}), node("after", "noop")],
        [("start", "pause"), ("pause", "after")],
    )
    execution_id = engine.start(workflow_id)
    engine.pump(until=lambda: engine.nodes(execution_id)["pause"]["status"] == "WAITING")
    (attempt,) = sql(
        "SELECT attempt FROM outbox WHERE execution_id = :e AND node_id = 'pause'", e=execution_id
    )[0]

    early = {
        "MessageId": str(uuid.uuid4()),
        "ReceiptHandle": "early",
        "Body": f'{{"executionId": "{execution_id}", "nodeId": "pause", "attempt": {attempt}}}',
    }
    answer = process_step_batch({"Records": [sqs_record("wait", early)]}, None, deps=engine.deps)

    assert answer["batchItemFailures"] == []  # acknowledged: the row, not this message, is the retry
    assert engine.nodes(execution_id)["pause"]["status"] == "WAITING"
    remaining = sql(
        "SELECT count(*) FROM outbox WHERE execution_id = :e AND node_id = 'pause'", e=execution_id
    )
    assert remaining[0][0] == 1


def test_a_retry_delayed_past_sqs_900_s_limit_is_queued_by_the_sweep_when_due(
    engine: Engine, hits: HitServer
) -> None:
    hits.statuses = [503]
    hour = 3_600_000  # ms
    retry = {"maxAttempts": 2, "backoff": "fixed", "initialDelayMs": hour, "maxDelayMs": hour}
    retry["jitter"] = False
    workflow_id = engine.workflow([trigger(), http("call", hits.url, retry=retry)], [("start", "call")])
    execution_id = engine.start(workflow_id)
    engine.pump(until=lambda: engine.nodes(execution_id)["call"]["next_attempt_at"] is not None)
    assert sql("SELECT count(*) FROM outbox WHERE execution_id = :e", e=execution_id)[0][0] == 0

    with UnitOfWork() as uow:  # not due yet: nothing queued
        assert wake_due_waits(uow.session, utcnow()) == []
    with UnitOfWork() as uow:
        due = wake_due_waits(uow.session, utcnow() + timedelta(hours=2))
        uow.commit()
    publish_outbox(due)

    assert [(m.node_id, m.attempt) for m in due] == [("call", 2)]
    engine.pump()
    assert (engine.execution(execution_id)["status"], hits.hits) == ("SUCCEEDED", 2)


@pytest.mark.parametrize(("window_h", "age_h", "replays"), [(1, 2, False), (48, 25, True)])
def test_the_idempotency_window_setting_decides_when_a_key_starts_a_new_execution(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, window_h: int, age_h: int, replays: bool
) -> None:
    """A2N_IDEMPOTENCY_WINDOW_H, not a fixed 24 h, decides whether an old key replays its execution."""
    monkeypatch.setenv("A2N_IDEMPOTENCY_WINDOW_H", str(window_h))
    reset_settings()
    workflow_id = engine.workflow([trigger(), node("n", "noop")], [("start", "n")])
    request = StartRequest(
        workflow_id=workflow_id, workspace_id=engine.workspace_id, mode=ExecutionMode.MANUAL,
        trigger_data={}, idempotency_key="k-window", request_hash="h1",
    )  # fmt: skip
    with UnitOfWork() as uow:
        first, _ = start_execution(uow.session, request)
        uow.commit()
    sql("UPDATE executions SET created_at = now() - make_interval(hours => :h) WHERE id = :e",
        h=age_h, e=first.execution_id)  # fmt: skip
    with UnitOfWork() as uow:
        again, _ = start_execution(uow.session, request)
        uow.commit()
    assert (again.execution_id == first.execution_id) is replays
    assert again.created is not replays


@pytest.mark.parametrize(
    "expression", ["{{ to_number('1e999') }}", "{{ sum([`1e308`, `1e308`]) }}", "{{ to_number('-1e999') }}"]
)
def test_a_non_finite_number_fails_its_node_at_once_with_a_clear_error(
    engine: Engine, expression: str
) -> None:
    """JSON (and Postgres' jsonb) has no Infinity: the node fails at completion, never left RUNNING."""
    workflow_id = engine.workflow(
        [trigger(), node("calc", "transform", {"value": {"n": expression}}), node("after", "noop")],
        [("start", "calc"), ("calc", "after")],
    )
    execution_id = engine.start(workflow_id)
    engine.pump()
    nodes = engine.nodes(execution_id)
    assert nodes["calc"]["status"] == "FAILED"
    assert "non-finite number" in nodes["calc"]["error"]["message"]
    assert nodes["calc"]["error"]["retryable"] is False
    assert nodes["after"]["status"] == "CANCELLED"
    assert engine.execution(execution_id)["status"] == "FAILED"


@pytest.mark.parametrize("inline", [False, True], ids=["queued", "inline"])
@pytest.mark.parametrize("text", ['"a\\u0000b"', '"\\ud800"'], ids=["nul", "lone-surrogate"])
def test_text_postgres_cannot_store_fails_its_node_at_once_queued_or_inline(
    engine: Engine, inline: bool, text: str
) -> None:
    """jsonb refuses NUL and unpaired surrogates. Queued, the completion would fail; run inline (a pure
    node, in the transaction that starts the execution) the start itself would fail: a 500 for a
    manual run or a webhook. Either way only the node may fail, at once, saying why."""
    engine.inline = inline
    workflow_id = engine.workflow(
        [trigger(), node("bad", "transform", {"value": {"s": "{{ `" + text + "` }}"}})], [("start", "bad")]
    )
    execution_id = engine.start(workflow_id)
    engine.pump(max_rounds=20)
    bad = engine.nodes(execution_id)["bad"]
    assert (bad["status"], bad["attempt"], bad["error"]["retryable"]) == ("FAILED", 1, False)
    assert "NUL character (\\u0000) or an unpaired surrogate" in bad["error"]["message"]
    assert engine.execution(execution_id)["status"] == "FAILED"


class NulErrorServer(JsonHandler):
    """Answers 400 with a JSON body holding NUL: the HTTP node's failure quotes it in its details."""

    def do_GET(self) -> None:
        self.send_json(400, {"error": "bad\u0000input"})


def test_a_result_postgres_refuses_to_store_fails_the_node_at_once_and_is_logged(engine: Engine) -> None:
    """A failure whose details hold NUL (a server's 400 body, quoted) is refused by jsonb (SQLSTATE
    22P05) at the completion: the node fails with Postgres' reason at the first delivery instead of
    staying RUNNING until its lease, and the refusal is logged."""
    server = serve(NulErrorServer)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        workflow_id = engine.workflow(
            [trigger(), node("call", "http_request", {"method": "GET", "url": url})], [("start", "call")]
        )
        execution_id = engine.start(workflow_id)
        engine.pump(max_rounds=20)
    finally:
        server.shutdown()
        server.server_close()
    call = engine.nodes(execution_id)["call"]
    assert call["status"] == "FAILED" and call["attempt"] == 1
    assert call["error"]["message"].startswith("the node's result could not be recorded: ")
    assert "22P05" in call["error"]["message"] and call["error"]["retryable"] is False
    assert engine.execution(execution_id)["status"] == "FAILED"
    logged = sql(
        "SELECT message FROM execution_logs WHERE execution_id = :e AND node_id = 'call' ORDER BY ts",
        e=execution_id,
    )
    assert [row[0] for row in logged] == ["node started", "node failed"]


def tree_size(root_id: uuid.UUID) -> int:
    return sql(
        "WITH RECURSIVE t(id) AS (SELECT id FROM executions WHERE parent_execution_id = :r"
        " UNION ALL SELECT x.id FROM executions x JOIN t ON x.parent_execution_id = t.id)"
        " SELECT count(*) FROM t",
        r=root_id,
    )[0][0]


def fan_out(workflow_id: uuid.UUID, calls: int) -> list[dict[str, object]]:
    return [node(f"sub{i}", "sub_workflow", {"workflowId": str(workflow_id)}) for i in range(calls)]


def test_sub_workflow_breadth_is_capped_per_root_execution(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """3 calls per level over 2 levels would start 12 executions; the cap of 5 stops it at 5."""
    monkeypatch.setenv("A2N_SUB_WORKFLOW_MAX_DESCENDANTS", "5")
    reset_settings()
    leaf = engine.workflow([trigger(), node("n", "noop")], [("start", "n")])
    middle = engine.workflow([trigger(), *fan_out(leaf, 3)], [("start", f"sub{i}") for i in range(3)])
    root = engine.workflow([trigger(), *fan_out(middle, 3)], [("start", f"sub{i}") for i in range(3)])
    execution_id = engine.start(root)
    engine.pump()
    assert tree_size(execution_id) == 5
    refused = sql(
        "SELECT error->>'retryable' FROM execution_node_states WHERE status = 'FAILED'"
        " AND error->>'message' LIKE 'this run already started 5 sub-workflow executions%'"
    )
    assert refused and all(row[0] == "false" for row in refused)
    assert engine.execution(execution_id)["status"] == "FAILED"


def test_a_sub_workflow_is_refused_past_the_workspace_cap_on_running_executions(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("A2N_WORKSPACE_MAX_RUNNING_EXECUTIONS", "2")
    reset_settings()
    parked = engine.workflow([trigger(), node("hold", "wait", {"mode": "resume"})], [("start", "hold")])
    waiting = engine.start(parked)
    engine.pump(until=lambda: engine.execution(waiting)["status"] == "WAITING")
    leaf = engine.workflow([trigger(), node("n", "noop")], [("start", "n")])
    parent = engine.workflow([trigger(), *fan_out(leaf, 1)], [("start", "sub0")])
    execution_id = engine.start(parent)  # with the waiting run: 2 not yet ended
    engine.pump()
    sub = engine.nodes(execution_id)["sub0"]
    assert sub["status"] == "FAILED" and sub["child_execution_id"] is None
    assert sub["error"] == {
        "message": "the workspace has 2 executions not yet ended (A2N_WORKSPACE_MAX_RUNNING_EXECUTIONS);"
        " retry when some have finished, or raise the limit",
        "retryable": False,
    }
    assert tree_size(execution_id) == 0
