"""JSON that comes from outside (API request bodies, webhook deliveries), parsed strictly.

One parser for every such place, so each refusal is a 4xx everywhere: `NaN`/`Infinity` literals,
numbers that overflow to infinity (`1e999`), integers past Python's 4,300-digit conversion limit,
nesting deeper than `MAX_JSON_DEPTH` (the C scanner would raise RecursionError near 1,000 levels,
and Postgres' jsonb has its own stack limit), and — unless the caller opts out — duplicate keys.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from a2n.errors import BadRequest

MAX_JSON_DEPTH = 64
MAX_INTEGER_DIGITS = 4300  # CPython's default int <-> str limit (sys.get_int_max_str_digits)


class MalformedJson(BadRequest):
    """The text is not JSON at all (syntax). A webhook keeps such a body as text; a route refuses it."""


def load_json(text: str, *, unique_keys: bool = True) -> Any:
    """Parse one JSON document or raise BadRequest (MalformedJson for syntax) saying what is wrong."""
    hook = _reject_duplicate_keys if unique_keys else None
    try:
        value = json.loads(text, object_pairs_hook=hook, parse_constant=_reject_constant)
    except RecursionError:
        # The C scanner recurses per nesting level; catching here keeps 10,000-deep input a 400.
        raise BadRequest(f"JSON nesting exceeds {MAX_JSON_DEPTH} levels") from None
    except json.JSONDecodeError as exc:
        raise MalformedJson(f"Malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except ValueError:
        # json.loads raises a plain ValueError only for int() past the digit limit.
        raise BadRequest(f"A JSON integer has more than {MAX_INTEGER_DIGITS} digits") from None
    if json_depth(value) > MAX_JSON_DEPTH:
        raise BadRequest(f"JSON nesting exceeds {MAX_JSON_DEPTH} levels")
    if _MAY_OVERFLOW.search(text) and has_non_finite_number(value):
        raise BadRequest("A JSON number is out of range: it overflows to infinity, which JSON cannot hold")
    return value


# Only a number with a 3-digit exponent or 309+ digits can overflow a float (1.8e308): a cheap scan
# of the text decides whether the parsed value needs walking at all.
_MAY_OVERFLOW = re.compile(r"[eE][+-]?\d{3}|\d{309}")


def has_non_finite_number(value: Any) -> bool:
    """True when a float anywhere in ``value`` is infinite or NaN (iterative: no recursion limit)."""
    stack = [value]
    while stack:
        node = stack.pop()
        if type(node) is float:
            if not math.isfinite(node):
                return True
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def json_depth(value: Any) -> int:
    """Nesting depth of containers, computed iteratively (no recursion limit to hit)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, depth)
        # Only containers go on the stack: a flat 1 MiB array of numbers stays cheap.
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Parsers disagree on which duplicate wins; refusing them removes a smuggling vector.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise BadRequest(f"Duplicate key in JSON object: {key[:64]!r}")
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise BadRequest(f"{name} is not valid JSON")
