"""Size limits of a definition, checked without recursion before anything else looks at it.

A 10,000-deep document must become one problem, never a RecursionError (SECURITY case 10).
"""

from __future__ import annotations

import json
from typing import Any

from a2n.errors import Problem
from a2n.workflows.definition import MAX_NODES
from a2n.workflows.pointers import child

MAX_DEPTH = 64
MAX_BYTES = 1_048_576
# Every JSON value serialises to at least one byte plus a separator, so more values than this
# cannot fit in MAX_BYTES; it bounds the walk over a huge document.
_MAX_VALUES = MAX_BYTES // 2 + 1


def limit_problems(definition: Any, pointer: str) -> list[Problem]:
    """The first limit the definition breaks (depth, size, node count), or nothing."""
    too_deep = _depth_problem(definition, pointer)
    if too_deep is not None:
        return [too_deep]
    size = _serialized_size(definition)
    if size is None:
        return [Problem(pointer, "must be plain JSON (no NaN, Infinity or non-JSON values)")]
    if size > MAX_BYTES:
        return [Problem(pointer, f"definition is larger than {MAX_BYTES} bytes")]
    nodes = definition.get("nodes") if isinstance(definition, dict) else None
    if isinstance(nodes, list) and len(nodes) > MAX_NODES:
        return [Problem(child(pointer, "nodes"), f"at most {MAX_NODES} nodes are allowed, got {len(nodes)}")]
    return []


def _depth_problem(definition: Any, pointer: str) -> Problem | None:
    # Explicit stack of (container, depth, pointer); scalars are never pushed.
    stack: list[tuple[Any, int, str]] = (
        [(definition, 1, pointer)] if isinstance(definition, dict | list) else []
    )
    values = 0
    while stack:
        value, depth, where = stack.pop()
        if depth > MAX_DEPTH:
            return Problem(where, f"nested deeper than {MAX_DEPTH} levels")
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            values += 1
            if values > _MAX_VALUES:
                return Problem(pointer, f"definition is larger than {MAX_BYTES} bytes")
            if isinstance(item, dict | list):
                stack.append((item, depth + 1, child(where, key)))
    return None


def _serialized_size(definition: Any) -> int | None:
    try:
        text = json.dumps(definition, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):
        return None
    return len(text.encode("utf-8", errors="surrogatepass"))
