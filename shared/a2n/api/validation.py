"""Turn pydantic validation errors into ValidationFailed problems with JSON pointers.

Body problems point into the body (``/definition/nodes/0/id``); query-parameter problems use
``#/query/<name>`` so that a client can tell them from a body field called ``query``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from a2n.errors import Problem, ValidationFailed, json_pointer

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError
    from pydantic_core import ErrorDetails

QUERY_POINTER_PREFIX = "#/query"

M = TypeVar("M", bound="BaseModel")
__all__ = ["QUERY_POINTER_PREFIX", "json_pointer", "problems_from", "query_pointer", "validate_body",
           "validate_query"]  # fmt: skip

# pydantic's wording for these is terse or internal; the rest of its messages read well.
_MESSAGES = {
    "missing": "This field is required",
    "extra_forbidden": "Unknown field; it cannot be set here",
    "model_type": "Expected a JSON object",
    "dict_type": "Expected a JSON object",
    "list_type": "Expected a JSON array",
}


def query_pointer(name: str) -> str:
    return f"{QUERY_POINTER_PREFIX}{json_pointer([name])}"


def validate_body(model: type[M], data: Any) -> M:
    """``model`` validated from parsed JSON, or ValidationFailed listing every problem."""
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(problems_from(exc, data)) from None


def validate_query(model: type[M], query: Mapping[str, str]) -> M:
    from pydantic import ValidationError

    try:
        return model.model_validate(dict(query))
    except ValidationError as exc:
        problems = [
            Problem(QUERY_POINTER_PREFIX + p.pointer, p.message) for p in problems_from(exc, dict(query))
        ]
        raise ValidationFailed(problems) from None


def problems_from(exc: ValidationError, data: Any) -> list[Problem]:
    return [Problem(_pointer_into(data, err["loc"]), _message(err)) for err in exc.errors(include_url=False)]


def _pointer_into(data: Any, loc: Sequence[str | int]) -> str:
    """Follow ``loc`` through the input, dropping the union-member/tag names pydantic inserts.

    A location element that does not exist in the input is kept only when it is the last one
    (a missing field); anything else is a pydantic label such as a union member's name.
    """
    path: list[str | int] = []
    node = data
    for index, part in enumerate(loc):
        if _has_child(node, part):
            node = node[part]
        elif index != len(loc) - 1:
            continue
        path.append(part)
    return json_pointer(path)


def _has_child(node: Any, part: str | int) -> bool:
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def _message(err: ErrorDetails) -> str:
    message = _MESSAGES.get(err["type"], err["msg"])
    # Custom validators raise ValueError; pydantic prefixes their text with "Value error, ".
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
