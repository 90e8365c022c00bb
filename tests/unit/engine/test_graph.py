"""The graph value type and the structural problems the workflow validator reports."""

from __future__ import annotations

import pytest

from a2n.engine.graph import Edge, Graph, InvalidGraph, OnError, structural_problems

from .drawing import draw


def test_diamond_graph_exposes_adjacency_triggers_and_a_topological_order() -> None:
    # GIVEN
    #   trigger ──► a ──► c
    #          └──► b ──┘
    definition = draw("trigger > a > c; trigger > b > c")
    # WHEN
    graph = Graph.from_definition(definition)
    # THEN
    assert graph.triggers == ("trigger",)
    assert graph.order == ("trigger", "a", "b", "c")
    assert graph.predecessors("c") == ("a", "b")
    assert graph.successors("trigger") == ("a", "b")
    assert graph.upstream_of("c") == {"trigger", "a", "b"}
    assert graph.upstream_of("a") == {"trigger"}


def test_handles_default_to_main_and_node_fields_are_parsed() -> None:
    definition = draw(
        "trigger > cond.true > x",
        x={"onError": "errorOutput", "timeoutMs": 500, "retry": {"maxAttempts": 3}},
    )
    definition["settings"] = {"retry": {"initialDelayMs": 10, "maxAttempts": 2}}
    graph = Graph.from_definition(definition)
    assert graph.outgoing["trigger"] == (Edge("trigger", "cond", "main", "main"),)
    assert graph.outgoing["cond"][0].source_handle == "true"
    node = graph.nodes["x"]
    assert (node.on_error, node.timeout_ms) == (OnError.ERROR_OUTPUT, 500)
    assert (node.retry.max_attempts, node.retry.initial_delay_ms) == (3, 10)
    assert graph.nodes["cond"].retry.max_attempts == 2


def test_valid_definition_has_no_structural_problems() -> None:
    assert structural_problems(draw("trigger > a > c; trigger > b > c")) == []


def test_duplicate_ids_and_dangling_connections_are_reported_with_pointers() -> None:
    definition = draw("trigger > a")
    definition["nodes"].append({"id": "a", "type": "noop"})
    definition["connections"].append({"source": "ghost", "target": "a"})
    definition["connections"].append({"source": "a", "target": "nowhere"})
    assert structural_problems(definition) == [
        ("/nodes/2/id", "duplicate node id 'a'"),
        ("/connections/1/source", "unknown node 'ghost'"),
        ("/connections/2/target", "unknown node 'nowhere'"),
    ]


def test_cycle_is_reported_once() -> None:
    # trigger ──► a ──► b ──► a
    problems = structural_problems(draw("trigger > a > b > a"))
    assert len(problems) == 1
    pointer, message = problems[0]
    assert pointer == "/nodes/1" and message.startswith("cycle:")


def test_missing_trigger_unreachable_nodes_and_trigger_inputs_are_reported() -> None:
    assert structural_problems(draw("a > b")) == [
        ("/nodes", "at least one trigger node (type trigger.*) is required")
    ]
    definition = draw("trigger > a; b > c; a > trigger2", trigger2={})
    assert structural_problems(definition) == [
        ("/connections/2/target", "trigger 'trigger2' cannot have inputs"),
        ("/nodes/2", "node 'b' is unreachable from any trigger"),
        ("/nodes/3", "node 'c' is unreachable from any trigger"),
    ]


def test_malformed_shapes_are_problems_not_crashes() -> None:
    assert structural_problems({"nodes": "x"}) == [("/nodes", "must be an array of nodes")]
    problems = structural_problems(
        {"nodes": [{"id": "", "type": 3}, 7], "connections": [1, {"source": ["x"], "target": {}}]}
    )
    assert problems == [
        ("/nodes/0/id", "must be a non-empty string"),
        ("/nodes/0/type", "must be a non-empty string"),
        ("/nodes/1", "must be an object"),
        ("/connections/0", "must be an object"),
        ("/connections/1/source", "unknown node ['x']"),
        ("/connections/1/target", "unknown node {}"),
    ]


def test_building_a_graph_from_a_broken_definition_raises() -> None:
    with pytest.raises(InvalidGraph) as raised:
        Graph.from_definition(draw("trigger > a > trigger"))
    assert raised.value.problems[0][1].startswith("cycle:")
