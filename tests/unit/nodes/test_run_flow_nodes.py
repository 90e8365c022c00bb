"""The run side of the pure node types: routing, merging, building values, waiting, children,
webhook responses — each as the step service calls it, through the registry."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from a2n.nodes.context import ChildRequest, NodeContext, NodeFailed, NodeResult, WaitRequest
from a2n.nodes.registry import get_runner
from a2n.nodes.wait import resumed_output

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
ORDER = {"id": "o-1", "total": 250, "items": [1, 2], "shop": "paris"}


def run(node_type: str, config: dict[str, Any], node_input: Any = None, **context: Any) -> NodeResult:
    """GIVEN a node of `node_type` with `config` after a trigger that received ORDER, WHEN it runs."""
    expression_context = {
        "trigger": {"body": ORDER},
        "input": node_input,
        "nodes": {"start": {"body": ORDER}},
        "vars": {"region": "eu"},
        "execution": {"id": "ex-1", "startedAt": "2025-03-01T12:00:00Z", "mode": "manual"},
    } | context
    ctx = NodeContext(
        execution_id="ex-1",
        node_id="n",
        node_type=node_type,
        attempt=1,
        config=config,
        input=node_input,
        expression_context=expression_context,
        credential=None,
        timeout_s=30.0,
        now=NOW,
    )
    return get_runner(node_type)(ctx)


def test_condition_routes_to_true_when_the_expression_is_truthy_and_passes_its_input_on() -> None:
    result = run("condition", {"expression": "trigger.body.total > `100`"}, node_input={"x": 1})
    assert result.handles == ("true",)
    assert result.output == {"x": 1}


def test_condition_routes_to_false_on_a_falsy_value() -> None:
    assert run("condition", {"expression": "trigger.body.missing"}, {"x": 1}).handles == ("false",)


def test_condition_with_a_failing_expression_fails_the_node_cleanly() -> None:
    with pytest.raises(NodeFailed) as failure:
        run("condition", {"expression": "abs(trigger.body.shop)"})
    assert not failure.value.retryable


@pytest.mark.parametrize(("total", "handle"), [(250, "big"), (50, "small"), (0, "small"), (None, "unknown")])
def test_switch_takes_the_first_matching_case_else_the_default(total: Any, handle: str) -> None:
    config = {
        "cases": [
            {"handle": "big", "expression": "input.total > `100`"},
            {"handle": "small", "expression": "input.total >= `0`"},
        ],
        "default": "unknown",
    }
    result = run("switch", config, node_input={"total": total})
    assert result.handles == (handle,)
    assert result.output == {"total": total}


def test_switch_without_default_and_without_a_match_fails_not_retryable() -> None:
    with pytest.raises(NodeFailed, match="no case matched") as failure:
        run("switch", {"cases": [{"handle": "a", "expression": "input.nope"}]}, node_input={})
    assert failure.value.retryable is False


def test_merge_and_noop_pass_on_the_input_the_planner_built() -> None:
    combined = {"left": [1], "right": [2]}
    assert run("merge", {"mode": "object"}, combined).output == combined
    assert run("merge", {"mode": "append"}, [1, 2]).output == [1, 2]
    assert run("noop", {}, {"a": 1}).output == {"a": 1}
    assert run("noop", {}, {"a": 1}).handles == ("main",)


def test_transform_renders_templates_at_any_depth_keeping_json_types() -> None:
    config = {
        "value": {
            "id": "{{ trigger.body.id }}",
            "total": "{{ trigger.body.total }}",
            "label": "order {{ trigger.body.id }} in {{ vars.region }}",
            "list": ["{{ input.n }}", 3, None],
        }
    }
    assert run("transform", config, {"n": 7}).output == {
        "id": "o-1",
        "total": 250,
        "label": "order o-1 in eu",
        "list": [7, 3, None],
    }


def test_case_29_a_doubling_transform_fails_its_node_at_once_naming_the_setting() -> None:
    doubling = "{{ trigger.body.shop" + " | [@, @]" * 40 + " }}"
    with pytest.raises(NodeFailed) as failure:
        run("transform", {"value": {"blown": doubling}})
    assert "exceeded its budget of 8388608 bytes" in failure.value.message
    assert "(setting A2N_EXPRESSION_MAX_BYTES)" in failure.value.message
    assert not failure.value.retryable


def test_case_29_conditions_and_switches_evaluate_under_the_configured_budget(app_env: Any) -> None:
    app_env.setenv("A2N_EXPRESSION_MAX_STEPS", "50")
    app_env.apply()
    scan = "length(trigger.body.items[?@ > `0`]) > `0`"
    many = {"body": {"items": list(range(100))}}
    with pytest.raises(NodeFailed, match=r"budget of 50 steps \(setting A2N_EXPRESSION_MAX_STEPS\)"):
        run("condition", {"expression": scan}, trigger=many)
    with pytest.raises(NodeFailed, match="budget of 50 steps"):
        run("switch", {"cases": [{"handle": "a", "expression": scan}]}, trigger=many)
    assert run("condition", {"expression": scan}, trigger={"body": {"items": [1, 2]}}).handles == ("true",)


def test_wait_duration_wakes_after_the_seconds() -> None:
    result = run("wait", {"mode": "duration", "seconds": 90})
    assert result.wait == WaitRequest(until=NOW + timedelta(seconds=90))


def test_wait_until_parses_the_rendered_time_in_utc() -> None:
    result = run("wait", {"mode": "until", "at": "{{ input.at }}"}, {"at": "2025-03-02T10:00:00+02:00"})
    assert result.wait == WaitRequest(until=datetime(2025, 3, 2, 8, 0, tzinfo=UTC))


@pytest.mark.parametrize("at", ["tomorrow", "2025-03-02T10:00:00", 42])
def test_wait_until_rejects_a_time_it_cannot_place(at: Any) -> None:
    with pytest.raises(NodeFailed):
        run("wait", {"mode": "until", "at": "{{ input.at }}"}, {"at": at})


def test_wait_resume_waits_for_the_api_with_an_optional_timeout() -> None:
    assert run("wait", {"mode": "resume"}).wait == WaitRequest(until=None, resume=True)
    timed = run("wait", {"mode": "resume", "timeoutSeconds": 3600}).wait
    assert timed == WaitRequest(until=None, resume=True, timeout_at=NOW + timedelta(hours=1))


def test_wait_resumed_output_carries_the_time_and_data() -> None:
    moment = datetime(2025, 3, 1, 13, 0, 0, 5000, tzinfo=UTC)
    assert resumed_output(moment, {"ok": True}) == {
        "resumedAt": "2025-03-01T13:00:00.005Z",
        "data": {"ok": True},
    }


def test_sub_workflow_starts_the_rendered_child_with_the_node_input_by_default() -> None:
    result = run("sub_workflow", {"workflowId": "{{ vars.region }}-flow"}, {"a": 1})
    assert result.child == ChildRequest(workflow_id="eu-flow", input={"a": 1})
    explicit = run(
        "sub_workflow", {"workflowId": "wf-1", "input": {"shop": "{{ trigger.body.shop }}"}}, {"a": 1}
    )
    assert explicit.child == ChildRequest(workflow_id="wf-1", input={"shop": "paris"})


def test_respond_webhook_records_the_rendered_response_as_output_and_webhook_response() -> None:
    config = {
        "status": 201,
        "headers": {"X-Order": "{{ trigger.body.id }}"},
        "body": {"total": "{{ input.t }}"},
    }
    result = run("respond_webhook", config, {"t": 3})
    expected = {"status": 201, "headers": {"X-Order": "o-1"}, "body": {"total": 3}}
    assert result.output == expected
    assert result.webhook_response == expected


def test_respond_webhook_refuses_a_header_that_would_inject_another() -> None:
    with pytest.raises(NodeFailed, match="line break"):
        run(
            "respond_webhook",
            {"headers": {"X-A": "{{ input.v }}"}, "body": None},
            {"v": "a\r\nSet-Cookie: x"},
        )


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("Srīperumbūdūr", "U+012B at position 2"),  # beyond Latin-1: the local server could not write it
        ("Zürich", "U+00FC at position 1"),  # Latin-1, but API Gateway documents no encoding for it
        ("a\x00b", "U+0000 at position 1"),
    ],
)
def test_respond_webhook_refuses_a_header_value_http_cannot_carry_as_is(value: str, says: str) -> None:
    with pytest.raises(
        NodeFailed, match=re.escape(f"header 'X-City' contains {says}: header values must be printable ASCII")
    ):
        run("respond_webhook", {"headers": {"X-City": "{{ input.v }}"}, "body": None}, {"v": value})
    ok = run(
        "respond_webhook", {"headers": {"X-City": "{{ input.v }}"}, "body": None}, {"v": "Zurich\t(CH) ~"}
    )
    assert ok.output["headers"] == {"X-City": "Zurich\t(CH) ~"}


def test_triggers_have_no_runner() -> None:
    with pytest.raises(KeyError):
        get_runner("trigger.manual")
    with pytest.raises(KeyError):
        get_runner("nope")
