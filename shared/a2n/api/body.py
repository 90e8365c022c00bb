"""Strict JSON request-body decoding: content type, size, UTF-8, syntax, duplicates and depth.

Every rule here answers 400 (or 413 for size) so that no body a client can send reaches a 500.
"""

from __future__ import annotations

import json
import re
from typing import Any

from a2n.errors import BadRequest, PayloadTooLarge
from a2n.storable import has_unstorable_text

MAX_JSON_DEPTH = 64


def require_json_content_type(content_type: str | None) -> None:
    """Accept ``application/json`` and ``application/*+json`` in UTF-8 only (SECURITY case 12)."""
    if not content_type:
        raise BadRequest("Content-Type must be application/json")
    media_type, *params = (part.strip() for part in content_type.split(";"))
    media_type = media_type.lower()
    if media_type != "application/json" and not (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        raise BadRequest("Content-Type must be application/json")
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            raise BadRequest("JSON bodies must be UTF-8")


def check_body_size(body: bytes, limit: int) -> None:
    if len(body) > limit:
        raise PayloadTooLarge(f"Request body exceeds {limit} bytes")


def decode_json(body: bytes) -> Any:
    """Parse ``body`` as one JSON document or raise BadRequest saying what is wrong."""
    if not body.strip():
        raise BadRequest("A JSON request body is required")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("Request body is not valid UTF-8") from None
    try:
        value = json.loads(text, object_pairs_hook=_reject_duplicate_keys, parse_constant=_reject_constant)
    except RecursionError:
        # The C scanner recurses per nesting level; catching here keeps 10,000-deep input a 400.
        raise BadRequest(f"JSON nesting exceeds {MAX_JSON_DEPTH} levels") from None
    except json.JSONDecodeError as exc:
        raise BadRequest(f"Malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if json_depth(value) > MAX_JSON_DEPTH:
        raise BadRequest(f"JSON nesting exceeds {MAX_JSON_DEPTH} levels")
    if _ESCAPES_POSTGRES_REFUSES.search(text) and has_unstorable_text(value):
        raise BadRequest("JSON text contains \\u0000 or an unpaired surrogate, which cannot be stored")
    return value


# Postgres text and jsonb refuse NUL, and an unpaired surrogate has no UTF-8 form: both would fail at
# the database as a 500. In JSON they can only arrive as \u escapes, so the walk runs only then.
_ESCAPES_POSTGRES_REFUSES = re.compile(r"\\u(0000|d[89a-f])", re.IGNORECASE)


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
