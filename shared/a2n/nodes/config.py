"""Building blocks of node config models: the strict base model and shared field types.

Config models forbid unknown fields and do not coerce types, so a typo or a string where a number
belongs is reported at save instead of surprising a run.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema

from a2n.errors import Problem

HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]

# Handles appear in connections and in expressions' routing; keep them plain identifiers.
HandleName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]

# One expression or template string; a cap keeps a single field from carrying a megabyte.
ExpressionText = Annotated[str, Field(min_length=1, max_length=4096)]


def _require_scalar(value: Any) -> Any:
    if value is None or isinstance(value, dict | list):
        raise ValueError("must be a string, number or boolean")
    return value


# A query-string value. Validated by hand rather than as a union so that an error points at the
# value itself instead of at one pointer per union member.
QueryValue = Annotated[
    Any, AfterValidator(_require_scalar), WithJsonSchema({"type": ["string", "number", "boolean"]})
]


class NodeConfig(BaseModel):
    """Base of every node config: unknown fields and silent coercions are errors."""

    model_config = ConfigDict(extra="forbid", strict=True)


def bare_expression_problems(expression: str, pointer: str) -> list[Problem]:
    """Problems of a field that holds bare JMESPath (no ``{{ }}``), e.g. a condition."""
    from a2n.engine.expressions import ExpressionError, compile_expression, located_problem

    try:
        compile_expression(expression)
    except ExpressionError as exc:
        found = located_problem(pointer, expression, exc)
        return [Problem(pointer, f"invalid expression: {found.message}", found.line, found.column)]
    return []
