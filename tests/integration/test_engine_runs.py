"""Executions end to end through real Postgres and moto SQS: the step handler fed by a pump."""

from __future__ import annotations

from typing import Any

import engine_harness
from engine_harness import Engine, node, sql, trigger

engine = engine_harness.engine  # the fixture

# GIVEN start ─► shape ─► done
LINEAR = (
    [
        trigger(),
        node("shape", "transform", {"value": {"n": "{{ trigger.n }}", "r": "{{ vars.region }}"}}),
        node("done", "noop"),
    ],
    [("start", "shape"), ("shape", "done")],
)


def test_linear_workflow_runs_every_node_once_and_ends_with_the_leaf_output(engine: Engine) -> None:
    workflow_id = engine.workflow(*LINEAR)
    execution_id = engine.start(workflow_id, {"n": 7})
    engine.pump()
    execution = engine.execution(execution_id)
    assert execution["status"] == "SUCCEEDED"
    assert execution["output"] == {"n": 7, "r": "eu"}
    nodes = engine.nodes(execution_id)
    assert {n: s["status"] for n, s in nodes.items()} == {
        "start": "SUCCEEDED",
        "shape": "SUCCEEDED",
        "done": "SUCCEEDED",
    }
    assert nodes["done"]["input"] == {"n": 7, "r": "eu"}
    assert all(s["attempt"] == 1 for s in nodes.values())
    stats = sql(
        "SELECT execution_count, success_count, failure_count FROM workflows WHERE id = :w", w=workflow_id
    )
    assert tuple(stats[0]) == (1, 1, 0)
    assert sql("SELECT count(*) FROM outbox")[0][0] == 0  # every message consumed


#            ┌─► left ──┐
# GIVEN start┤          ├─► join (merge object)
#            └─► right ─┘
def test_diamond_join_runs_once_with_both_branch_outputs(engine: Engine) -> None:
    workflow_id = engine.workflow(
        [
            trigger(),
            node("left", "transform", {"value": "L"}),
            node("right", "transform", {"value": "R"}),
            node("join", "merge", {"mode": "object"}),
        ],
        [("start", "left"), ("start", "right"), ("left", "join"), ("right", "join")],
    )
    execution_id = engine.start(workflow_id, {})
    engine.pump()
    nodes = engine.nodes(execution_id)
    assert engine.execution(execution_id)["status"] == "SUCCEEDED"
    assert nodes["join"]["output"] == {"left": "L", "right": "R"}
    assert nodes["join"]["attempt"] == 1
    logs = sql(
        "SELECT count(*) FROM execution_logs WHERE execution_id = :e AND node_id = 'join'"
        " AND message = 'node started'",
        e=execution_id,
    )
    assert logs[0][0] == 1


# GIVEN start ─► check ─true─► big ─┐
#                     └false► small ┴─► join
def test_condition_routes_one_branch_skips_the_other_and_the_join_still_runs(engine: Engine) -> None:
    workflow_id = engine.workflow(
        [
            trigger(),
            node("check", "condition", {"expression": "trigger.total > `100`"}),
            node("big", "transform", {"value": "big"}),
            node("small", "transform", {"value": "small"}),
            node("join", "noop"),
        ],
        [
            ("start", "check"),
            ("check", "true", "big"),
            ("check", "false", "small"),
            ("big", "join"),
            ("small", "join"),
        ],
    )
    execution_id = engine.start(workflow_id, {"total": 150})
    engine.pump()
    nodes = engine.nodes(execution_id)
    assert nodes["check"]["handles"] == ["true"]
    assert (nodes["big"]["status"], nodes["small"]["status"]) == ("SUCCEEDED", "SKIPPED")
    assert nodes["join"]["input"] == "big"
    assert engine.execution(execution_id)["output"] == "big"


def test_a_trigger_only_workflow_succeeds_at_start(engine: Engine) -> None:
    workflow_id = engine.workflow([trigger()], [])
    execution_id = engine.start(workflow_id, {"x": 1})
    execution: dict[str, Any] = engine.execution(execution_id)
    assert execution["status"] == "SUCCEEDED" and execution["output"] == {"x": 1}
