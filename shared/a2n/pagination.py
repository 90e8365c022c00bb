"""Keyset pagination: pages of ``{items, nextCursor}`` and the cursors between them.

Services page their queries with these; reading ``?limit=&cursor=`` from a request is the API's
part (``a2n.api.pagination.page_request``: a bad ``limit`` is a 422 at ``#/query/limit``), so
services never import ``a2n.api``. A cursor is base64url JSON ``{"k": sort key, "i": id}`` of the
last item returned. It is opaque but not signed: every list query is scoped to the caller's
workspace, so a forged cursor can only move the page boundary inside data the caller may already
read. A cursor that does not decode is a 400.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from a2n.errors import BadRequest

T = TypeVar("T")
SortKey = str | int | float

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR_CHARS = 512


@dataclass(frozen=True)
class Cursor:
    sort_key: SortKey
    id: str

    def id_uuid(self) -> uuid.UUID:
        """The id read back as the UUID it was encoded from."""
        try:
            return uuid.UUID(self.id)
        except ValueError:
            raise BadRequest("Invalid cursor") from None

    def sort_key_datetime(self) -> datetime:
        """The sort key read back as the datetime it was encoded from."""
        try:
            if not isinstance(self.sort_key, str):
                raise ValueError
            return datetime.fromisoformat(self.sort_key)
        except ValueError:
            raise BadRequest("Invalid cursor") from None


@dataclass(frozen=True)
class PageRequest:
    limit: int = DEFAULT_LIMIT
    cursor: Cursor | None = None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    next_cursor: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"items": list(self.items), "nextCursor": self.next_cursor}


def encode_cursor(sort_key: SortKey | datetime, item_id: object) -> str:
    # Datetimes keep full precision so the next page starts exactly after this row.
    key = sort_key.isoformat() if isinstance(sort_key, datetime) else sort_key
    raw = json.dumps({"k": key, "i": str(item_id)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(token: str) -> Cursor:
    if not token or len(token) > MAX_CURSOR_CHARS:
        raise BadRequest("Invalid cursor")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise BadRequest("Invalid cursor") from None
    if not isinstance(data, dict) or set(data) != {"k", "i"}:
        raise BadRequest("Invalid cursor")
    key, item_id = data["k"], data["i"]
    if isinstance(key, bool) or not isinstance(key, str | int | float) or not isinstance(item_id, str):
        raise BadRequest("Invalid cursor")
    return Cursor(sort_key=key, id=item_id)


def page_of(
    rows: Sequence[T], limit: int, cursor_of: Callable[[T], tuple[SortKey | datetime, object]]
) -> Page[T]:
    """A page from ``rows`` fetched with ``LIMIT limit + 1``: the extra row means there is more."""
    if len(rows) <= limit:
        return Page(items=rows)
    items = rows[:limit]
    return Page(items=items, next_cursor=encode_cursor(*cursor_of(items[-1])))
