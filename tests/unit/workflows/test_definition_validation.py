"""Saving a definition: every problem at once, each with a JSON pointer into the request body."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from a2n.errors import ValidationFailed
from a2n.workflows.validation import ensure_valid_definition, validate_definition


def section_4_example() -> dict[str, Any]:
    """The definition of ARCHITECTURE §4, verbatim."""
    return {
        "nodes": [
            {
                "id": "start",
                "type": "trigger.webhook",
                "name": "Incoming order",
                "config": {"method": "POST", "auth": {"type": "hmac", "header": "X-Signature"}},
            },
            {"id": "check", "type": "condition", "config": {"expression": "trigger.body.total > `100`"}},
            {
                "id": "notify",
                "type": "http_request",
                "credentialId": "…",
                "config": {
                    "method": "POST",
                    "url": "https://hooks.example.com/{{ trigger.body.shop }}",
                    "body": {"total": "{{ trigger.body.total }}"},
                },
                "retry": {
                    "maxAttempts": 4,
                    "backoff": "exponential",
                    "initialDelayMs": 1000,
                    "maxDelayMs": 60000,
                    "jitter": True,
                },
                "timeoutMs": 10000,
                "onError": "fail",
            },
        ],
        "connections": [
            {"source": "start", "target": "check"},
            {"source": "check", "sourceHandle": "true", "target": "notify"},
        ],
        "variables": {"region": "eu"},
        "settings": {"timeoutMs": 300000, "errorWorkflowId": None, "maxConcurrency": None},
    }


def pointers(definition: Any, **kwargs: Any) -> list[str]:
    return [p.pointer for p in validate_definition(definition, **kwargs)]


def test_section_4_example_is_valid() -> None:
    assert validate_definition(section_4_example()) == []


def test_position_for_editors_is_accepted() -> None:
    definition = section_4_example()
    definition["nodes"][0]["position"] = {"x": 10, "y": 20.5}
    assert validate_definition(definition) == []


def test_pointer_prefix_follows_the_request_body() -> None:
    definition = section_4_example()
    definition["nodes"][1]["type"] = "conditional"
    assert pointers(definition, pointer_prefix="") == ["/nodes/1/type"]
    assert pointers(definition) == ["/definition/nodes/1/type"]


def test_unknown_fields_are_rejected_at_every_level() -> None:
    definition = section_4_example()
    definition["owner"] = "me"
    definition["nodes"][0]["colour"] = "red"
    definition["nodes"][2]["retry"]["forever"] = True
    definition["connections"][0]["weight"] = 1
    definition["settings"]["debug"] = True
    assert set(pointers(definition)) == {
        "/definition/owner",
        "/definition/nodes/0/colour",
        "/definition/nodes/2/retry/forever",
        "/definition/connections/0/weight",
        "/definition/settings/debug",
    }


def test_node_level_fields_are_bounded() -> None:
    definition = section_4_example()
    definition["nodes"][2]["retry"]["maxAttempts"] = 11
    definition["nodes"][2]["timeoutMs"] = 900_001
    definition["nodes"][2]["onError"] = "ignore"
    definition["nodes"][1]["id"] = "has space"
    found = pointers(definition)
    for pointer in ("/nodes/2/retry/maxAttempts", "/nodes/2/timeoutMs", "/nodes/2/onError", "/nodes/1/id"):
        assert "/definition" + pointer in found, found
    # The shape check and the engine's graph check both see the bad onError: reported once.
    assert found.count("/definition/nodes/2/onError") == 1


def test_credential_on_a_node_that_takes_none() -> None:
    definition = section_4_example()
    definition["nodes"][1]["credentialId"] = "cred_1"
    assert pointers(definition) == ["/definition/nodes/1/credentialId"]


def test_duplicate_ids_are_reported_on_the_second_node() -> None:
    definition = section_4_example()
    definition["nodes"][2]["id"] = "check"
    assert "/definition/nodes/2/id" in pointers(definition)


def test_dangling_connection_is_reported_once_not_also_as_unreachable() -> None:
    definition = section_4_example()
    definition["connections"][1]["source"] = "ghost"
    assert pointers(definition) == ["/definition/connections/1/source"]


def test_cycle_is_reported() -> None:
    definition = section_4_example()
    definition["nodes"].append({"id": "again", "type": "noop"})
    definition["connections"] += [
        {"source": "notify", "target": "again"},
        {"source": "again", "target": "notify"},
    ]
    problems = validate_definition(definition)
    assert any("cycle" in p.message for p in problems), problems


def test_workflow_without_trigger_and_unreachable_node() -> None:
    no_trigger = {"nodes": [{"id": "a", "type": "noop"}], "connections": []}
    assert pointers(no_trigger) == ["/definition/nodes"]
    island = section_4_example()
    island["nodes"].append({"id": "island", "type": "noop"})
    assert pointers(island) == ["/definition/nodes/3"]


def test_source_handle_must_exist_on_the_source_node() -> None:
    definition = section_4_example()
    definition["connections"][1]["sourceHandle"] = "maybe"
    definition["connections"][0]["sourceHandle"] = "true"  # a webhook trigger only has main
    assert set(pointers(definition)) == {
        "/definition/connections/0/sourceHandle",
        "/definition/connections/1/sourceHandle",
    }


def test_condition_needs_an_explicit_handle() -> None:
    definition = section_4_example()
    del definition["connections"][1]["sourceHandle"]
    problems = validate_definition(definition)
    assert [p.pointer for p in problems] == ["/definition/connections/1/sourceHandle"]
    assert "true, false" in problems[0].message


def test_error_handle_exists_only_with_error_output() -> None:
    definition = section_4_example()
    definition["nodes"].append({"id": "alert", "type": "noop"})
    definition["connections"].append({"source": "notify", "sourceHandle": "error", "target": "alert"})
    assert pointers(definition) == ["/definition/connections/2/sourceHandle"]
    definition["nodes"][2]["onError"] = "errorOutput"
    assert validate_definition(definition) == []


def test_switch_handles_come_from_its_config() -> None:
    definition = section_4_example()
    definition["nodes"][1] = {
        "id": "check",
        "type": "switch",
        "config": {
            "cases": [{"handle": "big", "expression": "trigger.body.total > `100`"}],
            "default": "small",
        },
    }
    definition["connections"][1]["sourceHandle"] = "big"
    assert validate_definition(definition) == []
    definition["connections"][1]["sourceHandle"] = "true"
    assert pointers(definition) == ["/definition/connections/1/sourceHandle"]


def test_broken_switch_config_does_not_also_fail_its_connections() -> None:
    definition = section_4_example()
    definition["nodes"][1] = {"id": "check", "type": "switch", "config": {"cases": "big"}}
    definition["connections"][1]["sourceHandle"] = "big"
    assert pointers(definition) == ["/definition/nodes/1/config/cases"]


def test_target_handle_must_be_an_input() -> None:
    definition = section_4_example()
    definition["connections"][1]["targetHandle"] = "side"
    assert pointers(definition) == ["/definition/connections/1/targetHandle"]


def test_connection_into_a_trigger_is_rejected() -> None:
    definition = section_4_example()
    definition["connections"].append({"source": "notify", "target": "start"})
    problems = validate_definition(definition)
    assert problems, "a trigger must not take input"
    assert all(p.pointer.startswith("/definition/connections/2") or "cycle" in p.message for p in problems)


def test_invalid_expressions_point_at_their_strings() -> None:
    definition = section_4_example()
    definition["nodes"][1]["config"]["expression"] = "trigger.body.total >"
    definition["nodes"][2]["config"]["body"] = {"list": ["ok", "{{ trigger.( }}"], "a/b": "{{ x"}
    assert set(pointers(definition)) == {
        "/definition/nodes/1/config/expression",
        "/definition/nodes/2/config/body/list/1",
        "/definition/nodes/2/config/body/a~1b",
    }


def test_many_problems_are_all_reported_at_once() -> None:
    definition = section_4_example()
    definition["nodes"][0]["config"]["mode"] = "later"
    definition["nodes"][1]["config"]["expression"] = "a ||"
    definition["nodes"][2]["config"]["timeoutMs"] = "10"
    definition["nodes"].append({"id": "x", "type": "telepathy"})
    definition["connections"].append({"source": "check", "sourceHandle": "false", "target": "ghost"})
    definition["settings"]["maxConcurrency"] = 0
    assert set(pointers(definition)) == {
        "/definition/nodes/0/config/mode",
        "/definition/nodes/1/config/expression",
        "/definition/nodes/2/config/timeoutMs",
        "/definition/nodes/3/type",
        "/definition/connections/2/target",
        "/definition/settings/maxConcurrency",
    }


def test_wrong_shapes_never_crash() -> None:
    hostile: list[Any] = [
        None,
        "x",
        5,
        [],
        {},
        {"nodes": "all"},
        {"nodes": [1, None, "n"]},
        {"nodes": [{"id": ["a"], "type": {}}], "connections": [{"source": [1], "target": {"a": 1}}]},
        {"nodes": [{"id": "a", "type": "noop", "config": []}], "connections": "none"},
        {"nodes": [{"id": "a", "type": "switch", "config": {"cases": [1, {"handle": []}]}}]},
    ]
    for definition in hostile:
        problems = validate_definition(copy.deepcopy(definition))
        assert problems, definition
        assert all(p.pointer.startswith("/definition") for p in problems)


def test_ensure_valid_definition_raises_422_listing_every_problem() -> None:
    ensure_valid_definition(section_4_example())
    definition = section_4_example()
    definition["nodes"][1]["type"] = "conditional"
    definition["settings"]["maxConcurrency"] = 0
    with pytest.raises(ValidationFailed) as raised:
        ensure_valid_definition(definition)
    body = raised.value.problem()
    assert body["status"] == 422
    assert {e["pointer"] for e in body["errors"]} == {
        "/definition/nodes/1/type",
        "/definition/settings/maxConcurrency",
    }
