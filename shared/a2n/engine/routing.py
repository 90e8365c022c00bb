"""Which output handle(s) a condition or switch node takes, for the planner's dead-path rules.

condition: `config.expression` truthy -> ("true",), else ("false",).
switch: the first case whose expression is truthy, else `config.default`, else no handle at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from a2n.engine.expressions import DEFAULT_LIMITS, ExpressionLimits, evaluate, is_truthy


def condition_handles(
    config: Mapping[str, Any], context: Mapping[str, Any], limits: ExpressionLimits = DEFAULT_LIMITS
) -> tuple[str, ...]:
    return ("true",) if is_truthy(evaluate(str(config["expression"]), context, limits)) else ("false",)


def switch_handles(
    config: Mapping[str, Any], context: Mapping[str, Any], limits: ExpressionLimits = DEFAULT_LIMITS
) -> tuple[str, ...]:
    for case in config.get("cases") or ():
        if is_truthy(evaluate(str(case["expression"]), context, limits)):
            return (str(case["handle"]),)
    default = config.get("default")
    return (str(default),) if default else ()
