"""Which failures are retried: a non-retryable failure (a 4xx, a missing credential) goes straight to
the node's onError handling without spending attempts; a retryable one (5xx) uses them."""

from __future__ import annotations

import engine_harness
from engine_harness import Engine, HitServer, ZeroJitter, node, sql, trigger

from a2n.execution.steps import StepDeps

engine = engine_harness.engine
hits = engine_harness.hits
RETRY = {"maxAttempts": 4, "initialDelayMs": 0, "maxDelayMs": 0}


def http(node_id: str, url: str, **fields: object) -> dict[str, object]:
    return node(node_id, "http_request", {"method": "GET", "url": url}, **fields)


def test_a_404_is_called_once_and_fails_the_execution_despite_attempts_left(
    engine: Engine, hits: HitServer
) -> None:
    hits.statuses = [404, 404, 404, 404]
    workflow_id = engine.workflow(
        [trigger(), http("call", hits.url, retry=RETRY), node("after", "noop")],
        [("start", "call"), ("call", "after")],
    )
    engine.deps = StepDeps(rng=ZeroJitter())
    execution_id = engine.start(workflow_id)
    engine.pump()
    nodes = engine.nodes(execution_id)
    assert hits.hits == 1
    assert (nodes["call"]["status"], nodes["call"]["attempt"]) == ("FAILED", 1)
    assert nodes["call"]["error"]["retryable"] is False
    assert nodes["after"]["status"] == "CANCELLED"
    execution = engine.execution(execution_id)
    assert execution["status"] == "FAILED"
    assert execution["error"]["nodeId"] == "call" and execution["error"]["attempt"] == 1
    retries = sql(
        "SELECT count(*) FROM execution_logs WHERE execution_id = :e AND level = 'WARN'", e=execution_id
    )
    assert retries[0][0] == 0


def test_a_non_retryable_failure_with_on_error_continue_continues_at_once(
    engine: Engine, hits: HitServer
) -> None:
    hits.statuses = [400, 400]
    workflow_id = engine.workflow(
        [trigger(), http("call", hits.url, retry=RETRY, onError="continue"), node("after", "noop")],
        [("start", "call"), ("call", "after")],
    )
    execution_id = engine.start(workflow_id)
    engine.pump()
    nodes = engine.nodes(execution_id)
    assert hits.hits == 1
    assert (nodes["call"]["status"], nodes["call"]["attempt"]) == ("SUCCEEDED", 1)
    assert nodes["after"]["input"]["error"]["retryable"] is False
    assert engine.execution(execution_id)["status"] == "SUCCEEDED"


def test_a_missing_credential_is_not_retried(engine: Engine, hits: HitServer) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    workflow_id = engine.workflow(
        [trigger(), http("call", hits.url, retry=RETRY, credentialId=missing)], [("start", "call")]
    )
    execution_id = engine.start(workflow_id)
    engine.pump()
    call = engine.nodes(execution_id)["call"]
    assert (call["status"], call["attempt"], hits.hits) == ("FAILED", 1, 0)
    assert "credential" in call["error"]["message"]


def test_a_5xx_still_uses_every_attempt(engine: Engine, hits: HitServer) -> None:
    hits.statuses = [503, 503, 503, 503]
    workflow_id = engine.workflow([trigger(), http("call", hits.url, retry=RETRY)], [("start", "call")])
    engine.deps = StepDeps(rng=ZeroJitter())
    execution_id = engine.start(workflow_id)
    engine.pump()
    call = engine.nodes(execution_id)["call"]
    assert (call["status"], call["attempt"], hits.hits) == ("FAILED", 4, 4)
