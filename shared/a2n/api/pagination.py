"""``?limit=&cursor=`` from a request into a ``PageRequest``; the pages themselves are ``a2n.pagination``
(re-exported here for the routes, which answer ``{items, nextCursor}`` with them)."""

from __future__ import annotations

from collections.abc import Mapping

from a2n.api.validation import query_pointer
from a2n.errors import Problem, ValidationFailed
from a2n.pagination import (
    DEFAULT_LIMIT,
    MAX_CURSOR_CHARS,
    MAX_LIMIT,
    Cursor,
    Page,
    PageRequest,
    SortKey,
    decode_cursor,
    encode_cursor,
    page_of,
)

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_CURSOR_CHARS",
    "MAX_LIMIT",
    "Cursor",
    "Page",
    "PageRequest",
    "SortKey",
    "decode_cursor",
    "encode_cursor",
    "page_of",
    "page_request",
]


def page_request(query: Mapping[str, str]) -> PageRequest:
    """``limit`` (1-200, default 50) and ``cursor`` from the query string."""
    limit_text = query.get("limit")
    limit = DEFAULT_LIMIT
    if limit_text is not None:
        # ASCII and short: str.isdigit admits other scripts' digits, and int() of 5000 digits raises.
        if not (limit_text.isascii() and limit_text.isdigit() and len(limit_text) <= 3) or not (
            1 <= int(limit_text) <= MAX_LIMIT
        ):
            raise ValidationFailed(
                [Problem(query_pointer("limit"), f"Must be an integer from 1 to {MAX_LIMIT}")]
            )
        limit = int(limit_text)
    cursor_text = query.get("cursor")
    return PageRequest(limit=limit, cursor=decode_cursor(cursor_text) if cursor_text is not None else None)
