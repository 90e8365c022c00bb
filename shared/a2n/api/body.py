"""Strict JSON request-body decoding: content type, size, UTF-8, then `a2n.json_input` (syntax,
numbers, depth, duplicate keys) and what Postgres can store.

Every rule here answers 400 (or 413 for size) so that no body a client can send reaches a 500.
"""

from __future__ import annotations

from typing import Any

from a2n.errors import BadRequest, PayloadTooLarge
from a2n.json_input import load_json
from a2n.storable import json_has_unstorable_text


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
    value = load_json(text)
    if json_has_unstorable_text(text, value):
        raise BadRequest("JSON text contains \\u0000 or an unpaired surrogate, which cannot be stored")
    return value
