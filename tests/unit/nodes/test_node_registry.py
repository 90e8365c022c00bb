"""The node-type registry: every §7 type is served with well-formed schemas and handles."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from a2n.nodes.registry import all_specs, get_spec, node_type_catalogue, output_handles

SECTION_7_TYPES = {
    "trigger.manual",
    "trigger.webhook",
    "trigger.schedule",
    "trigger.poll",
    "http_request",
    "condition",
    "switch",
    "merge",
    "transform",
    "wait",
    "sub_workflow",
    "respond_webhook",
    "noop",
    "code",  # §7 "Later": Python in a sandbox function (issue "Code node")
    "trigger.error",  # starts an error workflow (issue 11 item 13)
    "integration",  # issue 14: one type runs any installed package's action
    "trigger.integration",  # issue 14: app triggers (provider webhooks, polls)
}
JSON_TYPES = {"object", "array", "string", "number", "integer", "boolean", "null"}


def assert_schema_well_formed(schema: Any, where: str) -> None:
    """A structural JSON Schema check: keywords have the types the spec gives them, refs resolve."""
    assert isinstance(schema, dict), where
    json.dumps(schema)  # serialisable as the API will send it
    stack = [(schema, where)]
    while stack:
        node, path = stack.pop()
        kind = node.get("type")
        kinds = kind if isinstance(kind, list) else [kind] if kind is not None else []
        assert set(kinds) <= JSON_TYPES, f"{path}: bad type {kind!r}"
        for keyword in ("properties", "$defs"):
            for name, sub in node.get(keyword, {}).items():
                stack.append((sub, f"{path}/{keyword}/{name}"))
        for keyword in ("anyOf", "oneOf", "allOf"):
            for index, sub in enumerate(node.get(keyword, [])):
                stack.append((sub, f"{path}/{keyword}/{index}"))
        for keyword in ("items", "additionalProperties"):
            if isinstance(node.get(keyword), dict):
                stack.append((node[keyword], f"{path}/{keyword}"))
        assert set(node.get("required", [])) <= set(node.get("properties", {})), (
            f"{path}: required not declared"
        )
        ref = node.get("$ref")
        if ref is not None:
            name = ref.removeprefix("#/$defs/")
            assert name in schema.get("$defs", {}), f"{path}: dangling $ref {ref}"


def test_catalogue_lists_every_section_7_type_once() -> None:
    types = [entry["type"] for entry in node_type_catalogue()]
    assert sorted(types) == sorted(SECTION_7_TYPES)


@pytest.mark.parametrize("entry", node_type_catalogue(), ids=lambda e: e["type"])
def test_catalogue_entry_has_api_shape_and_valid_schemas(entry: dict[str, Any]) -> None:
    assert {"type", "name", "category", "description", "configSchema", "outputSchema", "handles"} <= set(
        entry
    )
    assert entry["category"] in {"core", "trigger", "flow", "data"}
    assert entry["name"] and entry["description"]
    assert_schema_well_formed(entry["configSchema"], "configSchema")
    assert_schema_well_formed(entry["outputSchema"], "outputSchema")
    # extra="forbid" shows in the schema so editors can warn about unknown fields too.
    assert entry["configSchema"]["additionalProperties"] is False
    assert set(entry["handles"]) >= {"inputs", "outputs"}


def test_triggers_take_no_input_and_other_nodes_take_main() -> None:
    for spec in all_specs():
        assert spec.is_trigger == spec.type.startswith("trigger.")
        assert list(spec.inputs) == ([] if spec.is_trigger else ["main"])


def test_only_http_request_poll_and_integration_types_accept_credentials() -> None:
    assert {s.type for s in all_specs() if s.accepts_credentials} == {
        "http_request", "trigger.poll", "integration", "trigger.integration"
    }


def test_catalogue_is_a_copy_callers_cannot_corrupt() -> None:
    node_type_catalogue()[0]["configSchema"]["title"] = "changed"
    assert node_type_catalogue()[0]["configSchema"].get("title") != "changed"


def test_unknown_type_has_no_spec_and_no_handles() -> None:
    assert get_spec("trigger.telepathy") is None
    assert output_handles({"id": "x", "type": "trigger.telepathy"}) == []


def test_condition_routes_true_false_and_error_only_with_error_output() -> None:
    assert output_handles({"type": "condition", "config": {"expression": "a"}}) == ["true", "false"]
    node = {"type": "condition", "config": {"expression": "a"}, "onError": "errorOutput"}
    assert output_handles(node) == ["true", "false", "error"]


def test_switch_handles_come_from_cases_and_default() -> None:
    config = {
        "cases": [{"handle": "eu", "expression": "a"}, {"handle": "us", "expression": "b"}],
        "default": "other",
    }
    assert output_handles({"type": "switch", "config": config}) == ["eu", "us", "other"]
    assert output_handles({"type": "switch", "config": {"cases": [{"handle": "eu"}]}}) == ["eu"]
    assert output_handles({"type": "switch", "config": "not an object"}) == []


def test_importing_the_registry_loads_no_node_module_nor_pydantic() -> None:
    code = (
        "import sys, a2n.nodes.registry;"
        "print(sorted(m for m in sys.modules if m.startswith(('pydantic', 'a2n.nodes.'))))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "['a2n.nodes.registry', 'a2n.nodes.spec']"
