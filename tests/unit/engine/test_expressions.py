"""Expressions: templates, bare JMESPath, custom functions, and the SECURITY case-23 corpus."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from a2n.engine.expressions import (
    MAX_EXPRESSION_LENGTH,
    ExpressionError,
    compile_expression,
    compile_template,
    evaluate,
    expression_problems,
    is_truthy,
    render,
)

CONTEXT: dict[str, Any] = {
    "trigger": {"body": {"total": 150, "shop": "acme", "tags": ["a", "b"]}},
    "input": {"name": "Ada", "missing": None, "ok": True, "ratio": 1.5},
    "nodes": {"fetch": {"status": 200}},
    "vars": {"region": "eu"},
    "execution": {"id": "e-1", "startedAt": "2024-05-01T10:20:30+00:00", "mode": "manual"},
}


def test_whole_value_template_returns_the_json_value() -> None:
    assert render("{{ trigger.body.tags }}", CONTEXT) == ["a", "b"]
    assert render("{{ trigger.body.total }}", CONTEXT) == 150
    assert render("{{ {shop: trigger.body.shop, n: nodes.fetch.status} }}", CONTEXT) == {
        "shop": "acme",
        "n": 200,
    }


def test_interpolated_template_renders_text_per_documented_rules() -> None:
    text = "{{ vars.region }}|{{ input.missing }}|{{ input.ok }}|{{ input.ratio }}|{{ trigger.body.tags }}"
    assert render(text, CONTEXT) == 'eu||true|1.5|["a","b"]'


def test_render_walks_objects_and_arrays_but_not_keys() -> None:
    value = {
        "{{ vars.region }}": ["https://x/{{ trigger.body.shop }}", 3, None, {"deep": "{{ execution.id }}"}]
    }
    assert render(value, CONTEXT) == {"{{ vars.region }}": ["https://x/acme", 3, None, {"deep": "e-1"}]}


def test_closing_braces_inside_literals_and_hashes_do_not_end_the_template() -> None:
    assert render("{{ {a: {b: 'x}}y'}} }}", CONTEXT) == {"a": {"b": "x}}y"}}


def test_custom_functions_are_pure_and_now_reads_the_execution_clock() -> None:
    assert evaluate("now()", CONTEXT) == "2024-05-01T10:20:30+00:00"
    clocked = {**CONTEXT, "execution": {**CONTEXT["execution"], "now": "2025-01-02T03:04:05Z"}}
    assert evaluate("format_date(now(), '%Y-%m-%d %H:%M')", clocked) == "2025-01-02 03:04"
    assert evaluate("upper(input.name)", CONTEXT) == "ADA"
    assert evaluate("lower('ÀB')", CONTEXT) == "àb"
    assert evaluate("to_json(trigger.body.tags)", CONTEXT) == '["a","b"]'
    assert evaluate("from_json('{\"k\": [1]}')", CONTEXT) == {"k": [1]}


def test_function_misuse_is_an_expression_error() -> None:
    for expression in ["from_json('nope')", "format_date(now(), '%c')", "format_date('x', '%Y')", "abs('x')"]:
        with pytest.raises(ExpressionError):
            evaluate(expression, CONTEXT)


def test_truthiness_follows_jmespath() -> None:
    assert [is_truthy(v) for v in (None, False, "", [], {})] == [False] * 5
    assert [is_truthy(v) for v in (0, 0.0, "0", [0], {"a": None}, True)] == [True] * 6
    assert is_truthy(evaluate("trigger.body.total > `100`", CONTEXT))


@pytest.mark.parametrize(
    "expression",
    [
        "__subclasses__()",
        "eval('1+1')",
        "__import__('os')",
        "exec('x')",
        "getattr(input, '__class__')",
        "input.__class__.__subclasses__()",
    ],
)
def test_case_23_calls_outside_the_allow_list_are_rejected(expression: str) -> None:
    with pytest.raises(ExpressionError, match="unknown function"):
        compile_expression(expression)


@pytest.mark.parametrize(
    "expression",
    [
        "__class__",
        "''.__class__.__mro__",
        "input.__class__",
        "input.name.__class__.__init__.__globals__",
        "input.__dict__",
        "trigger.body.tags.__len__",
        "nodes.fetch.__class__.__bases__[0]",
        "'{0.__class__}'",
    ],
)
def test_case_23_attribute_walks_are_inert(expression: str) -> None:
    result = evaluate(expression, CONTEXT)
    assert result is None or result == "{0.__class__}"


def test_case_23_format_string_dunders_stay_literal_text() -> None:
    assert render("{0.__class__} {input}", CONTEXT) == "{0.__class__} {input}"
    assert render("x{{ '{0.__class__.__mro__}' }}", CONTEXT) == "x{0.__class__.__mro__}"


def test_size_and_nesting_limits_are_enforced() -> None:
    with pytest.raises(ExpressionError, match="longer than"):
        compile_expression("a" * (MAX_EXPRESSION_LENGTH + 1))
    with pytest.raises(ExpressionError, match="nested"):
        compile_expression("(" * 200 + "a" + ")" * 200)
    assert evaluate(".".join(["a"] * 1000), CONTEXT) is None  # JMESPath keeps `a.b.c` flat
    with pytest.raises(ExpressionError, match="nested"):
        compile_expression(" || ".join(["a"] * 300))
    deep: Any = "x"
    for _ in range(100):
        deep = [deep]
    with pytest.raises(ExpressionError, match="nested deeper"):
        render(deep, CONTEXT)


def test_template_errors_carry_the_position_in_the_text() -> None:
    with pytest.raises(ExpressionError) as raised:
        compile_template("x {{ a.( }}")
    assert raised.value.position == 7
    with pytest.raises(ExpressionError, match="unclosed") as unclosed:
        compile_template("ok {{ a")
    assert unclosed.value.position == 3
    with pytest.raises(ExpressionError, match="empty"):
        compile_template("{{ }}")


def test_expression_problems_lists_every_broken_template_with_its_pointer() -> None:
    config = {"url": "https://x/{{ a.( }}", "fine": "{{ b }}", "list": ["{{ nope() }}"], "a/b": "{{ c"}
    problems = expression_problems(config, "/nodes/2/config")
    assert [problem.pointer for problem in problems] == [
        "/nodes/2/config/url",
        "/nodes/2/config/list/0",
        "/nodes/2/config/a~1b",
    ]
    assert "unknown function nope()" in problems[1].message


def test_wrong_arity_is_caught_when_compiling() -> None:
    with pytest.raises(ExpressionError, match="takes 1"):
        compile_expression("upper('a', 'b')")


# --- errors that say what to do (issue 11 item 9) -------------------------------------------------


def test_a_bare_number_is_answered_with_its_backticked_literal_and_its_column() -> None:
    [problem] = expression_problems({"value": "{{ trigger.total > 100 }}"}, "/config")

    assert problem.pointer == "/config/value"
    assert (problem.line, problem.column) == (1, 20)  # the "1" of 100, counted from 1
    assert "write `100`" in problem.message
    assert "trigger.total > `100`" in problem.message
    assert "(at column 20)" in problem.message


def test_n8n_syntax_is_named_and_rewritten_into_ours() -> None:
    config = {
        "json": "{{ $json.id }}",
        "node": "{{ $node[\"Fetch orders\"].json.items[0] }}",
        "call": "{{ $('fetch').item.json.total }}",
        "now": "sent at {{ $now }}",
        "vars": "{{ $vars.region }}",
    }
    messages = {p.pointer.rsplit("/", 1)[1]: p.message for p in expression_problems(config, "")}

    assert "n8n syntax" in messages["json"]
    assert "{{ input.id }}" in messages["json"]
    assert '{{ nodes."Fetch orders".items[0] }}' in messages["node"]
    assert "{{ nodes.fetch.total }}" in messages["call"]
    assert "{{ now() }}" in messages["now"]
    assert "{{ vars.region }}" in messages["vars"]


def test_the_rewritten_n8n_expressions_are_valid_a2n() -> None:
    # The advice must itself compile: a suggestion that fails again would be worse than none.
    for broken in ("{{ $json.id }}", "{{ $node[\"a b\"].json.x }}", "{{ $('n').first().json }}"):
        [problem] = expression_problems({"v": broken}, "")
        suggestion = problem.message.split("write ", 1)[1].split(" ($json", 1)[0]
        assert compile_template(suggestion).is_whole_value


def test_n8n_environment_access_is_refused_with_the_way_to_pass_values() -> None:
    [problem] = expression_problems({"v": "{{ $env.API_TOKEN }}"}, "")

    assert "$env is n8n syntax" in problem.message
    assert "vars" in problem.message


def test_a_bare_expression_advice_has_no_braces_and_multi_line_text_gets_its_line() -> None:
    with pytest.raises(ExpressionError) as bare:
        compile_expression("$json.total > `5`")
    assert "write input.total > `5`" in str(bare.value)
    assert "{{" not in str(bare.value)

    [problem] = expression_problems({"v": "first line\nthen {{ a > 7 }}"}, "")
    assert (problem.line, problem.column) == (2, 13)
    assert "at line 2, column 13" in problem.message


def test_format_date_takes_an_optional_iana_time_zone() -> None:
    context = {
        "trigger": {"at": "2026-01-15T23:30:00Z"},
        "execution": {"startedAt": "2026-07-01T10:00:00+00:00"},
    }

    assert render("{{ format_date(trigger.at, '%d %H:%M') }}", context) == "15 23:30"
    assert render("{{ format_date(trigger.at, '%d %H:%M', 'America/New_York') }}", context) == "15 18:30"
    assert render("{{ format_date(now(), '%H:%M %Z', 'Europe/Paris') }}", context) == "12:00 CEST"
    with pytest.raises(ExpressionError, match="unknown time zone 'Mars/Olympus'"):
        render("{{ format_date(trigger.at, '%d', 'Mars/Olympus') }}", context)
    with pytest.raises(ExpressionError, match="takes 2 to 3"):
        compile_expression("format_date(a, b, c, d)")


def test_every_a2n_expression_of_the_n8n_cheat_sheet_compiles() -> None:
    page = (Path(__file__).resolve().parents[3] / "docs" / "expressions.md").read_text(encoding="utf-8")
    table = page.split("| n8n | A2N |", 1)[1].split("\n\n", 1)[0]
    ours = [
        code.strip("` ")
        for row in table.splitlines()[2:]
        for code in re.findall(r"``? ?(\{\{.*?\}\}) ?``?", row.split("|")[2])
    ]

    assert len(ours) >= 14
    for template in ours:
        assert compile_template(template).is_whole_value, template
