"""Shared pydantic building blocks for API bodies: camelCase on the wire, snake_case in Python.

Request bodies forbid unknown fields, so mass-assignment attempts (``id``, ``workspaceId``,
``createdBy``, ``version``, ``isActive`` on a create/update) are rejected with 422 (SECURITY 16)
instead of being silently dropped: a client that believes it set a field learns it did not.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, PlainSerializer
from pydantic.alias_generators import to_camel

from a2n.api.response import iso_utc

T = TypeVar("T")


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _iso_text_only(value: object) -> object:
    """pydantic would read numbers (and numeric strings such as ``0.5``) as Unix times; the API's
    times are ISO-8601 strings only, as the OpenAPI document says."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and not _NUMERIC.fullmatch(value.strip()):
        return value
    raise ValueError("must be an ISO-8601 date-time with a timezone, e.g. 2026-01-01T00:00:00Z")


_NUMERIC = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")

# A timezone-aware instant (naive input is a 422), normalised to UTC, rendered "…Z".
UtcDatetime = Annotated[
    AwareDatetime,
    BeforeValidator(_iso_text_only),
    AfterValidator(_to_utc),
    PlainSerializer(iso_utc, return_type=str, when_used="json"),
]


class CamelModel(BaseModel):
    """camelCase aliases; Python code may still construct models by field name."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class RequestBody(CamelModel):
    """Base of every request body: unknown fields are a 422, never ignored, never applied."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class ResponseBody(CamelModel):
    """Base of every response body; builds from ORM rows and other objects by attribute."""

    model_config = ConfigDict(from_attributes=True)


class PageOf(ResponseBody, Generic[T]):
    """The list envelope ``{items, nextCursor}``, for OpenAPI; handlers may return ``Page``."""

    items: list[T]
    next_cursor: str | None = None


class WarningOut(ResponseBody):
    """Something saved or activated that will not work as meant; same shape as a validation error."""

    pointer: str
    message: str
