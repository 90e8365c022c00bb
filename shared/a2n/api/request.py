"""The incoming API Gateway HTTP API (payload v2) request, parsed lazily and strictly.

Nothing is decoded until a route asks for it, so a route that ignores the body never pays for it,
and every malformed input becomes a 4xx problem at the point it is read.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from a2n.api import body as json_body
from a2n.api.validation import validate_body, validate_query
from a2n.auth.principal import Principal, principal_from_context
from a2n.errors import BadRequest, PayloadTooLarge, Unauthorized

if TYPE_CHECKING:
    from pydantic import BaseModel

    from a2n.services.audit import Origin

M = TypeVar("M", bound="BaseModel")

MAX_IDEMPOTENCY_KEY = 255


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    route_key: str = ""
    path_params: Mapping[str, str] = field(default_factory=dict)
    query: Mapping[str, str] = field(default_factory=dict)
    # Lower-cased names; API Gateway already joins repeated headers with commas.
    headers: Mapping[str, str] = field(default_factory=dict)
    raw_body: str | None = None
    body_is_base64: bool = False
    request_id: str = ""
    client_ip: str = ""
    authorizer: Mapping[str, object] | None = None
    max_body_bytes: int = 1_048_576

    @classmethod
    def from_event(cls, event: Mapping[str, Any], *, max_body_bytes: int) -> Request:
        context = _mapping(event.get("requestContext"))
        http = _mapping(context.get("http"))
        authorizer = _mapping(context.get("authorizer"))
        return cls(
            method=str(http.get("method", "")).upper(),
            path=str(http.get("path") or event.get("rawPath") or ""),
            route_key=str(event.get("routeKey", "")),
            path_params=_strings(event.get("pathParameters")),
            query=_strings(event.get("queryStringParameters")),
            headers={k.lower(): v for k, v in _strings(event.get("headers")).items()},
            raw_body=event.get("body") if isinstance(event.get("body"), str) else None,
            body_is_base64=bool(event.get("isBase64Encoded")),
            request_id=str(context.get("requestId", "")),
            client_ip=str(http.get("sourceIp", "")),
            authorizer=_mapping(authorizer.get("lambda")) or None,
            max_body_bytes=max_body_bytes,
        )

    @cached_property
    def body(self) -> bytes:
        """Raw body bytes (base64-decoded); 413 over the limit, checked before decoding."""
        raw = self.raw_body or ""
        encoded_limit = self.max_body_bytes * 4 // 3 + 4 if self.body_is_base64 else self.max_body_bytes
        if len(raw) > encoded_limit:
            raise PayloadTooLarge(f"Request body exceeds {self.max_body_bytes} bytes")
        if self.body_is_base64:
            try:
                data = base64.b64decode(raw, validate=True)
            except (binascii.Error, ValueError):
                raise BadRequest("Request body is not valid base64") from None
        else:
            data = raw.encode("utf-8", errors="surrogatepass")
        json_body.check_body_size(data, self.max_body_bytes)
        return data

    def json(self) -> Any:
        """The body as JSON: 413 if too big, 400 if not JSON, not UTF-8, malformed or too deep."""
        data = self.body
        json_body.require_json_content_type(self.headers.get("content-type"))
        return json_body.decode_json(data)

    def parse(self, model: type[M]) -> M:
        """The body validated as ``model``; problems become 422 with JSON pointers."""
        return validate_body(model, self.json())

    def parse_query(self, model: type[M]) -> M:
        """Query parameters validated as ``model``; pointers are ``#/query/<name>``."""
        return validate_query(model, self.query)

    @cached_property
    def principal(self) -> Principal:
        if not self.authorizer:
            raise Unauthorized("Authentication required")
        return principal_from_context(self.authorizer)

    @property
    def user_agent(self) -> str | None:
        return self.headers.get("user-agent")

    @property
    def origin(self) -> Origin:
        """Where the call came from, as the audit trail records it."""
        from a2n.services.audit import Origin

        return Origin(ip=self.client_ip or None, user_agent=self.user_agent)

    @property
    def idempotency_key(self) -> str | None:
        key = self.headers.get("idempotency-key")
        if key is None:
            return None
        if not key or len(key) > MAX_IDEMPOTENCY_KEY or not key.isprintable():
            raise BadRequest(f"Idempotency-Key must be 1-{MAX_IDEMPOTENCY_KEY} printable characters")
        return key

    def path_param(self, name: str) -> str:
        value = self.path_params.get(name)
        if not value:
            # API Gateway only routes here with the parameter set; a missing one is a bad call.
            raise BadRequest(f"Missing path parameter {name!r}")
        return value


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _strings(value: object) -> dict[str, str]:
    return {str(k): str(v) for k, v in _mapping(value).items() if v is not None}
