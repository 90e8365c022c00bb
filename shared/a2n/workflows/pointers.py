"""JSON pointers (RFC 6901) for validation problems, including pydantic's error locations.

Every problem a workflow save reports points into the request body with one of these.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from a2n.errors import Problem

if TYPE_CHECKING:
    from pydantic import ValidationError

# pydantic puts these markers in a location to say "the key itself", not a path step.
_LOC_MARKERS = {"[key]"}
# pydantic names Python classes in some messages; API clients think in JSON types.
_JSON_WORDING = {
    "model_type": "must be an object",
    "dict_type": "must be an object",
    "list_type": "must be an array",
    "string_type": "must be a string",
    "int_type": "must be an integer",
    "float_type": "must be a number",
    "bool_type": "must be a boolean",
}


def child(pointer: str, key: str | int) -> str:
    """The pointer of ``key`` under ``pointer``, escaped per RFC 6901."""
    return f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}"


def join(pointer: str, parts: Iterable[str | int]) -> str:
    for part in parts:
        if part not in _LOC_MARKERS:
            pointer = child(pointer, part)
    return pointer


def from_validation_error(error: ValidationError, pointer: str) -> list[Problem]:
    """One problem per pydantic error, pointed below ``pointer``, in plain words."""
    problems: list[Problem] = []
    for detail in error.errors(include_url=False, include_input=False):
        loc = detail["loc"]
        if detail["type"] == "extra_forbidden":
            message = f"unknown field {str(loc[-1])!r}"
        elif detail["type"] == "missing":
            message = "required"
        elif detail["type"] in _JSON_WORDING:
            message = _JSON_WORDING[detail["type"]]
        else:
            message = detail["msg"].removeprefix("Value error, ")
        problems.append(Problem(join(pointer, loc), message))
    return problems
