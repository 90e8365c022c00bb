"""Responses and their rendering to API Gateway HTTP API (payload v2) results.

JSON is rendered in one place: datetimes as ISO-8601 UTC with ``Z``, UUIDs as strings, pydantic
models by their camelCase aliases; errors as RFC 9457 ``application/problem+json``.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any, Protocol, runtime_checkable
from uuid import UUID

from a2n.errors import A2NError

JSON = "application/json"
PROBLEM_JSON = "application/problem+json"

# Applied to every response unless the route sets its own value (e.g. a cacheable /openapi.json).
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}


@runtime_checkable
class JsonConvertible(Protocol):
    """Objects (e.g. ``Page``) that know their own JSON shape."""

    def as_json(self) -> Any: ...


@dataclass
class Response:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON

    @classmethod
    def no_content(cls) -> Response:
        return cls(status=204)

    @classmethod
    def problem(cls, error: A2NError) -> Response:
        # RFC 6750: a 401 names the scheme the client should authenticate with.
        headers = {"WWW-Authenticate": 'Bearer realm="a2n"'} if error.status == 401 else {}
        if error.retry_after_s is not None:
            headers["Retry-After"] = str(error.retry_after_s)
        return cls(status=error.status, body=error.problem(), headers=headers, content_type=PROBLEM_JSON)


def iso_utc(value: datetime) -> str:
    """ISO-8601 in UTC with millisecond precision and ``Z``; naive values are taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date | UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value)
    if isinstance(value, JsonConvertible):
        return value.as_json()
    model_dump = getattr(value, "model_dump", None)
    if callable(model_dump):  # a pydantic model; checked by duck type to keep pydantic unimported
        return model_dump(mode="json", by_alias=True)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dump_json(value: Any) -> str:
    return json.dumps(value, default=json_default, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def render(response: Response) -> dict[str, Any]:
    """The API Gateway v2 result for ``response`` (raises TypeError on an unserialisable body)."""
    headers = dict(response.headers)
    is_base64 = False
    if response.status == 204 or response.body is None:
        body = ""
    elif isinstance(response.body, bytes):
        body, is_base64 = base64.b64encode(response.body).decode("ascii"), True
    elif isinstance(response.body, str) and not _is_json(response.content_type):
        body = response.body
    else:
        body = dump_json(response.body)
    if body:
        _set_default(headers, "Content-Type", response.content_type)
    for name, value in SECURITY_HEADERS.items():
        _set_default(headers, name, value)
    return {"statusCode": response.status, "headers": headers, "body": body, "isBase64Encoded": is_base64}


def _set_default(headers: dict[str, str], name: str, value: str) -> None:
    # Header names are case-insensitive: a route's "cache-control" must win over our default.
    if name.lower() not in (existing.lower() for existing in headers):
        headers[name] = value


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", maxsplit=1)[0].strip().lower()
    return media_type == JSON or media_type.endswith("+json")
