"""What Postgres can store: text and jsonb refuse NUL, and an unpaired surrogate has no UTF-8 form.

Input is checked against this at the edge, so such text is a 4xx (or, for webhook data, kept as
base64) instead of a database error.
"""

from __future__ import annotations

from typing import Any


def has_unstorable_text(value: Any) -> bool:
    """True when a string (or object key) anywhere in ``value`` holds NUL or a lone surrogate."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            if is_unstorable(node):
                return True
        elif isinstance(node, dict):
            if any(isinstance(key, str) and is_unstorable(key) for key in node):
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def is_unstorable(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
