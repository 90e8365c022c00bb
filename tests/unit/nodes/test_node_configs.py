"""Each node type's config rules, seen the way a save reports them: pointers into the config."""

from __future__ import annotations

from typing import Any

import pytest

from a2n.nodes.trigger_webhook import activation_problems
from a2n.workflows.validation import validate_definition

NODE = "/definition/nodes/1"


def problems_of(node_type: str, config: dict[str, Any]) -> dict[str, str]:
    """GIVEN a manual trigger feeding one node of `node_type` with `config`, the save's problems."""
    definition = {
        "nodes": [
            {"id": "start", "type": "trigger.manual"},
            {"id": "n", "type": node_type, "config": config},
        ],
        "connections": [] if node_type.startswith("trigger.") else [{"source": "start", "target": "n"}],
    }
    return {p.pointer: p.message for p in validate_definition(definition)}


VALID_CONFIGS = [
    ("trigger.manual", {}),
    ("trigger.webhook", {}),
    (
        "trigger.webhook",
        {
            "method": "ANY",
            "mode": "sync",
            "syncTimeoutMs": 20000,
            "auth": {"type": "hmac", "preset": "github", "secret": "s"},
        },
    ),
    ("trigger.webhook", {"auth": {"type": "basic", "username": "u", "password": "p"}}),
    ("trigger.schedule", {"expression": "rate(5 minutes)"}),
    ("trigger.schedule", {"expression": "cron(0 9 ? * MON-FRI *)", "timezone": "Europe/Paris"}),
    (
        "trigger.poll",
        {
            "expression": "rate(1 hour)",
            "request": {"method": "GET", "url": "https://x.test/items"},
            "itemsPath": "body.items",
            "keyExpression": "id",
        },
    ),
    (
        "http_request",
        {
            "method": "GET",
            "url": "https://api.test/{{ input.id }}",
            "query": {"page": 1, "q": "a"},
            "headers": {"Accept": "application/json"},
            "bodyType": "form",
            "timeoutMs": 900000,
            "responseType": "text",
        },
    ),
    ("condition", {"expression": "input.total > `100`"}),
    ("switch", {"cases": [{"handle": "eu", "expression": "input.region == 'eu'"}], "default": "rest"}),
    ("merge", {"mode": "append"}),
    ("transform", {"value": {"total": "{{ input.total }}", "list": [1, "{{ vars.region }}"]}}),
    ("transform", {"value": None}),
    ("wait", {"mode": "duration", "seconds": 0}),
    ("wait", {"mode": "until", "at": "2030-01-01T00:00:00Z"}),
    ("wait", {"mode": "until", "at": "{{ input.when }}"}),
    ("wait", {"mode": "resume", "timeoutSeconds": 3600}),
    ("sub_workflow", {"workflowId": "wf_1", "input": {"a": "{{ input }}"}}),
    ("respond_webhook", {"status": 201, "headers": {"X-A": "b"}, "body": {"ok": True}}),
    ("noop", {}),
]


@pytest.mark.parametrize(
    ("node_type", "config"), VALID_CONFIGS, ids=lambda v: v if isinstance(v, str) else ""
)
def test_valid_config_has_no_problem(node_type: str, config: dict[str, Any]) -> None:
    assert problems_of(node_type, config) == {}


INVALID_CONFIGS = [
    ("http_request", {"method": "GET", "url": "u", "timeoutMs": "10"}, "/config/timeoutMs"),
    ("http_request", {"method": "GET", "url": "u", "timeoutMs": 900001}, "/config/timeoutMs"),
    ("http_request", {"method": "FETCH", "url": "u"}, "/config/method"),
    ("http_request", {"url": "u"}, "/config/method"),
    ("http_request", {"method": "GET", "url": "u", "bodyType": "xml"}, "/config/bodyType"),
    ("http_request", {"method": "GET", "url": "u", "query": {"q": {"nested": 1}}}, "/config/query/q"),
    ("http_request", {"method": "GET", "url": "u", "headers": {"X": 1}}, "/config/headers/X"),
    ("http_request", {"method": "GET", "url": "u", "retries": 3}, "/config/retries"),
    ("http_request", {"method": "GET", "url": "{{ input.( }}"}, "/config/url"),
    ("trigger.webhook", {"mode": "later"}, "/config/mode"),
    ("trigger.webhook", {"syncTimeoutMs": 60000}, "/config/syncTimeoutMs"),
    ("trigger.webhook", {"auth": {"type": "header", "preset": "github"}}, "/config/auth"),
    ("trigger.webhook", {"auth": {"type": "hmac", "toleranceSeconds": 0}}, "/config/auth/toleranceSeconds"),
    ("trigger.webhook", {"auth": {"type": "hmac", "salt": "x"}}, "/config/auth/salt"),
    ("trigger.schedule", {"expression": "every day"}, "/config/expression"),
    ("trigger.schedule", {}, "/config/expression"),
    (
        "trigger.poll",
        {
            "expression": "rate(1 hour)",
            "request": {"method": "GET", "url": "u", "x": 1},
            "itemsPath": "a",
            "keyExpression": "id",
        },
        "/config/request/x",
    ),
    (
        "trigger.poll",
        {
            "expression": "rate(1 hour)",
            "request": {"method": "GET", "url": "u"},
            "itemsPath": "a[",
            "keyExpression": "id",
        },
        "/config/itemsPath",
    ),
    ("condition", {"expression": "input.total >"}, "/config/expression"),
    ("condition", {"expression": 5}, "/config/expression"),
    ("switch", {"cases": []}, "/config/cases"),
    ("switch", {"cases": [{"handle": "a b", "expression": "x"}]}, "/config/cases/0/handle"),
    ("switch", {"cases": [{"handle": "error", "expression": "x"}]}, "/config/cases/0/handle"),
    (
        "switch",
        {"cases": [{"handle": "a", "expression": "x"}, {"handle": "a", "expression": "y"}]},
        "/config/cases/1/handle",
    ),
    ("switch", {"cases": [{"handle": "a", "expression": "x"}], "default": "a"}, "/config/default"),
    ("merge", {"mode": "zip"}, "/config/mode"),
    ("transform", {}, "/config/value"),
    ("wait", {"mode": "duration"}, "/config/seconds"),
    ("wait", {"mode": "duration", "seconds": -1}, "/config/seconds"),
    ("wait", {"mode": "until", "at": "next tuesday"}, "/config/at"),
    ("wait", {"mode": "until", "at": "2030-01-01T00:00:00"}, "/config/at"),
    ("wait", {"mode": "resume", "seconds": 5}, "/config/seconds"),
    ("sub_workflow", {}, "/config/workflowId"),
    ("respond_webhook", {"status": 99, "body": None}, "/config/status"),
    ("respond_webhook", {"headers": {"X City": "b"}, "body": None}, "/config/headers/X City"),
    ("respond_webhook", {"headers": {"X-Ville-é": "b"}, "body": None}, "/config/headers/X-Ville-é"),
    ("noop", {"anything": 1}, "/config/anything"),
]


@pytest.mark.parametrize(
    ("node_type", "config", "pointer"), INVALID_CONFIGS, ids=lambda v: v if isinstance(v, str) else ""
)
def test_invalid_config_is_reported_at_its_field(
    node_type: str, config: dict[str, Any], pointer: str
) -> None:
    problems = problems_of(node_type, config)
    assert NODE + pointer in problems, problems


def test_unknown_config_field_is_named_in_the_message() -> None:
    assert problems_of("noop", {"colour": "red"}) == {f"{NODE}/config/colour": "unknown field 'colour'"}


def test_hmac_without_secret_saves_but_cannot_be_activated() -> None:
    config = {"auth": {"type": "hmac", "header": "X-Signature"}}
    assert problems_of("trigger.webhook", config) == {}
    problems = activation_problems(config, "/nodes/0/config")
    assert [p.pointer for p in problems] == ["/nodes/0/config/auth/secret"]
    assert activation_problems({"auth": {"type": "hmac", "secret": "s"}}, "/c") == []


def test_basic_and_header_auth_need_their_fields_before_activation() -> None:
    basic = activation_problems({"auth": {"type": "basic", "username": "u"}}, "/c")
    assert [p.pointer for p in basic] == ["/c/auth/password"]
    header = activation_problems({"auth": {"type": "header"}}, "/c")
    assert [p.pointer for p in header] == ["/c/auth/header", "/c/auth/secret"]
    assert activation_problems({}, "/c") == []
