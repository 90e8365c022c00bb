"""What Postgres can store: text and jsonb refuse NUL, and an unpaired surrogate has no UTF-8 form.

Input is checked against this at the edge, so such text is a 4xx (or, for webhook data, kept as
base64) instead of a database error; a node's result is checked before its completion, so such text
fails the node instead of the completion (or, for pure nodes run inline, the whole transaction).
"""

from __future__ import annotations

import re
from typing import Any

# In ASCII-only JSON text (json.dumps' default, and any JSON a client sends) NUL and surrogates can
# only appear as \u escapes: only when one is present does the value need walking.
_ESCAPES_POSTGRES_REFUSES = re.compile(r"\\u(0000|d[89a-f])", re.IGNORECASE)


def json_has_unstorable_text(text: str, value: Any) -> bool:
    """`has_unstorable_text(value)` for a value whose JSON text is `text`, walking it only when the
    text holds an escape that could be NUL or a lone surrogate (cheap for everyday values)."""
    return _ESCAPES_POSTGRES_REFUSES.search(text) is not None and has_unstorable_text(value)


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
