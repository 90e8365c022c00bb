"""SECURITY case 29: an expression's work, built elements and produced bytes are bounded while it
runs. `s | [@, @] | [@, @] …` doubles per pipe out of references, so memory barely moves while the
JSON it stands for grows to gigabytes; the budget must see that logical size, not the memory."""

from __future__ import annotations

from typing import Any

import pytest

from a2n.engine import expressions
from a2n.engine.expressions import ExpressionError, evaluate, render

MiB = 1_048_576


def context(**trigger: Any) -> dict[str, Any]:
    return {"trigger": trigger, "input": None, "nodes": {}, "vars": {}, "execution": {"id": "e-1"}}


def doubling(pipes: int, source: str = "trigger.s") -> str:
    return source + " | [@, @]" * pipes


def test_case_29_a_doubling_pipe_fails_on_its_bytes_budget_instead_of_returning_gigabytes() -> None:
    with pytest.raises(ExpressionError, match="exceeded its budget of 8388608 bytes"):
        render("{{ " + doubling(40) + " }}", context(s="0123456789"))


def test_case_29_the_doubling_fails_the_same_way_inside_text_objects_and_bare_expressions() -> None:
    with pytest.raises(ExpressionError, match="budget of 8388608 bytes"):
        render("id-{{ " + doubling(30) + " }}", context(s="0123456789"))
    with pytest.raises(ExpressionError, match="budget of 8388608 bytes"):
        render("{{ trigger.s" + " | {a: @, b: @}" * 30 + " }}", context(s="0123456789"))
    with pytest.raises(ExpressionError, match="budget of 8388608 bytes"):
        evaluate("length(" + doubling(30) + ") > `1`", context(s="0123456789"))


def test_case_29_a_large_context_value_built_into_copies_is_charged_its_full_size() -> None:
    big = "x" * MiB
    with pytest.raises(ExpressionError, match="bytes"):
        render("{{ [trigger.big, trigger.big, trigger.big, trigger.big, trigger.big, trigger.big,"
               " trigger.big, trigger.big, trigger.big] }}", context(big=big))  # fmt: skip
    with pytest.raises(ExpressionError, match="bytes"):
        render(["{{ trigger.big }}"] * 10, context(big=big))  # ten copies in one output
    assert render(["{{ trigger.big }}"] * 7, context(big=big)) == [big] * 7


def test_case_29_the_budget_spans_one_render_and_a_new_render_starts_afresh() -> None:
    value = "{{ trigger.s" + " | [@, @]" * 18 + " }}"  # ~3.5 MB of JSON: fits once, not three times
    assert len(render(value, context(s="0123456789"))) == 2
    with pytest.raises(ExpressionError, match="bytes"):
        render([value, value, value], context(s="0123456789"))
    assert len(render(value, context(s="0123456789"))) == 2


def test_case_29_steps_count_visits_and_the_elements_functions_walk() -> None:
    items = [{"n": i} for i in range(5000)]
    limits = expressions.ExpressionLimits(max_steps=10_000)
    assert len(evaluate("trigger.items[?n > `10`].n", context(items=items))) == 4989
    with pytest.raises(ExpressionError, match="budget of 10000 steps"):
        evaluate("trigger.items[?n > `10`].n", context(items=items), limits)
    with pytest.raises(ExpressionError, match="budget of 10000 steps"):
        evaluate("[sum(trigger.nums), sum(trigger.nums), sum(trigger.nums)]",
                 context(nums=list(range(4000))), limits)  # fmt: skip


def test_case_29_elements_count_what_the_evaluation_builds() -> None:
    limits = expressions.ExpressionLimits(max_elements=1000)
    items = [{"n": i} for i in range(600)]
    assert len(evaluate("trigger.items[*].n", context(items=items), limits)) == 600
    with pytest.raises(ExpressionError, match="budget of 1000 elements"):
        evaluate("[trigger.items[*].n, trigger.items[*].n]", context(items=items), limits)


def test_case_29_comparing_two_large_built_values_is_charged() -> None:
    tree = "[" + ", ".join([doubling(17, "trigger.s")] * 2) + "]"  # two equal, separately built trees
    limits = expressions.ExpressionLimits(max_bytes=12 * MiB)
    assert evaluate(tree + " | length(@)", context(s="0123456789"), limits) == 2
    with pytest.raises(ExpressionError, match="bytes"):
        evaluate(tree + " | @[0] == @[1]", context(s="0123456789"), limits)


def test_case_29_everyday_expressions_over_a_megabyte_of_input_stay_within_the_defaults() -> None:
    items = [{"id": i, "name": f"item-{i}", "tags": ["a", "b"], "price": i % 97} for i in range(16_000)]
    ctx = context(body={"items": items})  # ~1 MB of JSON
    expensive = [item for item in items if item["price"] > 50]
    assert render("{{ trigger.body.items[?price > `50`] }}", ctx) == expensive
    wrapped = render("{{ {all: trigger.body, again: trigger.body.items[0]} }}", ctx)
    assert wrapped["all"] is ctx["trigger"]["body"]
    assert render("{{ sort_by(trigger.body.items, &price)[-1].price }}", ctx) == 96
    assert render("n={{ length(trigger.body.items) }}", ctx) == "n=16000"


def test_a_type_error_names_the_types_and_never_quotes_the_value() -> None:
    secret_sized = "s3cr3t-" + "y" * 100_000
    with pytest.raises(ExpressionError) as raised:
        evaluate("abs(trigger.v)", context(v=secret_sized))
    assert "s3cr3t" not in str(raised.value)
    assert "abs() expects number, got string" in str(raised.value)
