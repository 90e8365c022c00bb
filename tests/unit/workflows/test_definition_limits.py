"""Size limits: hostile definitions are rejected quickly with one problem, never a crash."""

from __future__ import annotations

from typing import Any

from a2n.workflows.limits import MAX_BYTES, MAX_DEPTH
from a2n.workflows.validation import validate_definition


def workflow(nodes: list[dict[str, Any]]) -> dict[str, Any]:
    connections = [{"source": "start", "target": node["id"]} for node in nodes]
    return {"nodes": [{"id": "start", "type": "trigger.manual"}, *nodes], "connections": connections}


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def test_ten_thousand_deep_json_is_one_problem_not_a_recursion_error() -> None:
    definition = workflow([{"id": "t", "type": "transform", "config": {"value": nested(10_000)}}])
    problems = validate_definition(definition)
    assert len(problems) == 1
    assert problems[0].pointer.startswith("/definition/nodes/1/config/value/a/a")
    assert "deeper than 64" in problems[0].message


def test_deep_arrays_count_too() -> None:
    value: list[Any] = []
    for _ in range(10_000):
        value = [value]
    problems = validate_definition({"nodes": value})
    assert [p.message for p in problems] == [f"nested deeper than {MAX_DEPTH} levels"]


def test_depth_at_the_limit_is_accepted() -> None:
    # definition(1) > nodes(2) > node(3) > config(4) > value(5) > … : the value may nest 60 more.
    value = nested(MAX_DEPTH - 4)
    assert validate_definition(workflow([{"id": "t", "type": "transform", "config": {"value": value}}])) == []
    value = nested(MAX_DEPTH - 3)
    assert (
        len(validate_definition(workflow([{"id": "t", "type": "transform", "config": {"value": value}}])))
        == 1
    )


def test_definition_over_one_mebibyte_is_rejected() -> None:
    big = "x" * (MAX_BYTES + 1)
    problems = validate_definition(workflow([{"id": "t", "type": "transform", "config": {"value": big}}]))
    assert [(p.pointer, p.message) for p in problems] == [
        ("/definition", f"definition is larger than {MAX_BYTES} bytes")
    ]


def test_ten_megabytes_of_small_values_is_rejected_without_walking_them_all() -> None:
    problems = validate_definition(
        workflow([{"id": "t", "type": "transform", "config": {"value": [0] * 5_000_000}}])
    )
    assert [p.pointer for p in problems] == ["/definition"]


def test_non_json_values_are_rejected() -> None:
    problems = validate_definition(
        workflow([{"id": "t", "type": "transform", "config": {"value": float("nan")}}])
    )
    assert [p.pointer for p in problems] == ["/definition"]
    assert validate_definition(workflow([{"id": "t", "type": "transform", "config": {"value": {1, 2}}}]))


def test_501_nodes_are_rejected_500_accepted() -> None:
    nodes = [{"id": f"n{i}", "type": "noop"} for i in range(499)]
    connections = [{"source": "start", "target": f"n{i}"} for i in range(499)]
    definition = {"nodes": [{"id": "start", "type": "trigger.manual"}, *nodes], "connections": connections}
    assert validate_definition(definition) == []
    definition["nodes"].append({"id": "n499", "type": "noop"})
    problems = validate_definition(definition)
    assert [p.pointer for p in problems] == ["/definition/nodes"]
    assert "at most 500" in problems[0].message
