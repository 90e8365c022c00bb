"""Handle selection for condition and switch nodes."""

from __future__ import annotations

from a2n.engine.expressions import expression_context
from a2n.engine.routing import condition_handles, switch_handles

CONTEXT = expression_context(
    trigger={"total": 150, "tier": "silver"},
    input=None,
    nodes={},
    variables={},
    execution={"id": "e", "startedAt": "2024-01-01T00:00:00Z", "mode": "manual"},
)


def test_condition_takes_true_or_false_by_jmespath_truthiness() -> None:
    assert condition_handles({"expression": "trigger.total > `100`"}, CONTEXT) == ("true",)
    assert condition_handles({"expression": "trigger.missing"}, CONTEXT) == ("false",)


def test_switch_takes_the_first_matching_case_then_the_default_then_nothing() -> None:
    cases = [
        {"handle": "gold", "expression": "trigger.tier == 'gold'"},
        {"handle": "silver", "expression": "trigger.tier == 'silver'"},
        {"handle": "big", "expression": "trigger.total > `100`"},
    ]
    assert switch_handles({"cases": cases}, CONTEXT) == ("silver",)
    assert switch_handles({"cases": cases[:1], "default": "other"}, CONTEXT) == ("other",)
    assert switch_handles({"cases": cases[:1]}, CONTEXT) == ()
